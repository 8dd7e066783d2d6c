#!/usr/bin/env python3
"""Floods an agent with claims: COUNT requests for /v1/node, each carrying a different
X-Podreach-Peer port (FIRST, FIRST+1, ...), sent from the source addresses in turn.
Prints how many answers of each HTTP status came back, as JSON.

usage: askflood.py HOST:PORT SRC[,SRC...] FIRST COUNT
"""
import http.client
import json
import sys

target, srcs, first, count = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3]), int(sys.argv[4])
host, port = target.rsplit(":", 1)
seen = {}
for i in range(count):
    src = srcs[i % len(srcs)]
    # One port per source address in turn: FIRST.. for each, so COUNT claims in total.
    claim = first + i // len(srcs)
    try:
        c = http.client.HTTPConnection(host, int(port), timeout=3, source_address=(src, 0))
        c.request("GET", "/v1/node", headers={"X-Podreach-Peer": str(claim)})
        status = str(c.getresponse().status)
        c.close()
    except OSError as e:
        status = type(e).__name__
    seen[status] = seen.get(status, 0) + 1
print(json.dumps(seen))
