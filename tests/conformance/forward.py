"""A loopback forwarder for the conformance run: adds the service's bearer token to each request.

The W3C suites post to an ``http:`` endpoint themselves, without the endpoint's headers
(``TestEndpoints.post``), so ``/credentials/issue`` would answer 401: the suite is pointed at this
forwarder instead, which sends each request on to the service with ``Authorization`` added.
Usage: ``python forward.py PORT TARGET_BASE_URL`` with the token in ``CS_CONFORMANCE_TOKEN``.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Forward(BaseHTTPRequestHandler):
    target = ""
    token = ""

    def _send_on(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in {"host", "content-length"}}
        headers["Authorization"] = f"Bearer {self.token}"
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
    port, target = int(sys.argv[1]), sys.argv[2].rstrip("/")
    Forward.target, Forward.token = target, os.environ["CS_CONFORMANCE_TOKEN"]
    ThreadingHTTPServer(("127.0.0.1", port), Forward).serve_forever()


if __name__ == "__main__":
    main()
