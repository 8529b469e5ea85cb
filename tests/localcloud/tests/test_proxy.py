"""The front proxy between a tiny backend and plain HTTP clients: forwarding, the request log, fault rules."""

import http.client
import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import openstack
import pytest
from keystoneauth1 import discover
from keystoneauth1 import exceptions as keystoneauth_exceptions
from magnumclient import client as magnum_client
from magnumclient import exceptions as magnum_exceptions

from localcloud import config, faults

SOURCE_DIR = Path(__file__).resolve().parents[1]
MAGNUM_ROOT = {
    "name": "OpenStack Magnum API",
    "versions": [{"id": "v1", "status": "CURRENT", "max_version": "1.12", "min_version": "1.1",
                  "links": [{"href": "http://127.0.0.1/v1/", "rel": "self"}]}],
}


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Backend(http.server.ThreadingHTTPServer):
    """Echoes every request as JSON and remembers it; a few paths answer like Magnum or in chunks."""

    daemon_threads = True

    def __init__(self):
        self.seen = []
        super().__init__(("127.0.0.1", 0), BackendHandler)


class BackendHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def __getattr__(self, name):
        if name.startswith("do_"):
            return self._answer
        raise AttributeError(name)

    def _answer(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.seen.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                                 "body": body.decode()})
        if self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"first,", b"second,", b"third"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
            return
        if self.path == "/":
            document = MAGNUM_ROOT
        else:
            document = {"method": self.command, "path": self.path, "body": body.decode(),
                        "version": self.headers.get("OpenStack-API-Version")}
        payload = json.dumps(document).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("OpenStack-API-Maximum-Version", "container-infrastructure-management 1.12")
        self.send_header("X-Backend", "yes")
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture(scope="module")
def backend():
    server = Backend()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def _start_proxy(routes, log, rules, catalog_ports=None, extra=()):
    """Run the proxy as the local cloud does, with routes {service: (listen_port, backend_port)}."""
    command = [sys.executable, "-m", "localcloud.proxy", "--log", str(log), "--faults", str(rules), *extra]
    for service, (listen_port, backend_port) in routes.items():
        command += ["--route", f"{service}={listen_port}:{backend_port}"]
    for old, new in (catalog_ports or {}).items():
        command += ["--catalog-port", f"{old}={new}"]
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(SOURCE_DIR),
                                                                            os.environ.get("PYTHONPATH")])))
    process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            for listen_port, _ in routes.values():
                socket.create_connection(("127.0.0.1", listen_port), timeout=1).close()
            return process
        except OSError:
            assert process.poll() is None, process.stderr.read().decode()
            time.sleep(0.05)
    process.kill()
    raise AssertionError("the proxy did not listen within 10 s")


@pytest.fixture(scope="module")
def proxy(backend, tmp_path_factory):
    directory = tmp_path_factory.mktemp("proxy")
    ports = {"web": _free_port(), "magnum": _free_port(), "down": _free_port()}
    backends = {"web": backend.server_address[1], "magnum": backend.server_address[1], "down": _free_port()}
    log, rules = directory / "requests.jsonl", directory / "faults.json"
    process = _start_proxy({service: (port, backends[service]) for service, port in ports.items()}, log, rules)
    yield {"ports": ports, "log": str(log), "rules": str(rules)}
    process.terminate()
    process.wait(10)


@pytest.fixture(autouse=True)
def no_faults(proxy, backend):
    faults.clear_faults(proxy["rules"])
    backend.seen.clear()
    yield
    faults.clear_faults(proxy["rules"])


def _request(proxy, method, path, body=None, headers=None, service="web"):
    connection = http.client.HTTPConnection("127.0.0.1", proxy["ports"][service], timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_forwards_request_and_logs_it(proxy, backend):
    start = time.time()
    status, headers, body = _request(proxy, "PATCH", "/v1/things/1?x=y", body=b'[{"op": "remove"}]',
                                     headers={"Content-Type": "application/json-patch+json", "X-Auth-Token": "t",
                                              "User-Agent": "coe.magnum openstacksdk/4.0.0"})
    assert status == 200
    assert headers["X-Backend"] == "yes"
    assert json.loads(body) == {"method": "PATCH", "path": "/v1/things/1?x=y", "body": '[{"op": "remove"}]',
                                "version": None}
    seen = backend.seen[-1]
    assert seen["headers"]["X-Auth-Token"] == "t"
    assert seen["headers"]["Host"] == f"127.0.0.1:{proxy['ports']['web']}"
    [record] = faults.read_requests(proxy["log"], since=start)
    assert {key: record[key] for key in ("service", "method", "path", "status", "fault", "agent")} == {
        "service": "web", "method": "PATCH", "path": "/v1/things/1?x=y", "status": 200, "fault": None,
        "agent": "coe.magnum openstacksdk/4.0.0"}
    assert record["time"] >= start and record["duration"] >= 0


def test_service_that_does_not_answer_is_a_bad_gateway(proxy):
    with faults.recorded_requests(proxy["log"]) as requests:
        status, _, body = _request(proxy, "GET", "/v2.0/networks", service="down")
    assert status == 502
    assert "the down service does not answer" in json.loads(body)["error"]["message"]
    assert [(r["service"], r["status"]) for r in requests] == [("down", 502)]


def test_chunked_responses_over_one_kept_alive_connection(proxy):
    connection = http.client.HTTPConnection("127.0.0.1", proxy["ports"]["web"], timeout=10)
    try:
        for _ in range(2):
            connection.request("GET", "/chunked")
            response = connection.getresponse()
            assert response.read() == b"first,second,third"
        connection.request("DELETE", "/v1/things/2")
        assert connection.getresponse().status == 200
    finally:
        connection.close()


def test_status_fault_applies_the_given_number_of_times(proxy, backend):
    faults.set_faults(proxy["rules"], [{"service": "magnum", "method": "POST", "path": "^/v1/clusters$",
                                        "times": 2, "action": "status", "status": 503}])
    with faults.recorded_requests(proxy["log"]) as requests:
        answers = [_request(proxy, "POST", "/v1/clusters", body=b"{}", service="magnum") for _ in range(3)]
    assert [status for status, _, _ in answers] == [503, 503, 200]
    error = json.loads(answers[0][2])["errors"][0]
    assert (error["status"], error["title"]) == (503, "Service Unavailable")
    assert len(backend.seen) == 1
    assert [(r["status"], r["fault"]) for r in requests] == [(503, "status"), (503, "status"), (200, None)]


def test_rule_matches_only_its_service_and_method(proxy, backend):
    faults.set_faults(proxy["rules"], [{"service": "magnum", "method": "DELETE", "path": "/v1/clusters/",
                                        "action": "status", "status": 500}])
    assert _request(proxy, "DELETE", "/v1/clusters/abc", service="web")[0] == 200
    assert _request(proxy, "GET", "/v1/clusters/abc", service="magnum")[0] == 200
    assert _request(proxy, "DELETE", "/v1/clusters/abc", service="magnum")[0] == 500


def test_reset_closes_the_connection_without_answer(proxy, backend):
    faults.set_faults(proxy["rules"], [{"path": "^/v1/reset", "action": "reset", "times": 1}])
    with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected)):
        _request(proxy, "GET", "/v1/reset")
    assert backend.seen == []
    assert _request(proxy, "GET", "/v1/reset")[0] == 200


def test_latency_delays_the_answer(proxy, backend):
    faults.set_faults(proxy["rules"], [{"path": "^/slow$", "action": "latency", "seconds": 0.3}])
    with faults.recorded_requests(proxy["log"]) as requests:
        assert _request(proxy, "GET", "/slow")[0] == 200
    [record] = requests
    assert record["fault"] == "latency"
    assert record["duration"] >= 0.3


def test_lost_response_lets_the_service_act(proxy, backend):
    faults.set_faults(proxy["rules"], [{"method": "POST", "path": "^/v1/clusters$", "action": "lost_response",
                                        "times": 1}])
    with faults.recorded_requests(proxy["log"]) as requests:
        with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected)):
            _request(proxy, "POST", "/v1/clusters", body=b'{"name": "k8s"}')
    assert [seen["body"] for seen in backend.seen] == ['{"name": "k8s"}']
    assert [(r["status"], r["fault"]) for r in requests] == [(200, "lost_response")]


@pytest.mark.parametrize("status", [502, 503, 504])
def test_replaced_response_lets_the_service_act_then_answers_the_status(proxy, backend, status):
    faults.set_faults(proxy["rules"], [{"service": "magnum", "method": "PATCH", "path": "^/v1/clusters/",
                                        "action": "replaced_response", "status": status, "times": 1}])
    with faults.recorded_requests(proxy["log"]) as requests:
        answered, _, body = _request(proxy, "PATCH", "/v1/clusters/k8s", body=b'[{"op": "replace"}]',
                                     service="magnum")
        again = _request(proxy, "PATCH", "/v1/clusters/k8s", body=b'[{"op": "replace"}]', service="magnum")[0]
    assert answered == status
    assert json.loads(body)["errors"][0]["status"] == status
    assert [seen["body"] for seen in backend.seen] == ['[{"op": "replace"}]'] * 2
    assert again == 200
    assert [(r["status"], r.get("backend_status"), r["fault"]) for r in requests] == [
        (status, 200, "replaced_response"), (200, None, None)]


def test_replaced_response_needs_a_status(proxy):
    with pytest.raises(ValueError, match="replaced_response needs an integer 'status'"):
        faults.set_faults(proxy["rules"], [{"action": "replaced_response"}])


def test_https_in_front_of_an_https_service_that_wants_a_client_certificate(tmp_path):
    """As in front of a cluster's Kubernetes API: HTTPS to the client with its own certificate, HTTPS to the
    service with the client certificate it is given; faults and the log work on the HTTP requests inside."""
    import ssl

    from localcloud.kubeemu import certs
    files = {}
    ca, ca_key = certs.make_ca()
    proxy_ca, proxy_ca_key = certs.make_ca("proxy-ca")
    pairs = {"server": certs.make_server_certificate(ca, ca_key),
             "client": certs.make_client_certificate(ca, ca_key, "admin"),
             "proxy": certs.make_server_certificate(proxy_ca, proxy_ca_key)}
    for name, content in [("ca", ca), ("proxy-ca", proxy_ca)] + [
            (f"{name}-{part}", pem) for name, pair in pairs.items() for part, pem in zip(("cert", "key"), pair)]:
        files[name] = tmp_path / f"{name}.pem"
        files[name].write_bytes(content)
    service = Backend()
    service_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    service_context.load_cert_chain(files["server-cert"], files["server-key"])
    service_context.verify_mode = ssl.CERT_REQUIRED
    service_context.load_verify_locations(files["ca"])
    service.socket = service_context.wrap_socket(service.socket, server_side=True)
    threading.Thread(target=service.serve_forever, daemon=True).start()
    port, log, rules = _free_port(), tmp_path / "requests.jsonl", tmp_path / "faults.json"
    process = _start_proxy({"kubernetes": (port, service.server_address[1])}, log, rules, extra=[
        "--tls-cert", str(files["proxy-cert"]), "--tls-key", str(files["proxy-key"]), "--backend-ca", str(files["ca"]),
        "--backend-cert", str(files["client-cert"]), "--backend-key", str(files["client-key"])])
    try:
        faults.set_faults(str(rules), [{"method": "POST", "action": "status", "status": 503, "times": 1}])
        answers = []
        for method in ("GET", "POST"):
            connection = http.client.HTTPSConnection(
                "127.0.0.1", port, timeout=10, context=ssl.create_default_context(cafile=str(files["proxy-ca"])))
            connection.request(method, "/api/v1/namespaces/a%23b", body=b"{}" if method == "POST" else None)
            response = connection.getresponse()
            answers.append((response.status, json.loads(response.read())))
            connection.close()
        assert answers[0] == (200, {"method": "GET", "path": "/api/v1/namespaces/a%23b", "body": "",
                                    "version": None})
        assert answers[1][0] == 503 and answers[1][1]["kind"] == "Status" and answers[1][1]["code"] == 503
        assert [seen["method"] for seen in service.seen] == ["GET"]
        assert [(r["service"], r["method"], r["status"]) for r in faults.read_requests(str(log))] == [
            ("kubernetes", "GET", 200), ("kubernetes", "POST", 503)]
    finally:
        process.terminate()
        process.wait(10)
        service.shutdown()
        service.server_close()


def test_expired_token_is_refused_everywhere_from_then_on(proxy, backend):
    faults.set_faults(proxy["rules"], [{"service": "magnum", "method": "GET", "path": "^/v1/clusters/",
                                        "action": "expire_token", "times": 1, "name": "expiry"}])
    with faults.recorded_requests(proxy["log"]) as requests:
        assert _request(proxy, "GET", "/v1/clusters", headers={"X-Auth-Token": "old"}, service="magnum")[0] == 200
        status, _, body = _request(proxy, "GET", "/v1/clusters/a", headers={"X-Auth-Token": "old"}, service="magnum")
        assert status == 401
        assert json.loads(body)["error"]["code"] == 401
        # The same token on another service and path; no token at all; then a new token on the faulted path.
        assert _request(proxy, "POST", "/v2.0/ports", headers={"X-Auth-Token": "old"})[0] == 401
        assert _request(proxy, "GET", "/v1/clusters/a", service="magnum")[0] == 200
        assert _request(proxy, "GET", "/v1/clusters/a", headers={"X-Auth-Token": "new"}, service="magnum")[0] == 200
    assert [(r["status"], r["fault"], r.get("rule")) for r in requests] == [
        (200, None, None), (401, "expire_token", "expiry"), (401, "expire_token", "expiry"), (200, None, None),
        (200, None, None)]
    faults.clear_faults(proxy["rules"])
    assert _request(proxy, "GET", "/v1/clusters/a", headers={"X-Auth-Token": "old"}, service="magnum")[0] == 200


def test_rules_file_is_read_again_when_it_changes(proxy):
    faults.set_faults(proxy["rules"], [{"path": "^/v1/x$", "action": "status", "status": 409}])
    assert _request(proxy, "GET", "/v1/x")[0] == 409
    faults.set_faults(proxy["rules"], [{"path": "^/v1/x$", "action": "status", "status": 404}])
    assert _request(proxy, "GET", "/v1/x")[0] == 404
    with faults.injected([{"path": "^/v1/x$", "action": "status", "status": 500}], path=proxy["rules"]):
        assert _request(proxy, "GET", "/v1/x")[0] == 500
    assert _request(proxy, "GET", "/v1/x")[0] == 200


def test_invalid_rules_are_refused_before_they_reach_the_proxy(proxy):
    with pytest.raises(ValueError, match="rule 0: action must be one of"):
        faults.set_faults(proxy["rules"], [{"path": "/", "action": "explode"}])
    with pytest.raises(ValueError, match="needs an integer 'status'"):
        faults.set_faults(proxy["rules"], [{"path": "/", "action": "status"}])


def test_older_magnum_api(proxy, backend):
    faults.set_faults([], magnum_max_version="1.4", path=proxy["rules"])

    status, headers, body = _request(proxy, "GET", "/", service="magnum")
    assert json.loads(body)["versions"][0]["max_version"] == "1.4"
    assert headers["OpenStack-API-Maximum-Version"] == "container-infrastructure-management 1.4"

    status, headers, body = _request(proxy, "GET", "/v1/clusters", service="magnum",
                                     headers={"OpenStack-API-Version": "container-infra 1.8",
                                              "Accept": "application/json"})
    assert status == 406
    assert headers["OpenStack-API-Version"] == "container-infrastructure-management 1.8"
    error = json.loads(body)["errors"][0]
    assert (error["max_version"], error["code"]) == ("1.4", "magnum.microversion-unsupported")
    assert "Version 1.8 was requested" in error["description"]
    assert [seen["path"] for seen in backend.seen] == ["/"]

    status, headers, body = _request(proxy, "GET", "/v1/clusters", service="magnum",
                                     headers={"OpenStack-API-Version": "container-infra 1.3"})
    assert (status, headers["OpenStack-API-Maximum-Version"]) == (200, "container-infrastructure-management 1.4")

    status, _, body = _request(proxy, "GET", "/v1/clusters", service="magnum",
                               headers={"OpenStack-API-Version": "container-infra latest"})
    assert json.loads(body)["version"] == "container-infra 1.4"

    faults.clear_faults(proxy["rules"])
    status, _, body = _request(proxy, "GET", "/v1/clusters", service="magnum",
                               headers={"OpenStack-API-Version": "container-infra 1.8"})
    assert status == 200
    assert json.loads(_request(proxy, "GET", "/", service="magnum")[2])["versions"][0]["max_version"] == "1.12"



@pytest.fixture
def live_magnum(cloud, tmp_path):
    """The running local cloud's Magnum behind a proxy of the test's own, so its rules touch no one else."""
    backend_port = config.backend_port("magnum")
    port = _free_port()
    rules, log = str(tmp_path / "faults.json"), str(tmp_path / "requests.jsonl")
    process = _start_proxy({"magnum": (port, backend_port)}, log, rules)

    def magnum(api_version, through_proxy=True):
        endpoint = f"http://127.0.0.1:{port if through_proxy else backend_port}/v1"
        return magnum_client.Client("1", session=cloud.session, endpoint_override=endpoint, api_version=api_version)

    yield {"magnum": magnum, "rules": rules, "log": log, "port": port, "session": cloud.session}
    process.terminate()
    process.wait(10)


def test_real_magnum_as_an_older_release(live_magnum):
    faults.set_faults([], magnum_max_version="1.4", path=live_magnum["rules"])
    [version] = discover.get_version_data(live_magnum["session"], f"http://127.0.0.1:{live_magnum['port']}/")
    assert version["max_version"] == "1.4"
    with pytest.raises(magnum_exceptions.NotAcceptable):
        live_magnum["magnum"]("1.8").clusters.list()
    live_magnum["magnum"]("1.4").clusters.list()
    live_magnum["magnum"]("latest").clusters.list()
    assert [(r["status"], r["fault"]) for r in faults.read_requests(live_magnum["log"], service="magnum")
            if r["path"].startswith("/v1/clusters")] == [(406, "old_api"), (200, None), (200, None)]


def test_real_magnum_acts_on_a_lost_response(live_magnum):
    name = f"lost-response-{os.getpid()}-{time.monotonic_ns()}"
    faults.set_faults([{"service": "magnum", "method": "POST", "path": "^/v1/clustertemplates$",
                        "action": "lost_response", "times": 1}], path=live_magnum["rules"])
    with pytest.raises(keystoneauth_exceptions.ConnectionError):
        live_magnum["magnum"]("latest").cluster_templates.create(
            name=name, coe="kubernetes", image_id="fedora-coreos-40", external_network_id="public")
    direct = live_magnum["magnum"]("latest", through_proxy=False)
    created = [template for template in direct.cluster_templates.list() if template.name == name]
    try:
        assert len(created) == 1
        [record] = faults.read_requests(live_magnum["log"], service="magnum")
        assert (record["status"], record["fault"]) == (201, "lost_response")
    finally:
        for template in created:
            direct.cluster_templates.delete(template.uuid)


def test_catalog_ports_lead_clients_to_the_proxy_without_overrides(cloud, tmp_path):
    """A proxy of one's own in front of Keystone and Neutron: the tokens it relays name its ports in the catalog,
    so openstacksdk reaches Neutron through it exactly as through the real catalog (no version request)."""
    ports = {service: _free_port() for service in ("keystone", "neutron")}
    log = tmp_path / "requests.jsonl"
    process = _start_proxy({service: (port, config.backend_port(service)) for service, port in ports.items()},
                           log, tmp_path / "faults.json",
                           catalog_ports={config.CATALOG_PORTS[service]: port for service, port in ports.items()})
    try:
        auth = dict(cloud.config.config["auth"], auth_url=f"http://127.0.0.1:{ports['keystone']}/v3")
        own = openstack.connect(auth=auth, auth_type="password", region_name=cloud.config.region_name)
        assert own.session.get_endpoint(service_type="network", interface="public") == \
            f"http://127.0.0.1:{ports['neutron']}"
        list(own.network.security_groups(id=["no-such-group"]))
        own.close()
    finally:
        process.terminate()
        process.wait(10)
    paths = [(r["service"], r["method"], r["path"].partition("?")[0]) for r in faults.read_requests(str(log))]
    assert ("neutron", "GET", "/v2.0/security-groups") in paths
    assert not any(service == "neutron" and path in ("/", "/v2.0", "/v2.0/") for service, _m, path in paths), paths
