"""Reading an HTTP/1.1 request body from a BaseHTTPRequestHandler, chunked or with a Content-Length."""


def read_request_body(rfile, headers):
    """(body, chunked): the whole body, and whether the client sent it chunked."""
    if headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int(rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks), True
            chunks.append(rfile.read(size))
            rfile.readline()
    length = int(headers.get("Content-Length") or 0)
    return (rfile.read(length) if length else b""), False
