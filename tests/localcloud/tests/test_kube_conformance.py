"""Conformance of the Kubernetes emulator with kube-apiserver, per emulated version; no OpenStack needed.

Every expectation here is written from Kubernetes' own documents and sources, never from the emulator's output:
- the API conventions (sig-architecture/api-conventions.md, "Response Status Kind" and "HTTP Status codes"):
  422 `Invalid` with `details.causes` naming each field, 409 `AlreadyExists` and `Conflict`, 400 `BadRequest`;
- the API concepts page (reference/using-api/api-concepts): "Field validation" (fieldValidation=Strict fails with
  400 BadRequest listing every unknown and duplicate field, Warn answers with one Warning header per problem and
  is the default, Ignore drops them silently; the feature is on by default from 1.25, KEP 2885) and "Retrieving
  large results sets in chunks" (limit, continue, remainingItemCount);
- k8s.io/apimachinery's validation messages (util/validation: IsDNS1123Subdomain, IsDNS1123Label; api/validation:
  ValidateObjectMetaAccessor) and kubernetes' pkg/apis/core/validation (ValidatePersistentVolumeClaimSpec,
  ValidatePositiveQuantityValue), resource.ParseQuantity's error, and Go's encoding/json UnmarshalTypeError;
- the OpenAPI schemas of each version, through kubernetes-validate's own validator (strict): whatever the emulator
  answers with must be an object of that version, with no field the version does not know.

The collection's own request sequences (coe_storage's reconciler, coe_cluster_check's probe) run against each
version with fieldValidation=Strict on every write, so a field the real API would drop or refuse fails here.
"""

import base64
import json
import pathlib
import shutil
import socket
import subprocess
import sys

import kubernetes_validate
import pytest
import requests
import yaml

from localcloud import kubeemu

# The versions the local cloud's clusters run (templates: v1.30.4, upgrades to v1.31.0) and the older ones the
# tests use (v1.25.16: in-tree Cinder migrated to CSI). v1.5.3, also used, has no published schema set.
SCHEMA_VERSIONS = ("v1.25.16", "v1.30.4", "v1.31.0")
OLD = "v1.5.3"
REPO = pathlib.Path(__file__).resolve().parents[3]

DNS1123_SUBDOMAIN_ERROR = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start "
    "and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
DNS1123_LABEL_ERROR = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end "
    "with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
QUANTITY_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
CSI = "cinder.csi.openstack.org"


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Api:
    """One emulator process (no cloud: nothing is provisioned) and an HTTPS session as a cluster admin."""

    def __init__(self, directory, version):
        self.version = version
        self.minor = int(version.split(".")[1])
        self.state_dir = str(directory / "state")
        ca_cert, ca_key = kubeemu.make_ca("conformance-ca")
        server_cert, server_key = kubeemu.make_server_certificate(ca_cert, ca_key)
        client_cert, client_key = kubeemu.make_client_certificate(ca_cert, ca_key, "admin", ("system:masters",))
        self.port = _free_port()
        kubeemu.start_emulator(self.state_dir, self.port, ca_cert, server_cert, server_key, version=version,
                               cinder_csi=self.minor >= 14, masters=[("k8s-master-0", "10.0.0.3")],
                               nodes=["k8s-node-0"], openstack_cloud=None)
        files = {}
        for name, content in (("ca.crt", ca_cert), ("client.crt", client_cert), ("client.key", client_key)):
            files[name] = directory / name
            files[name].write_bytes(content)
        self.session = requests.Session()
        # Given with each request: a REQUESTS_CA_BUNDLE in the environment would replace a session's setting.
        self.verify = str(files["ca.crt"])
        self.session.cert = (str(files["client.crt"]), str(files["client.key"]))
        self.base = f"https://127.0.0.1:{self.port}"
        self.kubeconfig = directory / "admin.kubeconfig"
        self.kubeconfig.write_text(yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config", "current-context": "admin",
            "clusters": [{"name": "emulator", "cluster": {"server": self.base,
                                                          "certificate-authority-data": _b64(ca_cert)}}],
            "users": [{"name": "admin", "user": {"client-certificate-data": _b64(client_cert),
                                                 "client-key-data": _b64(client_key)}}],
            "contexts": [{"name": "admin", "context": {"cluster": "emulator", "user": "admin"}}],
        }))

    def stop(self):
        kubeemu.stop_emulator(self.state_dir)

    def call(self, method, path, body=None, params=None, content_type="application/json"):
        data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
        return self.session.request(method, self.base + path, data=data, params=params,
                                    headers={"Content-Type": content_type}, timeout=30, verify=self.verify)

    @property
    def storage_path(self):
        return "/apis/storage.k8s.io/v1" if self.minor >= 6 else "/apis/storage.k8s.io/v1beta1"


def _b64(data):
    return base64.b64encode(data).decode()


@pytest.fixture(scope="module", params=SCHEMA_VERSIONS + (OLD,))
def api(request, tmp_path_factory):
    emulator = Api(tmp_path_factory.mktemp(request.param.replace(".", "-")), request.param)
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module", params=SCHEMA_VERSIONS)
def schema_api(request, tmp_path_factory):
    emulator = Api(tmp_path_factory.mktemp("schema-" + request.param.replace(".", "-")), request.param)
    yield emulator
    emulator.stop()


def _schema_version(api):
    return "1.%d.0" % api.minor


def assert_known_to_version(api, obj):
    """The object validates strictly against the version's published schema (kubernetes-validate's validator)."""
    kubernetes_validate.validate(obj, _schema_version(api), strict=True)


def _status(response, code, reason):
    """The Status object of a failed request (api-conventions: every failure answers with kind Status)."""
    assert response.status_code == code, response.text
    status = response.json()
    assert (status["kind"], status["apiVersion"], status["status"], status["reason"], status["code"]) == (
        "Status", "v1", "Failure", reason, code)
    return status


def _invalid(response, kind, name, causes, group=None):
    """422 Invalid: the message joins '<field>: <detail>' (bracketed when several) and details.causes has each."""
    status = _status(response, 422, "Invalid")
    qualified = f"{kind}.{group}" if group else kind
    text = ", ".join(f"{field}: {message}" for field, message, _ in causes)
    if len(causes) > 1:
        text = f"[{text}]"
    assert status["message"] == f'{qualified} "{name}" is invalid: {text}'
    assert status["details"]["kind"] == kind and status["details"]["name"] == name
    assert status["details"].get("group") == group
    assert status["details"]["causes"] == [{"reason": reason, "message": message, "field": field}
                                           for field, message, reason in causes]


def _class(name, **fields):
    return {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": name},
            "provisioner": CSI, **fields}


def _claim(name, size="1Gi", modes=("ReadWriteOnce",)):
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name},
            "spec": {"accessModes": list(modes), "resources": {"requests": {"storage": size}}}}


# ---- the invalid objects of the bad-input suite (tests/resilience/bad_inputs.yml, coe_storage) -----------------
# The collection refuses these options itself; the server would refuse the objects they would make like this.
@pytest.mark.parametrize("name", ["Fast_SSD", "fast/ssd"])
def test_storage_class_name_that_is_no_dns_subdomain_is_invalid(api, name):
    response = api.call("POST", api.storage_path + "/storageclasses", dict(_class(name), apiVersion=None))
    _invalid(response, "StorageClass", name, [
        ("metadata.name", f'Invalid value: "{name}": {DNS1123_SUBDOMAIN_ERROR}', "FieldValueInvalid")],
        group="storage.k8s.io")


def test_storage_class_name_longer_than_253_is_invalid(api):
    name = "s" * 254
    response = api.call("POST", api.storage_path + "/storageclasses", dict(_class(name), apiVersion=None))
    _invalid(response, "StorageClass", name, [
        ("metadata.name", f'Invalid value: "{name}": must be no more than 253 characters', "FieldValueInvalid")],
        group="storage.k8s.io")


@pytest.mark.parametrize("name", ["Data", "data/../x"])
def test_claim_name_that_is_no_dns_subdomain_is_invalid(api, name):
    response = api.call("POST", "/api/v1/namespaces/default/persistentvolumeclaims", _claim(name))
    _invalid(response, "PersistentVolumeClaim", name, [
        ("metadata.name", f'Invalid value: "{name}": {DNS1123_SUBDOMAIN_ERROR}', "FieldValueInvalid")])


@pytest.mark.parametrize("name, messages", [
    ("My_NS", [DNS1123_LABEL_ERROR]),
    ("n" * 64, ["must be no more than 63 characters"]),
])
def test_namespace_name_that_is_no_dns_label_is_invalid(api, name, messages):
    response = api.call("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                         "metadata": {"name": name}})
    _invalid(response, "Namespace", name, [
        ("metadata.name", f'Invalid value: "{name}": {message}', "FieldValueInvalid") for message in messages])


@pytest.mark.parametrize("size", ["1Gi ", "abc", "lots"])
def test_claim_size_that_is_no_quantity_cannot_be_decoded(schema_api, size):
    # resource.Quantity's UnmarshalJSON fails, so decoding fails: 400, not a validation error.
    response = schema_api.call("POST", "/api/v1/namespaces/default/persistentvolumeclaims", _claim("data", size))
    status = _status(response, 400, "BadRequest")
    assert status["message"] == ('PersistentVolumeClaim in version "v1" cannot be handled as a '
                                 f"PersistentVolumeClaim: {QUANTITY_ERROR}")


@pytest.mark.parametrize("size", ["0", "-1Gi"])
def test_claim_size_not_above_zero_is_invalid(api, size):
    response = api.call("POST", "/api/v1/namespaces/default/persistentvolumeclaims", _claim("data", size))
    _invalid(response, "PersistentVolumeClaim", "data", [
        ("spec.resources[storage]", f'Invalid value: "{size}": must be greater than zero', "FieldValueInvalid")])


def test_claim_without_size_is_invalid(api):
    claim = _claim("data")
    del claim["spec"]["resources"]
    response = api.call("POST", "/api/v1/namespaces/default/persistentvolumeclaims", claim)
    _invalid(response, "PersistentVolumeClaim", "data", [
        ("spec.resources[storage]", "Required value", "FieldValueRequired")])


def test_claim_access_modes(api):
    response = api.call("POST", "/api/v1/namespaces/default/persistentvolumeclaims",
                        _claim("data", modes=["ReadWriteSometimes"]))
    # ReadWriteOncePod is supported from 1.27 on (feature gate ReadWriteOncePod beta, on by default).
    supported = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce"] + (["ReadWriteOncePod"] if api.minor >= 27 else [])
    _invalid(response, "PersistentVolumeClaim", "data", [
        ("spec.accessModes", 'Unsupported value: "ReadWriteSometimes": supported values: '
         + ", ".join(f'"{mode}"' for mode in supported), "FieldValueNotSupported")])
    response = api.call("POST", "/api/v1/namespaces/default/persistentvolumeclaims", _claim("data", modes=[]))
    _invalid(response, "PersistentVolumeClaim", "data", [
        ("spec.accessModes", "Required value: at least 1 access mode is required", "FieldValueRequired")])


def test_storage_class_parameter_that_is_no_string_cannot_be_decoded(schema_api):
    # parameters is a map[string]string: a list value fails Go's JSON decoding.
    response = schema_api.call("POST", "/apis/storage.k8s.io/v1/storageclasses",
                               _class("standard", parameters={"type": ["ssd", "hdd"]}))
    status = _status(response, 400, "BadRequest")
    assert status["message"].startswith('StorageClass in version "v1" cannot be handled as a StorageClass: json: '
                                        "cannot unmarshal array into Go struct field StorageClass.parameters")


def test_several_causes_are_listed_in_one_answer(api):
    response = api.call("POST", "/api/v1/namespaces/default/persistentvolumeclaims",
                        _claim("Data", size="0", modes=[]))
    _invalid(response, "PersistentVolumeClaim", "Data", [
        ("metadata.name", f'Invalid value: "Data": {DNS1123_SUBDOMAIN_ERROR}', "FieldValueInvalid"),
        ("spec.accessModes", "Required value: at least 1 access mode is required", "FieldValueRequired"),
        ("spec.resources[storage]", 'Invalid value: "0": must be greater than zero', "FieldValueInvalid"),
    ])


# ---- conflicts ---------------------------------------------------------------------------------------------------
def test_second_create_is_already_exists_and_stale_update_is_conflict(api):
    path = api.storage_path + "/storageclasses"
    body = dict(_class("conflicting"), apiVersion=api.storage_path[len("/apis/"):])
    created = api.call("POST", path, body)
    assert created.status_code == 201, created.text
    status = _status(api.call("POST", path, body), 409, "AlreadyExists")
    assert status["message"] == 'storageclasses.storage.k8s.io "conflicting" already exists'
    assert status["details"] == {"name": "conflicting", "group": "storage.k8s.io", "kind": "storageclasses"}
    stale = dict(created.json())
    stale["metadata"] = dict(stale["metadata"], resourceVersion="1")
    stale["metadata"].setdefault("labels", {})["changed"] = "yes"
    status = _status(api.call("PUT", path + "/conflicting", stale), 409, "Conflict")
    assert status["message"] == ('Operation cannot be fulfilled on storageclasses.storage.k8s.io "conflicting": the '
                                 "object has been modified; please apply your changes to the latest version and try "
                                 "again")
    assert status["details"] == {"name": "conflicting", "group": "storage.k8s.io", "kind": "storageclasses"}
    assert api.call("DELETE", path + "/conflicting").status_code == 200


# ---- field validation ----------------------------------------------------------------------------------------------
def _unknown_and_duplicate(name):
    return (b'{"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "%s"}, '
            b'"provisioner": "x", "provisioner": "%s", "volumeBindingMode": "Immediate", "fastness": "high"}'
            % (name.encode(), CSI.encode()))


def test_strict_field_validation_refuses_unknown_and_duplicate_fields(schema_api):
    response = schema_api.call("POST", "/apis/storage.k8s.io/v1/storageclasses", _unknown_and_duplicate("strict"),
                               params={"fieldValidation": "Strict"})
    status = _status(response, 400, "BadRequest")
    assert status["message"].startswith('StorageClass in version "v1" cannot be handled as a StorageClass: strict '
                                        "decoding error: ")
    problems = status["message"].split("strict decoding error: ", 1)[1].split(", ")
    assert sorted(problems) == ['duplicate field "provisioner"', 'unknown field "fastness"']
    assert schema_api.call("GET", "/apis/storage.k8s.io/v1/storageclasses/strict").status_code == 404


@pytest.mark.parametrize("directive", ["Warn", None])
def test_warn_field_validation_drops_fields_with_a_warning_each(schema_api, directive):
    name = f"warn-{(directive or 'default').lower()}"
    params = {"fieldValidation": directive} if directive else None
    response = schema_api.call("POST", "/apis/storage.k8s.io/v1/storageclasses", _unknown_and_duplicate(name),
                               params=params)
    assert response.status_code == 201, response.text
    # One header per warning: requests joins repeated headers with ", ".
    warnings = response.headers.get("Warning", "")
    assert '299 - "unknown field \\"fastness\\""' in warnings
    assert '299 - "duplicate field \\"provisioner\\""' in warnings
    stored = schema_api.call("GET", f"/apis/storage.k8s.io/v1/storageclasses/{name}").json()
    assert "fastness" not in stored and stored["provisioner"] == CSI
    assert_known_to_version(schema_api, stored)


def test_ignore_field_validation_drops_fields_silently(schema_api):
    response = schema_api.call("POST", "/apis/storage.k8s.io/v1/storageclasses", _unknown_and_duplicate("ignored"),
                               params={"fieldValidation": "Ignore"})
    assert response.status_code == 201 and "Warning" not in response.headers
    assert "fastness" not in response.json()


def test_unknown_field_of_a_merge_patch(schema_api):
    path = "/apis/storage.k8s.io/v1/storageclasses"
    assert schema_api.call("POST", path, _class("patched")).status_code == 201
    response = schema_api.call("PATCH", path + "/patched", {"spec": {"fast": True}},
                               params={"fieldValidation": "Strict"}, content_type="application/merge-patch+json")
    status = _status(response, 400, "BadRequest")
    assert status["message"] == 'strict decoding error: unknown field "spec"'
    response = schema_api.call("PATCH", path + "/patched", {"spec": {"fast": True}},
                               content_type="application/merge-patch+json")
    assert response.status_code == 200 and "spec" not in response.json()
    assert response.headers["Warning"] == '299 - "unknown field \\"spec\\""'


def test_unsupported_field_validation_value_is_invalid(schema_api):
    response = schema_api.call("POST", "/apis/storage.k8s.io/v1/storageclasses", _class("x"),
                               params={"fieldValidation": "strict"})
    status = _status(response, 422, "Invalid")
    assert status["message"] == ('CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: '
                                 '"strict": supported values: "", "Ignore", "Strict", "Warn"')


def test_field_validation_is_unknown_before_1_25(tmp_path):
    old = Api(tmp_path, "v1.24.17")
    try:
        response = old.call("POST", "/apis/storage.k8s.io/v1/storageclasses", _unknown_and_duplicate("old"),
                            params={"fieldValidation": "Strict"})
        assert response.status_code == 201 and "Warning" not in response.headers
    finally:
        old.stop()


def test_value_of_the_wrong_type_cannot_be_decoded(schema_api):
    response = schema_api.call("POST", "/apis/storage.k8s.io/v1/storageclasses",
                               _class("typed", allowVolumeExpansion="yes"))
    status = _status(response, 400, "BadRequest")
    assert status["message"] == ('StorageClass in version "v1" cannot be handled as a StorageClass: json: cannot '
                                 "unmarshal string into Go struct field StorageClass.allowVolumeExpansion of type bool")


# ---- strategic merge patch and paging -------------------------------------------------------------------------------
def test_strategic_merge_patch_merges_lists_that_say_so(schema_api):
    path = "/api/v1/namespaces/default/pods"
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "smp", "finalizers": ["example.com/a"]},
           "spec": {"containers": [{"name": "a", "image": "busybox:1", "args": ["sleep"]},
                                   {"name": "b", "image": "busybox:1"}]}}
    assert schema_api.call("POST", path, pod).status_code == 201
    # containers: patch strategy merge, merge key name; metadata.finalizers: merge (a set).
    response = schema_api.call("PATCH", path + "/smp", {
        "metadata": {"finalizers": ["example.com/b"]},
        "spec": {"containers": [{"name": "a", "image": "busybox:2"}]}},
        content_type="application/strategic-merge-patch+json")
    assert response.status_code == 200, response.text
    patched = response.json()
    assert patched["metadata"]["finalizers"] == ["example.com/a", "example.com/b"]
    assert [(c["name"], c["image"], c.get("args")) for c in patched["spec"]["containers"]] == [
        ("a", "busybox:2", ["sleep"]), ("b", "busybox:1", None)]
    # A JSON merge patch replaces lists whole (RFC 7386).
    response = schema_api.call("PATCH", path + "/smp", {"metadata": {"finalizers": ["example.com/c"]}},
                               content_type="application/merge-patch+json")
    assert response.json()["metadata"]["finalizers"] == ["example.com/c"]
    schema_api.call("PATCH", path + "/smp", {"metadata": {"finalizers": None}},
                    content_type="application/merge-patch+json")
    schema_api.call("DELETE", path + "/smp")


def test_list_in_chunks(api):
    for index in range(5):
        assert api.call("POST", "/api/v1/namespaces", {"metadata": {"name": f"chunk-{index}"}}).status_code == 201
    everything = [item["metadata"]["name"] for item in api.call("GET", "/api/v1/namespaces").json()["items"]]
    seen, token, pages = [], None, 0
    while True:
        params = {"limit": 2, **({"continue": token} if token else {})}
        page = api.call("GET", "/api/v1/namespaces", params=params).json()
        pages += 1
        assert len(page["items"]) <= 2
        seen += [item["metadata"]["name"] for item in page["items"]]
        token = page["metadata"].get("continue")
        if not token:
            assert "remainingItemCount" not in page["metadata"]
            break
        assert page["metadata"]["remainingItemCount"] == len(everything) - len(seen)
    assert seen == everything and pages == -(-len(everything) // 2)
    status = _status(api.call("GET", "/api/v1/namespaces", params={"limit": 2, "continue": "not-a-token"}),
                     400, "BadRequest")
    assert status["message"].startswith("continue key is not valid")
    for index in range(5):
        api.call("DELETE", f"/api/v1/namespaces/chunk-{index}")


# ---- the collection's request sequences, with Strict validation on every write --------------------------------------
@pytest.fixture(scope="session")
def collection(tmp_path_factory):
    """The collection's module_utils, importable as ansible_collections.coe.magnum from this checkout."""
    root = tmp_path_factory.mktemp("collections")
    link = root / "ansible_collections" / "coe" / "magnum"
    link.parent.mkdir(parents=True)
    link.symlink_to(REPO)
    sys.path.insert(0, str(root))
    from ansible_collections.coe.magnum.plugins.module_utils import cluster_probe, kube_client
    from ansible_collections.coe.magnum.plugins.module_utils.storage import reconcile
    return kube_client, reconcile, cluster_probe


def _strict_client(api, kube_client):
    from kubernetes import client as kubernetes_client

    class StrictClient(kube_client.KubeClient):
        """The collection's client, asking the server to refuse whatever it would drop or could not decode."""

        def _send(self, method, path, body, query, content_type):
            if method in ("POST", "PUT", "PATCH"):
                query = list(query or []) + [("fieldValidation", "Strict")]
            return super()._send(method, path, body, query, content_type)

    configuration, label = kube_client.build_configuration({"kubeconfig": str(api.kubeconfig)})
    return StrictClient(kubernetes_client.ApiClient(configuration=configuration), label, sleep=lambda _s: None)


def _storage_params(**changes):
    params = {"state": "present", "wait": False, "timeout": 5, "delete_bound_claims": False,
              "storage_class": {"name": "standard", "provisioner": "auto", "default": True, "replace": False,
                                "parameters": {"type": "standard"}, "reclaim_policy": None, "mount_options": None,
                                "allow_volume_expansion": None, "volume_binding_mode": None,
                                "existing_default": None},
              "claims": [{"name": "myvolume", "namespace": "conformance", "size": "1Gi",
                          "access_modes": ["ReadWriteOnce"], "storage_class": None}]}
    for key, value in changes.items():
        if key in params["storage_class"]:
            params["storage_class"][key] = value
        else:
            params[key] = value
    return params


def _run(reconcile, client, params):
    warnings = []
    result = reconcile.StorageReconciler(client, params, warn=warnings.append).run()
    return result, warnings


def test_coe_storage_sequences(api, collection):
    kube_client, reconcile, _probe = collection
    client = _strict_client(api, kube_client)
    new = api.minor >= 8
    first, _ = _run(reconcile, client, _storage_params(**({"allow_volume_expansion": False} if new else {})))
    assert first["changed"] and len(first["actions"]) == 3, first["actions"]
    again, _ = _run(reconcile, client, _storage_params(**({"allow_volume_expansion": False} if new else {})))
    assert not again["changed"], again["actions"]
    if new:
        grown, _ = _run(reconcile, client, _storage_params(allow_volume_expansion=True,
                                                               volume_binding_mode="WaitForFirstConsumer",
                                                               replace=True))
        assert grown["actions"] == ["replaced StorageClass standard (deleted and created again)"]
        patched, _ = _run(reconcile, client, _storage_params(allow_volume_expansion=False,
                                                                volume_binding_mode="WaitForFirstConsumer"))
        assert patched["actions"] == ["updated StorageClass standard (allowVolumeExpansion)"]
    other = _storage_params(name="fast", claims=[], existing_default="replace")
    taken, _ = _run(reconcile, client, other)
    assert "StorageClass standard is no longer the default class" in taken["actions"]
    classes = api.call("GET", api.storage_path + "/storageclasses").json()["items"]
    claims = api.call("GET", "/api/v1/namespaces/conformance/persistentvolumeclaims").json()["items"]
    if api.minor >= 25:
        for obj in classes + claims:
            assert_known_to_version(api, obj)
    gone, _ = _run(reconcile, client, _storage_params(state="absent"))
    assert gone["actions"] == ["deleted PersistentVolumeClaim conformance/myvolume", "deleted StorageClass standard"]
    _run(reconcile, client, _storage_params(name="fast", state="absent", claims=[]))


def test_cluster_check_sequence(api, collection):
    kube_client, _storage, cluster_probe = collection
    client = _strict_client(api, kube_client)
    path = api.storage_path + "/storageclasses"
    body = _class("check-default")
    body["apiVersion"] = api.storage_path[len("/apis/"):]
    key = "storageclass.kubernetes.io/is-default-class" if api.minor >= 6 else \
        "storageclass.beta.kubernetes.io/is-default-class"
    body["metadata"]["annotations"] = {key: "true"}
    if api.minor < 14:
        body["provisioner"] = "kubernetes.io/cinder"
    assert api.call("POST", path, body).status_code == 201
    params = {"expected_nodes": 2, "storage": True, "claim": True, "workload": True, "timeout": 1,
              "claim_size": "1Gi", "namespace_prefix": "cluster-check", "image": "busybox", "args": [],
              "container_port": 8080}
    results = {item["name"]: item for item in cluster_probe.ClusterProbe(client, params).run()}
    assert results["api"]["status"] == "passed" and results["nodes"]["status"] == "passed", results
    assert results["default_storage_class"]["status"] == "passed", results
    # No cloud behind this emulator: the claim is accepted and stays Pending, so the check times out (not refused).
    assert "did not bind" in results["claim"]["message"], results["claim"]
    assert results["workload"]["status"] == "not possible here"
    assert results["cleanup"]["status"] == "passed", results["cleanup"]
    api.call("DELETE", path + "/check-default")


def test_coe_storage_read_write_once_pod(schema_api, collection):
    """The API server refuses ReadWriteOncePod before 1.27; the collection says so before it changes anything."""
    kube_client, reconcile, _probe = collection
    from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError
    client = _strict_client(schema_api, kube_client)
    params = _storage_params(name="once", default=False)
    params["claims"][0].update(name="once", access_modes=["ReadWriteOncePod"])
    if schema_api.minor >= 27:
        result, _ = _run(reconcile, client, params)
        assert result["claims"][0]["spec"]["accessModes"] == ["ReadWriteOncePod"]
        _run(reconcile, client, dict(params, state="absent"))
        return
    with pytest.raises(CoeError, match="access mode ReadWriteOncePod needs Kubernetes 1.27 or later"):
        _run(reconcile, client, params)
    assert schema_api.call("GET", "/apis/storage.k8s.io/v1/storageclasses/once").status_code == 404


# ---- server-side apply (API concepts, "Server-Side Apply": field management, conflicts, force) -------------------
APPLY = "application/apply-patch+yaml"


def _owners(obj, field):
    """Managers whose managedFields entry names the top-level field."""
    return sorted(entry["manager"] for entry in obj["metadata"].get("managedFields") or []
                  if f"f:{field}" in entry["fieldsV1"])


def test_apply_needs_a_field_manager(schema_api):
    response = schema_api.call("PATCH", "/apis/storage.k8s.io/v1/storageclasses/applied", _class("applied"),
                               content_type=APPLY)
    status = _status(response, 422, "Invalid")
    assert status["message"] == ('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required '
                                 "for apply patch")


def test_apply_owns_fields_conflicts_and_forces(schema_api):
    path = "/apis/storage.k8s.io/v1/storageclasses/applied"
    config = _class("applied", allowVolumeExpansion=False)
    config["metadata"]["labels"] = {"tier": "gold", "team": "storage"}
    created = schema_api.call("PATCH", path, config, params={"fieldManager": "magnum"}, content_type=APPLY)
    assert created.status_code == 201, created.text
    entry, = created.json()["metadata"]["managedFields"]
    assert (entry["manager"], entry["operation"], entry["apiVersion"], entry["fieldsType"]) == (
        "magnum", "Apply", "storage.k8s.io/v1", "FieldsV1")
    assert entry["fieldsV1"]["f:metadata"]["f:labels"] == {"f:team": {}, "f:tier": {}}
    assert_known_to_version(schema_api, created.json())
    # Another manager changes a field the applier owns: it owns it now.
    changed = schema_api.call("PATCH", path, {"allowVolumeExpansion": True}, params={"fieldManager": "operator"},
                              content_type="application/merge-patch+json")
    assert _owners(changed.json(), "allowVolumeExpansion") == ["operator"]
    # Applying the old value again conflicts with that manager, naming the field.
    status = _status(schema_api.call("PATCH", path, config, params={"fieldManager": "magnum"}, content_type=APPLY),
                     409, "Conflict")
    assert status["message"] == ('Apply failed with 1 conflict: conflict with "operator" using storage.k8s.io/v1: '
                                 ".allowVolumeExpansion")
    # apimachinery's NewApplyConflict: the details hold the causes only.
    assert status["details"] == {"causes": [{"reason": "FieldManagerConflict", "field": ".allowVolumeExpansion",
                                             "message": 'conflict with "operator" using storage.k8s.io/v1'}]}
    # force=true takes the field over.
    forced = schema_api.call("PATCH", path, config, params={"fieldManager": "magnum", "force": "true"},
                             content_type=APPLY)
    assert forced.status_code == 200 and forced.json()["allowVolumeExpansion"] is False
    assert _owners(forced.json(), "allowVolumeExpansion") == ["magnum"]
    # A field the manager applied before and applies no more is removed.
    config["metadata"]["labels"] = {"tier": "gold"}
    pruned = schema_api.call("PATCH", path, config, params={"fieldManager": "magnum"}, content_type=APPLY)
    assert pruned.json()["metadata"]["labels"] == {"tier": "gold"}
    schema_api.call("DELETE", path)


def test_apply_is_unknown_before_server_side_apply(tmp_path):
    old = Api(tmp_path, OLD)
    try:
        status = _status(old.call("PATCH", "/apis/storage.k8s.io/v1beta1/storageclasses/x", {"provisioner": "p"},
                                  params={"fieldManager": "m"}, content_type=APPLY), 415, "UnsupportedMediaType")
        assert APPLY not in status["message"]
    finally:
        old.stop()


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kubectl_client_and_server_side_apply(schema_api, tmp_path):
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text(yaml.safe_dump_all([_class("kubectl-class"), dict(_claim("kubectl-claim"), metadata={
        "name": "kubectl-claim", "namespace": "default"})]))

    def kubectl(*args):
        done = subprocess.run(["kubectl", "--kubeconfig", str(schema_api.kubeconfig), *args], capture_output=True,
                              text=True, timeout=60, check=False)
        return done.returncode, done.stdout + done.stderr

    assert kubectl("apply", "-f", str(manifest)) == (0, "storageclass.storage.k8s.io/kubectl-class created\n"
                                                        "persistentvolumeclaim/kubectl-claim created\n")
    assert kubectl("apply", "-f", str(manifest)) == (0, "storageclass.storage.k8s.io/kubectl-class unchanged\n"
                                                        "persistentvolumeclaim/kubectl-claim unchanged\n")
    code, output = kubectl("apply", "--server-side", "--force-conflicts", "-f", str(manifest))
    assert code == 0 and "serverside-applied" in output, output
    manifest.write_text(yaml.safe_dump(_class("kubectl-typo", reclaimPolcy="Retain")))
    code, output = kubectl("create", "-f", str(manifest))
    assert code == 1 and 'strict decoding error: unknown field "reclaimPolcy"' in output, output
    kubectl("delete", "pvc/kubectl-claim", "storageclass/kubectl-class")


@pytest.mark.parametrize("path", ["/api/v1/nodes", "/api/v1/namespaces", "/apis/storage.k8s.io/v1/csidrivers",
                                  "/api/v1/namespaces/default/persistentvolumeclaims",
                                  "/api/v1/namespaces/default/pods"])
def test_what_the_server_makes_is_known_to_its_version(schema_api, path):
    """Defaults, statuses and seeded objects use only fields the version's schema has (none are invented)."""
    made = {"persistentvolumeclaims": _claim("defaulted"),
            "pods": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "defaulted"},
                     "spec": {"containers": [{"name": "main", "image": "busybox"}]}}}
    plural = path.rsplit("/", 1)[1]
    if plural in made:
        assert schema_api.call("POST", path, made[plural]).status_code == 201
    items = schema_api.call("GET", path).json()["items"]
    assert items
    for item in items:
        assert_known_to_version(schema_api, item)
    if plural in made:
        schema_api.call("DELETE", path + "/defaulted")
