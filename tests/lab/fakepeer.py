#!/usr/bin/env python3
"""A hostile podreach peer for the end-to-end tests: serves /v1/node and /v1/peers on
IP:PORT with one kind of misbehaviour, so the agent under test must refuse it and stay healthy.

usage: fakepeer.py IP PORT MODE
modes: default-route  advertises 0.0.0.0/0
       bridge         advertises the docker bridge subnet 172.18.0.0/16
       overlap        advertises a range inside the asking cluster (10.245.0.0/16)
       garbage        answers text that is not JSON
       huge           answers a 10 MB body
       hang           accepts, then never finishes its answer
       good           a well-behaved remote node with pod CIDR 10.246.0.0/24
"""
import json
import socketserver
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

IP, PORT, MODE = sys.argv[1], int(sys.argv[2]), sys.argv[3]
CIDRS = {"default-route": ["0.0.0.0/0"], "bridge": ["172.18.0.0/16"],
         "overlap": ["10.245.0.0/16"], "good": ["10.246.0.0/24"]}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send(self, body, ctype="application/json"):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if MODE == "hang":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"{")
            self.wfile.flush()
            time.sleep(60)
            return
        if MODE == "garbage":
            return self.send(b"<html>surprise</html>", "text/html")
        if MODE == "huge":
            return self.send(b"[" + b"1," * (5 * 1024 * 1024) + b"1]")
        if self.path == "/v1/peers":
            return self.send(json.dumps({"peers": []}).encode())
        node = {"cluster": "evil", "node": "evil-" + MODE, "node_ip": IP,
                "pod_cidrs": CIDRS[MODE], "version": "fake"}
        return self.send(json.dumps(node).encode())


class Server(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True


Server((IP, PORT), Handler).serve_forever()
