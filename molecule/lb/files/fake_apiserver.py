"""TEST DOUBLE: a stand-in for kube-apiserver's health endpoint, for the lb Molecule scenario only.

Real API servers do not run in this scenario. This serves HTTPS on :6443 with a self-signed certificate
(made by prepare.yml) and answers GET /healthz with 200 "ok", as kube-apiserver does for anonymous clients.
Every answer carries the header X-Kha-Test-Double: <node name>, so a test can see which backend haproxy
picked. Anything else is 404. Never installed by the role; never shipped in the collection.
"""

from __future__ import annotations

import argparse
import http.server
import socket
import ssl


class Handler(http.server.BaseHTTPRequestHandler):
    node_name = socket.gethostname()
    protocol_version = "HTTP/1.1"
    timeout = 10

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Kha-Test-Double", self.node_name)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path.split("?", 1)[0] in ("/healthz", "/livez", "/readyz"):
            self._answer(200, b"ok")
        else:
            self._answer(404, b"not found (kha test double)\n")

    do_HEAD = do_GET  # noqa: N815

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - keep the journal quiet
        return


class TLSServer(http.server.ThreadingHTTPServer):
    """TLS handshake in the request's thread: a client that connects and says nothing blocks no one."""

    daemon_threads = True
    context: ssl.SSLContext

    def handle_error(self, request: object, client_address: object) -> None:
        # Health checkers hang up right after the answer (or the handshake): not worth a traceback.
        return

    def finish_request(self, request: socket.socket, client_address: tuple[str, int]) -> None:  # type: ignore[override]
        request.settimeout(10)
        with self.context.wrap_socket(request, server_side=True) as tls:
            super().finish_request(tls, client_address)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=6443)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--name", default=socket.gethostname())
    args = parser.parse_args()
    Handler.node_name = args.name
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    TLSServer.context = context
    server = TLSServer(("0.0.0.0", args.port), Handler)  # noqa: S104 - lab node only
    server.serve_forever()


if __name__ == "__main__":
    main()
