"""A small client of a Kubernetes API from a kubeconfig (client-certificate auth), for helm and the controllers."""

import base64
import os
import tempfile

import requests
import yaml


class KubeError(Exception):
    def __init__(self, status, body):
        self.status = status
        self.body = body
        message = body.get("message") if isinstance(body, dict) else str(body)
        super().__init__(message or f"HTTP {status}")


def resource_path(api_version, plural, namespace=None, name=None, subresource=None):
    prefix = f"/apis/{api_version}" if "/" in api_version else f"/api/{api_version}"
    path = prefix + (f"/namespaces/{namespace}" if namespace else "") + f"/{plural}"
    if name:
        path += f"/{name}"
    if subresource:
        path += f"/{subresource}"
    return path


class KubeClient:
    def __init__(self, server, ca_pem, cert_pem, key_pem):
        self.server = server.rstrip("/")
        self._dir = tempfile.mkdtemp(prefix="kubeclient-")
        files = {}
        for name, content in (("ca.crt", ca_pem), ("client.crt", cert_pem), ("client.key", key_pem)):
            path = os.path.join(self._dir, name)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(content if isinstance(content, bytes) else content.encode())
            files[name] = path
        self.session = requests.Session()
        self.session.verify = files["ca.crt"]
        self.session.cert = (files["client.crt"], files["client.key"])

    @classmethod
    def from_kubeconfig(cls, path):
        with open(path, encoding="utf-8") as handle:
            config = yaml.safe_load(handle)
        context = next(c["context"] for c in config["contexts"] if c["name"] == config["current-context"])
        cluster = next(c["cluster"] for c in config["clusters"] if c["name"] == context["cluster"])
        user = next(u["user"] for u in config["users"] if u["name"] == context["user"])
        decode = base64.b64decode
        return cls(cluster["server"], decode(cluster["certificate-authority-data"]),
                   decode(user["client-certificate-data"]), decode(user["client-key-data"]))

    def close(self):
        self.session.close()
        for name in os.listdir(self._dir):
            os.unlink(os.path.join(self._dir, name))
        os.rmdir(self._dir)

    def request(self, method, path, body=None, params=None, content_type="application/json"):
        # verify per request: requests lets REQUESTS_CA_BUNDLE override a session's CA otherwise.
        response = self.session.request(method, self.server + path, json=body, params=params, timeout=30,
                                        headers={"Content-Type": content_type}, verify=self.session.verify)
        try:
            payload = response.json()
        except ValueError:
            payload = response.text
        if response.status_code >= 400:
            raise KubeError(response.status_code, payload)
        return payload

    def get(self, api_version, plural, namespace=None, name=None):
        """The object, or None when it does not exist."""
        try:
            return self.request("GET", resource_path(api_version, plural, namespace, name))
        except KubeError as error:
            if error.status == 404:
                return None
            raise

    def list(self, api_version, plural, namespace=None, selector=None):
        params = {"labelSelector": selector} if selector else None
        return self.request("GET", resource_path(api_version, plural, namespace), params=params)["items"]

    def create(self, api_version, plural, namespace, body):
        return self.request("POST", resource_path(api_version, plural, namespace), body)

    def patch(self, api_version, plural, namespace, name, body, subresource=None):
        return self.request("PATCH", resource_path(api_version, plural, namespace, name, subresource), body,
                            content_type="application/merge-patch+json")

    def delete(self, api_version, plural, namespace, name):
        """Delete (or mark for deletion); False when it was already gone."""
        try:
            self.request("DELETE", resource_path(api_version, plural, namespace, name))
        except KubeError as error:
            if error.status == 404:
                return False
            raise
        return True


def write_kubeconfig(path, server, ca_pem, cert_pem, key_pem, name):
    config = {
        "apiVersion": "v1", "kind": "Config", "current-context": name, "preferences": {},
        "clusters": [{"name": name, "cluster": {
            "server": server, "certificate-authority-data": base64.b64encode(ca_pem).decode()}}],
        "users": [{"name": f"{name}-admin", "user": {
            "client-certificate-data": base64.b64encode(cert_pem).decode(),
            "client-key-data": base64.b64encode(key_pem).decode()}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": f"{name}-admin"}}],
    }
    text = yaml.safe_dump(config, sort_keys=False)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    return text
