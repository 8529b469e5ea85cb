#!/usr/bin/env python
"""List a cluster's nodes with the official kubernetes Python client, as a user of the kubeconfig would.

    list_nodes.py KUBECONFIG [CONTEXT]

Prints {"nodes": [names]} when the API server accepts the kubeconfig, else {"error": ..., "status": HTTP status or
null when the TLS handshake or connection failed}. Exits 0 either way: the caller asserts on the outcome.
"""

import json
import sys

from kubernetes import client, config


def main():
    path = sys.argv[1]
    context = sys.argv[2] if len(sys.argv) > 2 else None
    try:
        api_client = config.new_client_from_config(config_file=path, context=context)
        api_client.configuration.retries = 0
        nodes = client.CoreV1Api(api_client).list_node(_request_timeout=30)
        outcome = {'nodes': sorted(node.metadata.name for node in nodes.items)}
    except client.exceptions.ApiException as exc:
        outcome = {'error': exc.reason, 'status': exc.status}
    except Exception as exc:  # urllib3 wraps TLS refusals in several types
        outcome = {'error': ' '.join(str(exc).split())[:300], 'status': None}
    json.dump(outcome, sys.stdout)


if __name__ == '__main__':
    main()
