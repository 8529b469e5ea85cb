"""Front proxy of the local cloud: forwards each catalog port to its service, logs every request, injects faults.

    python -m localcloud.proxy --route keystone=25000:26000 --route magnum=25511:26511 \\
        --log requests.jsonl --faults faults.json

In front of an HTTPS service such as a cluster's Kubernetes API, --tls-cert/--tls-key make it serve HTTPS itself
(so it sees, logs and faults each HTTP request), and --backend-ca/--backend-cert/--backend-key make it reach the
service over HTTPS, verified against that CA, with that client certificate.

One JSON line per request goes to the log (time, service, method, path, status, duration, fault, agent); the fault
rules (see localcloud.faults) are re-read whenever their file changes.
"""

import argparse
import hashlib
import http.client
import http.server
import json
import logging
import os
import re
import signal
import socket
import ssl
import struct
import sys
import threading
import time
from urllib.parse import urlsplit

from localcloud import faults as faults_api
from localcloud.httpbody import read_request_body

LOG = logging.getLogger("localcloud.proxy")
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"}
MAGNUM_SERVICE = "magnum"
MAGNUM_VERSION_HEADERS = ("openstack-api-version", "x-openstack-magnum-api-version")
MAGNUM_MAX_HEADERS = ("openstack-api-maximum-version", "x-openstack-magnum-api-maximum-version")
MAGNUM_MIN_VERSION = "1.1"
MAGNUM_SERVICE_STRING = "container-infrastructure-management"
INJECTED = "Fault injected by the local cloud's front proxy"


def _with_version(header_value, version):
    """'container-infrastructure-management 1.14' -> 'container-infrastructure-management 1.4'."""
    prefix, _, _ = header_value.strip().rpartition(" ")
    return f"{prefix} {version}" if prefix else version


def _version_tuple(text):
    major, minor = text.split(".")
    return int(major), int(minor)


class FaultRules:
    """The rules file, re-read when it changes; counts how often each rule applied."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.signature = None
        self.rules = []
        self.used = []
        # Digest of each token an expire_token rule has expired -> that rule (tokens themselves are not kept).
        self.expired = {}
        self.magnum_max_version = None

    def _refresh(self):
        try:
            stat = os.stat(self.path)
            signature = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        except (OSError, TypeError):
            signature = None
        if signature == self.signature:
            return
        self.signature = signature
        document = {}
        if signature is not None:
            try:
                with open(self.path, encoding="utf-8") as handle:
                    text = handle.read()
                document = json.loads(text) if text.strip() else {}
                if isinstance(document, list):
                    document = {"rules": document}
                faults_api.validate_rules(document.get("rules", []))
            except (OSError, ValueError) as error:
                LOG.error("ignoring fault rules in %s: %s", self.path, error)
                document = {}
        self.rules = document.get("rules", [])
        self.used = [0] * len(self.rules)
        self.expired = {}
        self.magnum_max_version = document.get("magnum_max_version")
        LOG.info("fault rules loaded: %d rules, magnum_max_version=%s", len(self.rules), self.magnum_max_version)

    def settings(self):
        with self.lock:
            self._refresh()
            return self.magnum_max_version

    def take(self, service, method, path, token=None):
        """The first rule that applies to this request (its use counted), or None.

        A request with a token an expire_token rule has expired gets that rule again, whatever it asks for.
        """
        digest = hashlib.sha256(token.encode()).hexdigest() if token else None
        with self.lock:
            self._refresh()
            if digest in self.expired:
                return self.expired[digest]
            for index, rule in enumerate(self.rules):
                times = rule.get("times")
                if times is not None and self.used[index] >= times:
                    continue
                if rule["action"] == "expire_token" and digest is None:
                    continue
                if rule.get("service", "*") not in ("*", service):
                    continue
                if rule.get("method", "*") != "*" and rule["method"].upper() != method.upper():
                    continue
                if not re.search(rule.get("path", ""), path):
                    continue
                self.used[index] += 1
                if rule["action"] == "expire_token":
                    self.expired[digest] = dict(rule, index=index)
                return dict(rule, index=index)
        return None


class RequestLog:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        if path:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)

    def write(self, record):
        if not self.path:
            return
        line = json.dumps(record, separators=(",", ":")) + "\n"
        with self.lock, open(self.path, "a", encoding="utf-8") as handle:
            handle.write(line)


def error_body(service, status, message):
    """An error document shaped like the one the service itself returns."""
    title = http.client.responses.get(status, "Error")
    if service == MAGNUM_SERVICE:
        return {"errors": [{"request_id": "", "code": "", "status": status, "title": title, "detail": message,
                            "links": []}]}
    if service == "neutron":
        return {"NeutronError": {"type": title.replace(" ", ""), "message": message, "detail": ""}}
    if service == "kubernetes":
        reason = title.replace(" ", "")
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
                "reason": reason, "code": status}
    if service == "nova":
        key = "computeFault" if status >= 500 else title[0].lower() + title.title().replace(" ", "")[1:]
        return {key: {"code": status, "message": message}}
    return {"error": {"code": status, "title": title, "message": message}}


class ProxyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    _record = None

    def __getattr__(self, name):
        # Every method (GET, POST, COPY, ...) is forwarded.
        if name.startswith("do_"):
            return self._forward
        raise AttributeError(name)

    def log_message(self, format, *args):  # noqa: A002 - signature of BaseHTTPRequestHandler
        LOG.debug("%s %s", self.server.service, format % args)

    def setup(self):
        super().setup()
        # Headers and body leave in separate writes: without this, Nagle's algorithm and the client's delayed
        # ACK add 40 ms to every response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def end_headers(self):
        self._log_request()
        super().end_headers()

    # ---- request body ------------------------------------------------------------------------------------------
    def _read_body(self):
        return read_request_body(self.rfile, self.headers)

    # ---- the request ---------------------------------------------------------------------------------------------
    def _forward(self):
        # The client's User-Agent tells a test's own requests from those the services and controllers send meanwhile.
        self._record = {"time": time.time(), "service": self.server.service, "method": self.command,
                        "path": self.path, "status": None, "duration": None, "fault": None,
                        "agent": self.headers.get("User-Agent")}
        try:
            self._handle(self._record)
        finally:
            self._log_request()

    def _log_request(self):
        """Write the request's log line once, before the client sees the outcome, so a client reading the log
        right after its call finds the line there."""
        record, self._record = self._record, None
        if record is not None:
            record["duration"] = round(time.time() - record["time"], 6)
            self.server.request_log.write(record)

    def _handle(self, record):
        body, chunked = self._read_body()
        rule = self.server.faults.take(self.server.service, self.command, self.path, self.headers.get("X-Auth-Token"))
        if rule:
            record["fault"] = rule["action"]
            record["rule"] = rule.get("name", rule["index"])
        action = rule["action"] if rule else None
        if action == "reset":
            self._reset()
            return
        if action == "status":
            self._send_error(record, rule["status"], rule.get("body"), rule.get("message", INJECTED))
            return
        if action == "expire_token":
            self._send_token_refusal(record)
            return
        if action == "latency":
            time.sleep(float(rule["seconds"]))
        headers = list(self.headers.items())
        max_version = self.server.faults.settings() if self.server.service == MAGNUM_SERVICE else None
        if max_version:
            headers, refused = self._old_magnum_request(headers, max_version)
            if refused:
                record["fault"] = record["fault"] or "old_api"
                self._send_old_magnum_refusal(record, refused, max_version)
                return
        try:
            response, connection = self._backend_request(headers, body, chunked)
        except (OSError, http.client.HTTPException) as error:
            LOG.warning("%s backend unreachable: %s", self.server.service, error)
            self._send_error(record, 502, None, f"the {self.server.service} service does not answer: {error}")
            return
        try:
            record["status"] = response.status
            if action == "lost_response":
                response.read()
                self._reset()
                return
            if action == "replaced_response":
                response.read()
                record["backend_status"] = response.status
                self._send_error(record, rule["status"], rule.get("body"), rule.get("message", INJECTED))
                return
            self._relay(response, max_version)
        finally:
            connection.close()

    def _backend_request(self, headers, body, chunked):
        if self.server.backend_context is not None:
            connection = http.client.HTTPSConnection("127.0.0.1", self.server.backend_port, timeout=600,
                                                     context=self.server.backend_context)
        else:
            connection = http.client.HTTPConnection("127.0.0.1", self.server.backend_port, timeout=600)
        try:
            connection.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for name, value in headers:
                if name.lower() in HOP_BY_HOP or name.lower() == "expect" or (
                        chunked and name.lower() == "content-length"):
                    continue
                connection.putheader(name, value)
            if chunked:
                connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body or None)
            return connection.getresponse(), connection
        except BaseException:
            connection.close()
            raise

    def _relay(self, response, max_version):
        headers = [(name, value) for name, value in response.getheaders() if name.lower() not in HOP_BY_HOP]
        no_body = self.command == "HEAD" or response.status in (204, 304) or 100 <= response.status < 200
        length = response.getheader("Content-Length")
        payload = None
        if max_version:
            headers = [(name, _with_version(value, max_version) if name.lower() in MAGNUM_MAX_HEADERS else value)
                       for name, value in headers]
            if self.command == "GET" and urlsplit(self.path).path.rstrip("/") in ("", "/v1") and not no_body:
                payload = self._rewrite_version_document(response.read(), max_version)
        if self.server.catalog_ports and urlsplit(self.path).path.startswith("/v3/auth/tokens") and not no_body:
            payload = self._rewrite_catalog(response.read())
        if payload is not None:
            headers = [(name, value) for name, value in headers if name.lower() != "content-length"]
            headers.append(("Content-Length", str(len(payload))))
            length = str(len(payload))
        self.send_response_only(response.status, response.reason)
        for name, value in headers:
            self.send_header(name, value)
        if no_body:
            self.end_headers()
            return
        if payload is not None:
            self.end_headers()
            self.wfile.write(payload)
            return
        if length is None and self.request_version == "HTTP/1.0":
            self.close_connection = True
            self.end_headers()
            while chunk := response.read1(65536):
                self.wfile.write(chunk)
            return
        if length is None:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            while chunk := response.read1(65536):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
            return
        self.end_headers()
        while chunk := response.read1(65536):
            self.wfile.write(chunk)

    def _reset(self):
        """Drop the client connection with a TCP reset, as a crashed server or a broken network would."""
        self._log_request()
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        os.close(self.connection.detach())
        self.close_connection = True

    def _send_json(self, status, document, extra_headers=()):
        payload = json.dumps(document).encode()
        self.send_response_only(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in extra_headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _send_error(self, record, status, body, message):
        record["status"] = status
        self._send_json(status, body if body is not None else error_body(self.server.service, status, message))

    def _send_token_refusal(self, record):
        """Answer as keystonemiddleware does in front of every service for a token Keystone no longer accepts."""
        record["status"] = 401
        self._send_json(401, error_body("keystone", 401, "The request you have made requires authentication."))

    # ---- an older Magnum API ------------------------------------------------------------------------------------
    def _old_magnum_request(self, headers, max_version):
        """Headers with 'latest' pinned to the emulated maximum, and the version refused (None when accepted)."""
        rewritten = []
        refused = None
        checked = urlsplit(self.path).path.startswith("/v1")
        for name, value in headers:
            if name.lower() in MAGNUM_VERSION_HEADERS:
                service_name, _, requested = value.strip().rpartition(" ")
                if requested.lower() == "latest":
                    value = f"{service_name} {max_version}".strip()
                elif checked and re.fullmatch(r"\d+\.\d+", requested) and \
                        _version_tuple(requested) > _version_tuple(max_version):
                    refused = requested
            rewritten.append((name, value))
        return rewritten, refused

    def _send_old_magnum_refusal(self, record, requested, max_version):
        """Answer as Magnum does for a microversion above its maximum (the body differs with Accept JSON)."""
        record["status"] = 406
        service = MAGNUM_SERVICE_STRING
        links = [{"rel": "help", "href": "http://docs.openstack.org/api-guide/compute/microversions.html"}]
        title = "Requested microversion is unsupported"
        if "application/json" in (self.headers.get("Accept") or ""):
            error = {"code": "magnum.microversion-unsupported", "title": title,
                     "description": f"Version {requested} was requested but the minor version is not supported by "
                                    f"this service. The supported version range is: [{service} "
                                    f"{MAGNUM_MIN_VERSION}, {service} {max_version}].",
                     "max_version": max_version, "min_version": MAGNUM_MIN_VERSION, "links": links}
        else:
            error = {"max_version": max_version, "min_version": MAGNUM_MIN_VERSION,
                     "code": "magnum.microversion-unsupported", "links": links, "title": title}
        self._send_json(406, {"errors": [error]}, [
            ("OpenStack-API-Minimum-Version", f"{service} {MAGNUM_MIN_VERSION}"),
            ("OpenStack-API-Maximum-Version", f"{service} {max_version}"),
            ("OpenStack-API-Version", f"{service} {requested}"),
            ("vary", "OpenStack-API-Version"),
        ])

    def _rewrite_catalog(self, payload):
        """The token's catalog with the services' ports replaced, so clients find every service behind this
        proxy the way they find it through a real catalog (an endpoint override would make openstacksdk ask
        the service for its versions first)."""
        for old, new in self.server.catalog_ports.items():
            payload = re.sub(rb"(//127\.0\.0\.1:)%d(?=[/\"])" % old, rb"\g<1>%d" % new, payload)
        return payload

    @staticmethod
    def _rewrite_version_document(payload, max_version):
        try:
            document = json.loads(payload)
        except ValueError:
            return payload

        def lower(node):
            if isinstance(node, dict):
                for key, value in node.items():
                    if key == "max_version" and isinstance(value, str) and re.fullmatch(r"\d+\.\d+", value) \
                            and _version_tuple(value) > _version_tuple(max_version):
                        node[key] = max_version
                    else:
                        lower(value)
            elif isinstance(node, list):
                for value in node:
                    lower(value)

        lower(document)
        return json.dumps(document).encode()


class ProxyServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, service, listen_port, backend_port, faults, request_log, host="127.0.0.1", catalog_ports=None,
                 tls_context=None, backend_context=None):
        self.service = service
        self.catalog_ports = catalog_ports or {}
        self.backend_port = backend_port
        self.faults = faults
        self.request_log = request_log
        self.tls_context = tls_context
        self.backend_context = backend_context
        super().__init__((host, listen_port), ProxyHandler)

    def finish_request(self, request, client_address):
        if self.tls_context is None:
            super().finish_request(request, client_address)
            return
        # The handshake runs in the connection's own thread, so a slow client never blocks accept().
        request.settimeout(30)
        try:
            connection = self.tls_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as error:
            LOG.debug("TLS handshake with %s failed: %s", client_address, error)
            return
        connection.settimeout(None)
        try:
            self.RequestHandlerClass(connection, client_address, self)
        except (OSError, ssl.SSLError):
            pass
        finally:
            connection.close()


def tls_contexts(args):
    """(context to serve HTTPS with, context to reach the backends over HTTPS with), each None when not asked."""
    serving = backend = None
    if args.tls_cert:
        serving = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        serving.load_cert_chain(args.tls_cert, args.tls_key)
    if args.backend_ca:
        backend = ssl.create_default_context(cafile=args.backend_ca)
        if args.backend_cert:
            backend.load_cert_chain(args.backend_cert, args.backend_key)
    return serving, backend


def parse_route(text):
    """'keystone=25000:26000' -> ('keystone', 25000, 26000)."""
    match = re.fullmatch(r"([\w.-]+)=(\d+):(\d+)", text)
    if not match:
        raise argparse.ArgumentTypeError(f"a route looks like SERVICE=LISTEN_PORT:BACKEND_PORT, not {text!r}")
    return match.group(1), int(match.group(2)), int(match.group(3))


def parse_port_pair(text):
    """'25696=29003' -> (25696, 29003)."""
    match = re.fullmatch(r"(\d+)=(\d+)", text)
    if not match:
        raise argparse.ArgumentTypeError(f"a catalog port looks like OLD_PORT=NEW_PORT, not {text!r}")
    return int(match.group(1)), int(match.group(2))


def _grouped_routes(args):
    """Routes given as repeated --listen PORT --backend URL --service NAME triples."""
    listens, backends, services = args.listen or [], args.backend or [], args.service or []
    if not (len(listens) == len(backends) == len(services)):
        raise SystemExit("--listen, --backend and --service must be given the same number of times")
    routes = []
    for service, listen, backend in zip(services, listens, backends):
        port = urlsplit(backend).port if "://" in backend else int(backend.rpartition(":")[2])
        routes.append((service, int(listen), port))
    return routes


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m localcloud.proxy", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--route", action="append", type=parse_route, default=[],
                        metavar="SERVICE=LISTEN_PORT:BACKEND_PORT")
    parser.add_argument("--listen", action="append", help=argparse.SUPPRESS)
    parser.add_argument("--backend", action="append", help=argparse.SUPPRESS)
    parser.add_argument("--service", action="append", help=argparse.SUPPRESS)
    parser.add_argument("--config", help='JSON file: {"routes": {"SERVICE": [LISTEN_PORT, BACKEND_PORT]}, '
                                         '"log": FILE, "faults": FILE}')
    parser.add_argument("--log", help="request log, one JSON line per request")
    parser.add_argument("--faults", help="fault rules file (JSON), re-read when it changes")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--catalog-port", action="append", type=parse_port_pair, default=[], metavar="OLD=NEW",
                        help="in the tokens Keystone issues through this proxy, a catalog port to replace")
    parser.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM) ...")
    parser.add_argument("--tls-key", help="... and this key")
    parser.add_argument("--backend-ca", help="reach the backends over HTTPS, verified against this CA (PEM) ...")
    parser.add_argument("--backend-cert", help="... presenting this client certificate ...")
    parser.add_argument("--backend-key", help="... and its key")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key) or bool(args.backend_cert) != bool(args.backend_key):
        parser.error("a certificate needs its key: give --tls-cert with --tls-key, --backend-cert with --backend-key")
    if args.backend_cert and not args.backend_ca:
        parser.error("--backend-cert needs --backend-ca")
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    routes = list(args.route) + _grouped_routes(args)
    if args.config:
        with open(args.config, encoding="utf-8") as handle:
            config = json.load(handle)
        routes += [(service, int(ports[0]), int(ports[1])) for service, ports in config.get("routes", {}).items()]
        args.log = args.log or config.get("log")
        args.faults = args.faults or config.get("faults")
    if not routes:
        parser.error("no route: give --route SERVICE=LISTEN_PORT:BACKEND_PORT or --config")
    tls_context, backend_context = tls_contexts(args)
    fault_rules = FaultRules(args.faults)
    request_log = RequestLog(args.log)
    servers = []
    for service, listen_port, backend_port in routes:
        server = ProxyServer(service, listen_port, backend_port, fault_rules, request_log, host=args.host,
                             catalog_ports=dict(args.catalog_port) if service == "keystone" else None,
                             tls_context=tls_context, backend_context=backend_context)
        threading.Thread(target=server.serve_forever, name=f"proxy-{service}", daemon=True).start()
        servers.append(server)
        LOG.info("%s: %s:%d -> 127.0.0.1:%d", service, args.host, listen_port, backend_port)
    stopped = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopped.set())
    stopped.wait()
    stoppers = [threading.Thread(target=server.shutdown) for server in servers]
    for stopper in stoppers:
        stopper.start()
    for stopper, server in zip(stoppers, servers):
        stopper.join()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
