"""A loopback TLS forwarder for the conformance run: ``https://127.0.0.1:PORT`` → the service.

The W3C suites send a request through ``vc-test-suite-implementations`` — with the endpoint's
``headers`` (our bearer token) and the VC API response unwrapped (``verifiableCredential``) —
only when the endpoint is ``https:``; an ``http:`` endpoint they post to themselves, without
headers and without unwrapping (``TestEndpoints.post``), which is not how they are run. So the
suite is pointed at this forwarder, which ends TLS with a throw-away certificate (trusted by
the run through ``NODE_EXTRA_CA_CERTS``) and sends each request on unchanged.
Usage: ``python forward.py PORT TARGET_BASE_URL CERT_FILE KEY_FILE``.
"""

from __future__ import annotations

import ssl
import sys
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Forward(BaseHTTPRequestHandler):
    target = ""

    def _send_on(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in {"host", "content-length"}}
        request = urllib.request.Request(
            self.target + self.path, data=body, headers=headers, method=self.command
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as answer:
                status, answer_headers, data = answer.status, answer.headers, answer.read()
        except urllib.error.HTTPError as refused:
            status, answer_headers, data = refused.code, refused.headers, refused.read()
        self.send_response(status)
        self.send_header("Content-Type", answer_headers.get("Content-Type", "application/json"))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = _send_on

    def log_message(self, format: str, *args: object) -> None:
        return  # quiet: the suite's report is what is read


def main() -> None:
    port, target, cert, key = int(sys.argv[1]), sys.argv[2].rstrip("/"), sys.argv[3], sys.argv[4]
    Forward.target = target
    server = ThreadingHTTPServer(("127.0.0.1", port), Forward)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
