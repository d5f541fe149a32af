"""HTTPS with mutual TLS (Protocol.md, "Transport"): a client posting to POST /sedgate/v1/messages, and a server.

The client verifies the server fully (chain to the CA, host name or IP address against subjectAltName), follows no
redirects, gives up connecting after 3 s and the whole exchange after 30 s. The server requires a client
certificate chaining to the CA; the peer's identity is its certificate's subject CN (the last one).
"""

import http.client
import http.server
import socketserver
import ssl
import threading
import urllib.parse

PATH = "/sedgate/v1/messages"
HEALTH = "/sedgate/v1/health"
MAX_BODY = 64 * 1024 * 1024


class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        self.content_type = headers.get("Content-Type", "")


def client_context(config):
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=config.ca)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(config.certificate, config.private_key)
    return context


def post(config, content_type, body, url=None):
    """Posts one message to the CN (or `url`); returns a Reply. Raises OSError when the peer is unavailable."""
    target = urllib.parse.urlsplit(url or config.cn_url)
    connection = http.client.HTTPSConnection(
        target.hostname, target.port or 443, context=client_context(config), timeout=3)
    try:
        connection.connect()
        connection.sock.settimeout(30)
        connection.request("POST", PATH, body=body, headers={"Content-Type": content_type})
        response = connection.getresponse()
        data = response.read(MAX_BODY + 1)
        return Reply(response.status, response.headers, data)
    finally:
        connection.close()


def peer_node(sock):
    """The subject CN (the last one) of the TLS peer's certificate."""
    name = None
    for rdn in sock.getpeercert().get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                name = value
    return name


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    """The AP's HTTPS listener. `handle(peer, content_type, body)` returns (status, headers, body)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, config, handle):
        self.handle_message = handle
        super().__init__((config.host, config.port), _Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(config.certificate, config.private_key)
        context.load_verify_locations(config.ca)
        context.verify_mode = ssl.CERT_REQUIRED
        self.socket = context.wrap_socket(self.socket, server_side=True)

    def start(self):
        threading.Thread(target=self.serve_forever, daemon=True).start()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def _answer(self, status, headers, body):
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == HEALTH:
            self._answer(200, {"Content-Type": "text/plain; charset=utf-8"}, b"ok")
        else:
            self._answer(404, {"Content-Type": "text/plain; charset=utf-8"}, b"not found")

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(min(length, MAX_BODY + 1))
        status, headers, reply = self.server.handle_message(
            peer_node(self.connection), self.headers.get("Content-Type", ""), body)
        self._answer(status, headers, reply)
