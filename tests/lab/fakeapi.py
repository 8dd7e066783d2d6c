#!/usr/bin/env python3
"""A stand-in for the Kubernetes API server, for the end-to-end tests: HTTPS on IP:PORT with
the given certificate, answers GET /api/v1/nodes/NODE with a Node whose spec.podCIDRs are
PODCIDRS (comma-separated), only to requests carrying "Authorization: Bearer TOKEN".

usage: fakeapi.py IP PORT CERT KEY TOKEN NODE PODCIDRS
"""
import json
import ssl
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

IP, PORT, CERT, KEY, TOKEN, NODE, CIDRS = sys.argv[1:8]


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.headers.get("Authorization") != "Bearer " + TOKEN:
            return self.answer(401, {"kind": "Status", "code": 401, "reason": "Unauthorized"})
        if self.path != "/api/v1/nodes/" + NODE:
            return self.answer(404, {"kind": "Status", "code": 404, "reason": "NotFound"})
        cidrs = CIDRS.split(",")
        return self.answer(200, {"kind": "Node", "apiVersion": "v1", "metadata": {"name": NODE},
                                 "spec": {"podCIDR": cidrs[0], "podCIDRs": cidrs}})


server = HTTPServer((IP, int(PORT)), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(CERT, KEY)
server.socket = ctx.wrap_socket(server.socket, server_side=True)
server.serve_forever()
