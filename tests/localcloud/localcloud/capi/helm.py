"""`helm`, stood in for: the commands magnum-capi-helm runs, against the management cluster emulator.

    helm upgrade RELEASE CHART --install --output json --values - --namespace NS [--repo URL] [--version V]
         [--history-max N] [--timeout D] [--kubeconfig PATH]
    helm uninstall RELEASE --namespace NS [--timeout D] [--kubeconfig PATH]
    helm status RELEASE --namespace NS --output json / helm list --namespace NS --output json

Releases are stored as helm 3 stores them (Secrets `sh.helm.release.v1.<release>.v<revision>`, type
helm.sh/release.v1), the chart is rendered by localcloud.capi.chart, and errors are helm's own messages on
stderr with exit status 1. There is no chart download: only the openstack-cluster chart of the pinned versions.
"""

import argparse
import base64
import datetime
import gzip
import json
import os
import re
import sys

import yaml

from . import CHART_NAME, CHART_REPO, CHART_VERSIONS
from .chart import RenderError, render
from .kubeclient import KubeClient, KubeError

RELEASE_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
RELEASE_TYPE = "helm.sh/release.v1"
KEEP = "helm.sh/resource-policy"
PLURALS = {
    "Cluster": "clusters", "OpenStackCluster": "openstackclusters",
    "OpenStackMachineTemplate": "openstackmachinetemplates", "KubeadmControlPlane": "kubeadmcontrolplanes",
    "KubeadmConfigTemplate": "kubeadmconfigtemplates", "MachineDeployment": "machinedeployments",
    "HelmRelease": "helmreleases", "Manifests": "manifests",
}


class HelmError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise HelmError(message.replace("unrecognized arguments:", "unknown flag:"))


def _parser():
    parser = Parser(prog="helm", add_help=False)
    parser.add_argument("--kubeconfig", default=os.environ.get("KUBECONFIG"))
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    upgrade = sub.add_parser("upgrade", add_help=False)
    upgrade.add_argument("release")
    upgrade.add_argument("chart")
    uninstall = sub.add_parser("uninstall", add_help=False)
    uninstall.add_argument("release")
    status = sub.add_parser("status", add_help=False)
    status.add_argument("release")
    listing = sub.add_parser("list", add_help=False)
    for command in (upgrade, uninstall, status, listing):
        command.add_argument("--namespace", "-n", default="default")
        command.add_argument("--kubeconfig", default=argparse.SUPPRESS)
        command.add_argument("--timeout", default="5m0s")
        command.add_argument("--output", "-o", default="table", choices=("table", "json", "yaml"))
    upgrade.add_argument("--install", action="store_true")
    upgrade.add_argument("--values", "-f", action="append", default=[])
    upgrade.add_argument("--repo")
    upgrade.add_argument("--version")
    upgrade.add_argument("--history-max", type=int, default=10)
    return parser


def _now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat()


def _encode(release):
    return base64.b64encode(gzip.compress(json.dumps(release).encode())).decode()


def _decode(secret):
    raw = base64.b64decode(base64.b64decode(secret["data"]["release"]))
    return json.loads(gzip.decompress(raw))


def _releases(client, name, namespace):
    """Stored revisions of a release, oldest first: [(secret, release)]."""
    secrets = client.list("v1", "secrets", namespace, f"owner=helm,name={name}")
    found = [(secret, _decode(secret)) for secret in secrets if secret.get("type") == RELEASE_TYPE]
    return sorted(found, key=lambda pair: pair[1]["version"])


def _store(client, release, status):
    name = f"sh.helm.release.v1.{release['name']}.v{release['version']}"
    secret = {"apiVersion": "v1", "kind": "Secret", "type": RELEASE_TYPE,
              "metadata": {"name": name, "namespace": release["namespace"],
                           "labels": {"name": release["name"], "owner": "helm", "status": status,
                                      "version": str(release["version"])}},
              "stringData": {"release": _encode(release)}}
    if client.get("v1", "secrets", release["namespace"], name) is None:
        client.create("v1", "secrets", release["namespace"], secret)
    else:
        client.patch("v1", "secrets", release["namespace"], name,
                     {"metadata": secret["metadata"], "stringData": secret["stringData"]})


def _read_values(files):
    values = {}
    for source in files:
        text = sys.stdin.read() if source == "-" else open(source, encoding="utf-8").read()
        try:
            loaded = yaml.safe_load(text) or {}
        except yaml.YAMLError as error:
            raise HelmError(f"failed to parse {source}: {error}") from error
        if not isinstance(loaded, dict):
            raise HelmError(f"failed to parse {source}: error unmarshaling JSON: json: cannot unmarshal "
                            "into Go value of type map[string]interface {}")
        values.update(loaded)
    return values


def _key(manifest_object):
    return manifest_object["apiVersion"], manifest_object["kind"], manifest_object["metadata"]["name"]


def _apply(client, namespace, wanted, previous):
    for manifest_object in wanted:
        api_version, kind, name = _key(manifest_object)
        plural = PLURALS[kind]
        if client.get(api_version, plural, namespace, name) is None:
            client.create(api_version, plural, namespace, manifest_object)
        else:
            client.patch(api_version, plural, namespace, name,
                         {"metadata": {"labels": manifest_object["metadata"]["labels"],
                                       "annotations": manifest_object["metadata"].get("annotations")},
                          "spec": manifest_object["spec"]})
    # Objects of the previous revision the new one no longer renders are deleted, unless helm is told to keep them.
    kept = {_key(manifest_object) for manifest_object in wanted}
    for manifest_object in reversed(previous):
        if _key(manifest_object) not in kept and not _keep(manifest_object):
            client.delete(manifest_object["apiVersion"], PLURALS[manifest_object["kind"]], namespace,
                          manifest_object["metadata"]["name"])


def _keep(manifest_object):
    return (manifest_object["metadata"].get("annotations") or {}).get(KEEP) == "keep"


def _objects_of(release):
    return [document for document in yaml.safe_load_all(release.get("manifest") or "") if document]


def upgrade(client, args):
    if not args.install and not _releases(client, args.release, args.namespace):
        raise HelmError(f'UPGRADE FAILED: "{args.release}" has no deployed releases')
    if args.repo:
        if args.repo.rstrip("/") != CHART_REPO or args.chart != CHART_NAME:
            raise HelmError(f'chart "{args.chart}" not found in {args.repo} repository')
        if args.version and args.version not in CHART_VERSIONS:
            raise HelmError(f'chart "{args.chart}" version "{args.version}" not found in {args.repo} repository')
    else:
        raise HelmError(f'path "{args.chart}" not found')
    if client.get("v1", "namespaces", None, args.namespace) is None:
        raise HelmError(f'create: failed to create: namespaces "{args.namespace}" not found')
    values = _read_values(args.values)
    history = _releases(client, args.release, args.namespace)
    for _, stored in history:
        if stored["info"]["status"].startswith("pending-"):
            raise HelmError("UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress")
    chart_version = args.version or CHART_VERSIONS[-1]
    try:
        objects = render(args.release, args.namespace, chart_version, values)
    except RenderError as error:
        raise HelmError(f"{'UPGRADE' if history else 'INSTALLATION'} FAILED: {error}") from error
    previous = _objects_of(history[-1][1]) if history else []
    revision = history[-1][1]["version"] + 1 if history else 1
    now = _now()
    release = {
        "name": args.release, "namespace": args.namespace, "version": revision,
        "info": {"first_deployed": history[0][1]["info"]["first_deployed"] if history else now,
                 "last_deployed": now, "deleted": "", "status": "deployed",
                 "description": "Upgrade complete" if history else "Install complete"},
        "chart": {"metadata": {"name": CHART_NAME, "version": chart_version, "apiVersion": "v2"}},
        "config": values,
        "manifest": yaml.safe_dump_all(objects, sort_keys=False),
    }
    try:
        _apply(client, args.namespace, objects, previous)
    except KubeError as error:
        raise HelmError(f"{'UPGRADE' if history else 'INSTALLATION'} FAILED: {error}") from error
    for _, stored in history:
        if stored["info"]["status"] == "deployed":
            stored["info"]["status"] = "superseded"
            _store(client, stored, "superseded")
    _store(client, release, "deployed")
    # helm keeps --history-max revisions (0: no limit).
    if args.history_max > 0:
        for secret, _ in (history + [(None, release)])[:-args.history_max]:
            if secret is not None:
                client.delete("v1", "secrets", args.namespace, secret["metadata"]["name"])
    return release


def uninstall(client, args):
    history = _releases(client, args.release, args.namespace)
    if not history:
        raise HelmError(f"uninstall: Release not loaded: {args.release}: release: not found")
    for manifest_object in reversed(_objects_of(history[-1][1])):
        if not _keep(manifest_object):
            client.delete(manifest_object["apiVersion"], PLURALS[manifest_object["kind"]], args.namespace,
                          manifest_object["metadata"]["name"])
    for secret, _ in history:
        client.delete("v1", "secrets", args.namespace, secret["metadata"]["name"])
    return f'release "{args.release}" uninstalled'


def _print(args, result):
    if isinstance(result, str):
        print(result)
    elif args.output == "json":
        print(json.dumps(result))
    elif args.output == "yaml":
        print(yaml.safe_dump(result, sort_keys=False))
    else:
        print(f"NAME: {result['name']}\nNAMESPACE: {result['namespace']}\nSTATUS: {result['info']['status']}\n"
              f"REVISION: {result['version']}")


def main(argv=None):
    try:
        args = _parser().parse_args(argv)
        if not RELEASE_NAME.match(getattr(args, "release", "x")) or len(getattr(args, "release", "")) > 53:
            raise HelmError("invalid release name, must match regex "
                            "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$ and the length "
                            "must not be longer than 53")
        if not args.kubeconfig:
            raise HelmError("Kubernetes cluster unreachable: no kubeconfig")
        client = KubeClient.from_kubeconfig(args.kubeconfig)
        try:
            if args.command == "upgrade":
                _print(args, upgrade(client, args))
            elif args.command == "uninstall":
                _print(args, uninstall(client, args))
            elif args.command == "status":
                history = _releases(client, args.release, args.namespace)
                if not history:
                    raise HelmError("release: not found")
                _print(args, history[-1][1])
            else:
                releases = [pair[1] for pair in _releases_in(client, args.namespace)]
                print(json.dumps([{"name": r["name"], "namespace": r["namespace"], "revision": str(r["version"]),
                                   "status": r["info"]["status"],
                                   "chart": f"{CHART_NAME}-{r['chart']['metadata']['version']}"}
                                  for r in releases]))
        finally:
            client.close()
    except HelmError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    except (KubeError, OSError) as error:
        print(f"Error: Kubernetes cluster unreachable: {error}", file=sys.stderr)
        return 1
    return 0


def _releases_in(client, namespace):
    secrets = client.list("v1", "secrets", namespace, "owner=helm,status=deployed")
    return [(secret, _decode(secret)) for secret in secrets if secret.get("type") == RELEASE_TYPE]


if __name__ == "__main__":
    sys.exit(main())
