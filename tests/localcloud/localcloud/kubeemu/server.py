"""HTTPS front of the emulated API server: TLS, client-certificate authentication, JSON and streaming replies."""

import http.server
import json
import logging
import socket
import ssl
import threading
from urllib.parse import parse_qsl, urlsplit

from ..httpbody import read_request_body
from . import certs, tables
from .apiserver import ApiServer, Request, Response

LOG = logging.getLogger(__name__)
UNAUTHORIZED = {
    "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
    "message": "Unauthorized", "reason": "Unauthorized", "code": 401,
}


class ApiRequestHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kube-apiserver"
    sys_version = ""

    def log_message(self, format, *args):  # noqa: A002 - signature of BaseHTTPRequestHandler
        LOG.info("%s %s", self.address_string(), format % args)

    def _body(self):
        return read_request_body(self.rfile, self.headers)[0]

    def _dispatch(self):
        body = self._body()
        user = self.server.authenticator.authenticate(self.connection.getpeercert(binary_form=True))
        if user is None:
            self._send(Response(401, UNAUTHORIZED))
            return
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        response = self.server.api.handle(Request(self.command, url.path, query, self.headers, body, user))
        if response.content_type == "stream":
            self._stream(response.body)
            return
        accept = self.headers.get("Accept", "")
        if "as=Table" in accept and response.status == 200 and isinstance(response.body, dict) \
                and response.body.get("kind") not in ("Status", "APIResourceList", "APIGroupList", "APIGroup",
                                                      "APIVersions", None):
            response = Response(200, tables.as_table(response.body))
        self._send(response)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch

    def _send(self, response):
        if isinstance(response.body, (dict, list)):
            payload = json.dumps(response.body).encode()
        else:
            payload = response.body.encode()
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-cache, private")
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _stream(self, events):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        try:
            for event in events:
                line = json.dumps(event).encode() + b"\n"
                self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            self.close_connection = True


class ApiHTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, api, ssl_context, authenticator):
        self.api = api
        self.ssl_context = ssl_context
        self.authenticator = authenticator
        super().__init__(address, ApiRequestHandler)

    def finish_request(self, request, client_address):
        # The handshake runs in the connection's own thread so a slow client never blocks accept().
        request.settimeout(30)
        try:
            connection = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLEOFError, ConnectionError) as error:
            # Port probes and clients that give up close the connection during the handshake.
            LOG.debug("TLS handshake with %s ended early: %s", client_address, error)
            return
        except (ssl.SSLError, OSError) as error:
            LOG.info("TLS handshake with %s failed: %s", client_address, error)
            return
        try:
            connection.settimeout(300)
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.RequestHandlerClass(connection, client_address, self)
        except (OSError, ssl.SSLError):
            pass
        finally:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            connection.close()


def serve(port, ca_file, cert_file, key_file, api: ApiServer, host="127.0.0.1"):
    """Start serving in a thread; returns the server (call .shutdown() to stop)."""
    with open(ca_file, "rb") as handle:
        authenticator = certs.ClientAuthenticator(handle.read())
    context = certs.server_context(cert_file, key_file, ca_file)
    server = ApiHTTPServer((host, port), api, context, authenticator)
    thread = threading.Thread(target=server.serve_forever, name="kube-apiserver", daemon=True)
    thread.start()
    return server
