#!/usr/bin/env python3
"""Discovery event -> route latency, run inside the agent's node namespace.

For each of N Nodes: note the time, POST the Node to the API server (https, the admin
token), then wait on an rtnetlink socket (RTMGRP_IPV4_ROUTE) for the RTM_NEWROUTE of its
pod CIDR with protocol 152; the same for the DELETE and its RTM_DELROUTE. Prints one line
per event: "add|del MS" (from the request's start) and "ack MS" (the API server's answer).

usage: kube_latency.py SERVER CAFILE TOKEN N
"""
import json, socket, ssl, struct, sys, time, urllib.request

SERVER, CA, TOKEN, N = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
ctx = ssl.create_default_context(cafile=CA)
RTM_NEWROUTE, RTM_DELROUTE, RTA_DST = 24, 25, 1

nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
nl.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
nl.bind((0, 0x40))  # RTMGRP_IPV4_ROUTE


def req(method, path, body=None):
    r = urllib.request.Request(SERVER + path, method=method,
                               data=json.dumps(body).encode() if body else None,
                               headers={"Authorization": "Bearer " + TOKEN,
                                        "Content-Type": "application/json"})
    with urllib.request.urlopen(r, context=ctx, timeout=10) as f:
        f.read()


def wait_route(kind, dst, deadline):
    while time.monotonic() < deadline:
        nl.settimeout(max(deadline - time.monotonic(), 0.001))
        try:
            data = nl.recv(1 << 20)
        except socket.timeout:
            break
        off = 0
        while off + 16 <= len(data):
            ln, typ = struct.unpack_from("=IH", data, off)
            if ln < 16:
                break
            if typ == kind:
                fam, dlen, slen, tos, table, proto = struct.unpack_from("=BBBBBB", data, off + 16)
                a = off + 16 + 12
                while a + 4 <= off + ln:
                    alen, atyp = struct.unpack_from("=HH", data, a)
                    if alen < 4:
                        break
                    if atyp == RTA_DST and proto == 152 and \
                            "%s/%d" % (socket.inet_ntoa(data[a + 4:a + 8]), dlen) == dst:
                        return time.monotonic()
                    a += (alen + 3) & ~3
            off += (ln + 3) & ~3
    return None


for i in range(N):
    name, cidr = "lat%d" % i, "10.246.%d.0/24" % i
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name},
            "spec": {"podCIDR": cidr, "podCIDRs": [cidr]},
            "status": {"addresses": [{"type": "InternalIP", "address": "172.18.3.%d" % (i + 1)}]}}
    for kind, method, path, body in ((RTM_NEWROUTE, "POST", "/api/v1/nodes", node),
                                     (RTM_DELROUTE, "DELETE", "/api/v1/nodes/" + name, None)):
        t0 = time.monotonic()
        req(method, path, body)
        t1 = time.monotonic()
        t2 = wait_route(kind, cidr, t0 + 10)
        what = "add" if kind == RTM_NEWROUTE else "del"
        print("%s %s ack %.1f" % (what, "timeout" if t2 is None else "%.1f" % ((t2 - t0) * 1000),
                                  (t1 - t0) * 1000), flush=True)
