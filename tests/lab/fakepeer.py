#!/usr/bin/env python3
"""A hostile podreach peer for the end-to-end tests: serves /v1/node and /v1/peers on
IP:PORT with one kind of misbehaviour, so the agent under test must refuse it and stay healthy.

usage: fakepeer.py IP PORTS MODE [LOG]
  PORTS is a port or a range FIRST-LAST (one server per port); IP may be 0.0.0.0, and the
  answer is then made for the address the request reached.  With LOG, every request is
  appended to it as one line: the client address, the path and every header, as JSON.
modes: default-route  advertises 0.0.0.0/0
       bridge         advertises the docker bridge subnet 172.18.0.0/16
       overlap        advertises a range inside the asking cluster (10.245.1.0/24)
       garbage        answers text that is not JSON
       huge           answers a 10 MB body
       hang           accepts, then never finishes its answer
       good           a well-behaved remote node with pod CIDR 10.246.0.0/24, pod 10.246.0.5
       hijack         claims to be cluster1/c1n1 (10.244.0.0/24) at its own IP, with a fresh
                      version in every answer
       spoof          claims to be cluster1/c1n1 with c1n1's node_ip 172.18.0.2
       narrow         a new node evil/c1n9 claiming 10.244.0.0/25, inside c1n1's /24
       broad          a new node claiming 10.0.0.0/9
       scan-invalid   pod_ips and probe_addrs at loopback and the metadata address
       scan-local     claims the asking cluster's 10.245.0.0/24, pod 10.245.0.7, probe .1
       junk           16 CIDRs and 4,096 pod IPs per answer, a distinct node per address/port
       junkmax        the most a valid answer may hold: 2 distinct /24s, 256 pod IPs
       record         a plain node (rec/r1, 10.248.0.0/24), there to have its headers logged
"""
import json
import socketserver
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

IP, PORTS, MODE = sys.argv[1], sys.argv[2], sys.argv[3]
LOG = sys.argv[4] if len(sys.argv) > 4 else None
LOCK = threading.Lock()
CIDRS = {"default-route": ["0.0.0.0/0"], "bridge": ["172.18.0.0/16"],
         "overlap": ["10.245.1.0/24"], "good": ["10.246.0.0/24"],
         "hijack": ["10.244.0.0/24"], "spoof": ["10.244.0.0/24"], "narrow": ["10.244.0.0/25"],
         "broad": ["10.0.0.0/9"], "scan-invalid": ["10.247.0.0/24"],
         "scan-local": ["10.245.0.0/24"], "record": ["10.248.0.0/24"]}
NAMES = {"hijack": ("cluster1", "c1n1"), "spoof": ("cluster1", "c1n1"),
         "narrow": ("evil", "c1n9"), "record": ("rec", "r1")}


def node_doc(ip, port):
    cluster, node = NAMES.get(MODE, ("evil", "evil-" + MODE))
    doc = {"cluster": cluster, "node": node, "node_ip": ip, "pod_cidrs": CIDRS.get(MODE, []),
           "version": "fake"}
    if MODE == "good":
        doc["pod_ips"] = ["10.246.0.5"]
    elif MODE == "hijack":
        doc["version"] = "fake-%d" % time.monotonic_ns()
    elif MODE == "spoof":
        doc["node_ip"] = "172.18.0.2"
    elif MODE == "scan-invalid":
        doc["pod_ips"] = ["10.247.0.5", "127.0.0.1"]
        doc["probe_addrs"] = ["169.254.169.254:80", "127.0.0.1:2222"]
    elif MODE == "scan-local":
        doc["pod_ips"] = ["10.245.0.7"]
        doc["probe_addrs"] = ["10.245.0.1:9750"]
    elif MODE == "junk":
        last, sub = int(ip.split(".")[3]), port % 256
        doc["node"] = "junk-%d-%d" % (last, port)
        doc["pod_cidrs"] = ["10.%d.%d.0/24" % (100 + i, sub) for i in range(16)]
        doc["pod_ips"] = ["10.100.%d.%d" % (sub, 1 + i % 250) for i in range(4096)]
    elif MODE == "junkmax":
        last, base = int(ip.split(".")[3]), (port % 64) * 4
        doc["node"] = "junk-%d-%d" % (last, port)
        doc["pod_cidrs"] = ["10.%d.%d.0/24" % (last, base + k) for k in range(2)]
        doc["pod_ips"] = ["10.%d.%d.%d" % (last, base + i // 256, i % 256) for i in range(256)]
        doc["probe_addrs"] = ["%s:%d" % (ip, port)]
    return doc


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send(self, body, ctype="application/json"):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def record(self):
        if not LOG:
            return
        line = json.dumps({"client": self.client_address[0], "path": self.path,
                           "headers": [[k, v] for k, v in self.headers.items()]})
        with LOCK, open(LOG, "a") as f:
            f.write(line + "\n")

    def do_GET(self):
        self.record()
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
        ip, port = self.connection.getsockname()[:2]
        return self.send(json.dumps(node_doc(ip, port)).encode())


class Server(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True


first, _, last = PORTS.partition("-")
servers = [Server((IP, p), Handler) for p in range(int(first), int(last or first) + 1)]
for s in servers[1:]:
    threading.Thread(target=s.serve_forever, daemon=True).start()
servers[0].serve_forever()
