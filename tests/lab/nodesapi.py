#!/usr/bin/env python3
"""A stand-in for one cluster's Kubernetes API, as far as the agent's Node list+watch goes: HTTPS
on IP:PORT with the given certificate, only for "Authorization: Bearer TOKEN".

  GET /api/v1/nodes?limit=L[&continue=C]      a NodeList page (L per page, resourceVersion)
  GET /api/v1/nodes?watch=1&resourceVersion=V  a chunked stream: a BOOKMARK every second and,
                                               with --flap, a MODIFIED event for the first Node
                                               every FLAP ms, its InternalIP alternating between
                                               its own address and the next free one
  anything else                                404

Node i (0-based) is "nNNNNN", InternalIP --ip-base + i, and --cidrs pod CIDRs of length
--prefix, consecutive from --cidr-base; each object carries the usual status noise (labels,
conditions, images: about 3 KB, as a kind Node does), so list pages cost what real ones cost.

usage: nodesapi.py IP PORT CERT KEY TOKEN --nodes N [--cidrs K] [--prefix P] [--ip-base IP]
                   [--cidr-base IP] [--flap MS] [--flap-for S]
"""
import argparse
import ipaddress
import json
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

ap = argparse.ArgumentParser()
for a in ("ip", "port", "cert", "key", "token"):
    ap.add_argument(a)
ap.add_argument("--nodes", type=int, required=True)
ap.add_argument("--cidrs", type=int, default=1)
ap.add_argument("--prefix", type=int, default=24)
ap.add_argument("--ip-base", default="172.18.100.1")
ap.add_argument("--cidr-base", default="10.128.0.0")
ap.add_argument("--flap", type=float, default=0, help="ms between InternalIP changes of n00000")
ap.add_argument("--flap-for", type=float, default=3600, help="seconds of flapping per watch")
ARGS = ap.parse_args()
IP_BASE = int(ipaddress.IPv4Address(ARGS.ip_base))
CIDR_BASE = int(ipaddress.IPv4Address(ARGS.cidr_base))
STEP = 1 << (32 - ARGS.prefix)
RV = 1000
LOCK = threading.Lock()


def node(i, ip=None):
    ip = ip if ip is not None else IP_BASE + i
    cidrs = ["%s/%d" % (ipaddress.IPv4Address(CIDR_BASE + (i * ARGS.cidrs + k) * STEP), ARGS.prefix)
             for k in range(ARGS.cidrs)]
    name = "n%05d" % i
    return {
        "kind": "Node", "apiVersion": "v1",
        "metadata": {"name": name, "uid": "00000000-0000-0000-0000-%012d" % i,
                     "resourceVersion": str(RV),
                     "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
                                "kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux",
                                "beta.kubernetes.io/arch": "amd64"},
                     "annotations": {"node.alpha.kubernetes.io/ttl": "0",
                                     "kubeadm.alpha.kubernetes.io/cri-socket":
                                         "unix:///run/containerd/containerd.sock",
                                     "volumes.kubernetes.io/controller-managed-attach-detach": "true"}},
        "spec": {"podCIDR": cidrs[0], "podCIDRs": cidrs, "providerID": "kind://docker/kind/" + name},
        "status": {
            "addresses": [{"type": "InternalIP", "address": str(ipaddress.IPv4Address(ip))},
                          {"type": "Hostname", "address": name}],
            "capacity": {"cpu": "8", "memory": "32808392Ki", "pods": "110",
                         "ephemeral-storage": "263174212Ki"},
            "allocatable": {"cpu": "8", "memory": "32808392Ki", "pods": "110",
                            "ephemeral-storage": "263174212Ki"},
            "conditions": [{"type": t, "status": s, "reason": r, "message": "kubelet says " + r,
                            "lastHeartbeatTime": "2026-12-01T00:00:00Z",
                            "lastTransitionTime": "2026-12-01T00:00:00Z"}
                           for t, s, r in (("MemoryPressure", "False", "KubeletHasSufficientMemory"),
                                           ("DiskPressure", "False", "KubeletHasNoDiskPressure"),
                                           ("PIDPressure", "False", "KubeletHasSufficientPID"),
                                           ("Ready", "True", "KubeletReady"))],
            "nodeInfo": {"machineID": "%032x" % i, "systemUUID": "%032x" % (i + 1),
                         "bootID": "%032x" % (i + 2), "kernelVersion": "6.1.0-13-amd64",
                         "osImage": "Ubuntu 22.04.3 LTS", "containerRuntimeVersion": "containerd://1.7.1",
                         "kubeletVersion": "v1.27.3", "kubeProxyVersion": "v1.27.3",
                         "operatingSystem": "linux", "architecture": "amd64"},
            "images": [{"names": ["registry.k8s.io/image-%d@sha256:%064x" % (k, k),
                                  "registry.k8s.io/image-%d:v1.27.3" % k], "sizeBytes": 10000000 + k}
                       for k in range(8)],
        },
    }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def chunk(self, obj):
        data = json.dumps(obj).encode() + b"\n"
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def watch(self, q):
        global RV
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        end = time.monotonic() + min(float(q.get("timeoutSeconds", ["300"])[0]), 300)
        flap_end = time.monotonic() + ARGS.flap_for
        next_bm, moved = 0.0, False
        try:
            while time.monotonic() < end:
                now = time.monotonic()
                if now >= next_bm:
                    with LOCK:
                        rv = RV
                    self.chunk({"type": "BOOKMARK", "object": {"kind": "Node", "apiVersion": "v1",
                                                               "metadata": {"resourceVersion": str(rv)}}})
                    next_bm = now + 1
                if ARGS.flap > 0 and now < flap_end:
                    moved = not moved
                    with LOCK:
                        RV += 1
                    obj = node(0, IP_BASE + ARGS.nodes if moved else None)
                    obj["metadata"]["resourceVersion"] = str(RV)
                    self.chunk({"type": "MODIFIED", "object": obj})
                    time.sleep(ARGS.flap / 1000)
                else:
                    time.sleep(0.05)
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass
        self.close_connection = True

    def do_GET(self):
        if self.headers.get("Authorization") != "Bearer " + ARGS.token:
            return self.answer(401, {"kind": "Status", "code": 401, "reason": "Unauthorized",
                                     "message": "Unauthorized"})
        u = urlparse(self.path)
        q = parse_qs(u.query)
        if u.path != "/api/v1/nodes":
            return self.answer(404, {"kind": "Status", "code": 404, "reason": "NotFound"})
        if q.get("watch", ["0"])[0] in ("1", "true"):
            return self.watch(q)
        limit = int(q.get("limit", ["500"])[0])
        start = int(q.get("continue", ["0"])[0] or 0)
        stop = min(start + limit, ARGS.nodes)
        with LOCK:
            rv = RV
        items = [node(i) for i in range(start, stop)]
        meta = {"resourceVersion": str(rv)}
        if stop < ARGS.nodes:
            meta["continue"] = str(stop)
        return self.answer(200, {"kind": "NodeList", "apiVersion": "v1", "metadata": meta,
                                 "items": items})


server = ThreadingHTTPServer((ARGS.ip, int(ARGS.port)), Handler)
server.daemon_threads = True
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(ARGS.cert, ARGS.key)
server.socket = ctx.wrap_socket(server.socket, server_side=True)
server.serve_forever()
