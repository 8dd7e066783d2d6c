#!/usr/bin/env python3
"""helloworld server for the podreach lab, modelled on Istio's samples/helloworld.

usage: hello.py PORT VERSION INSTANCE

GET /hello  -> 200 "Hello version: VERSION, instance: INSTANCE\n"
anything else -> 404

Python stdlib only, so the lab runs on a bare Debian 12. One thread per request
(ThreadingHTTPServer) so a slow or half-open probe never blocks the next curl.
"""
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main() -> int:
    if len(sys.argv) != 4:
        print("usage: hello.py PORT VERSION INSTANCE", file=sys.stderr)
        return 2
    port, version, instance = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    body_ok = f"Hello version: {version}, instance: {instance}\n".encode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # one request per connection: simple for probes

        def _send(self, code: int, body: bytes) -> None:
            self.send_response(code)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 (stdlib naming)
            if self.path.split("?", 1)[0] == "/hello":
                self._send(200, body_ok)
            else:
                self._send(404, b"not found\n")

        do_HEAD = do_GET

        def log_message(self, fmt, *args) -> None:
            # One line per request in the log file: shows who connected (after NAT).
            sys.stderr.write("%s %s\n" % (self.client_address[0], fmt % args))
            sys.stderr.flush()

    ThreadingHTTPServer.allow_reuse_address = True
    ThreadingHTTPServer.daemon_threads = True
    srv = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    print(f"hello: listening on 0.0.0.0:{port} version={version} instance={instance}", flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
