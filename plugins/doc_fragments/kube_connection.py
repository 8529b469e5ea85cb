# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    DOCUMENTATION = r'''
options:
  kubeconfig:
    description:
      - The kubeconfig to connect with, as a path to a file, the text of a kubeconfig, or a dictionary with its
        content (for example the C(kubeconfig) returned by M(coe.magnum.magnum_cluster_config) or read with
        C(lookup('file', ...) | from_yaml)).
      - When neither O(kubeconfig) nor O(host) is set, the file named by the E(KUBECONFIG) environment variable,
        or C(~/.kube/config), is used.
      - Can also be set with the E(K8S_AUTH_KUBECONFIG) environment variable, as for kubernetes.core.
    type: raw
  context:
    description:
      - The kubeconfig context to use; the kubeconfig's current context when not set.
      - Can also be set with the E(K8S_AUTH_CONTEXT) environment variable.
    type: str
  host:
    description:
      - The URL of the Kubernetes API server, for example C(https://10.0.0.5:6443).
      - With O(kubeconfig), overrides the server of the kubeconfig.
      - Can also be set with the E(K8S_AUTH_HOST) environment variable.
    type: str
  api_key:
    description:
      - A bearer token to authenticate with.
      - Can also be set with the E(K8S_AUTH_API_KEY) environment variable.
    type: str
  validate_certs:
    description:
      - Whether to verify the API server's certificate.
      - Can also be set with the E(K8S_AUTH_VERIFY_SSL) environment variable.
    type: bool
    aliases: [verify_ssl]
  ca_cert:
    description:
      - Path to the CA certificate the API server's certificate is verified against.
      - Can also be set with the E(K8S_AUTH_SSL_CA_CERT) environment variable.
    type: path
    aliases: [ssl_ca_cert]
  client_cert:
    description:
      - Path to the client certificate to authenticate with.
      - Can also be set with the E(K8S_AUTH_CERT_FILE) environment variable.
    type: path
    aliases: [cert_file]
  client_key:
    description:
      - Path to the private key of O(client_cert).
      - Can also be set with the E(K8S_AUTH_KEY_FILE) environment variable.
    type: path
    aliases: [key_file]
  username:
    description:
      - User name for HTTP basic authentication, which only API servers before Kubernetes 1.19 accept. Used with
        O(password) when O(api_key) is not set.
      - Can also be set with the E(K8S_AUTH_USERNAME) environment variable.
    type: str
  password:
    description:
      - Password for HTTP basic authentication with O(username).
      - Can also be set with the E(K8S_AUTH_PASSWORD) environment variable.
    type: str
  proxy:
    description:
      - The URL of an HTTP proxy to reach the API server through, for example C(http://proxy.example.com:3128).
      - Can also be set with the E(K8S_AUTH_PROXY) environment variable.
    type: str
  no_proxy:
    description:
      - Comma-separated hosts, domains or networks reached without O(proxy).
      - Can also be set with the E(K8S_AUTH_NO_PROXY) environment variable.
    type: str
  proxy_headers:
    description:
      - Headers sent to O(proxy).
    type: dict
    suboptions:
      proxy_basic_auth:
        description:
          - C(user:password) for the proxy's basic authentication.
        type: str
      basic_auth:
        description:
          - C(user:password) for basic authentication.
        type: str
      user_agent:
        description:
          - The User-Agent header.
        type: str
  persist_config:
    description:
      - Whether a token the kubeconfig's auth provider refreshes is written back to the kubeconfig file.
      - Can also be set with the E(K8S_AUTH_PERSIST_CONFIG) environment variable.
    type: bool
  impersonate_user:
    description:
      - The user to act as (the C(Impersonate-User) header); the credentials must be allowed to impersonate.
      - Can also be set with the E(K8S_AUTH_IMPERSONATE_USER) environment variable.
    type: str
  impersonate_groups:
    description:
      - The groups to act as, one C(Impersonate-Group) header each. More than one group needs the kubernetes
        Python client 35 or later.
    type: list
    elements: str
  api_timeout:
    description:
      - Timeout in seconds of each Kubernetes API request (60 when unset), so that a server that stops answering
        never hangs the task. A create that times out is looked up by name before it is sent again.
    type: int
requirements:
  - kubernetes (the official Kubernetes Python client)
notes:
  - The connection options have the names, aliases and environment variables of the kubernetes.core collection,
    so C(module_defaults) written for it apply here too, through C(group/coe.magnum.kubernetes).
'''
