#!/usr/bin/env bash
# tests/bench/ui_bench.sh — /ui at 150 nodes (3 clusters x 50) in headless Chromium: the
# page's size, /v1/matrix's size (the JSON the agent's own code builds, written by the unit
# test), and how long Chromium takes to fetch, parse and draw it — real time from the
# page's own clock, read over the DevTools protocol (a --virtual-time-budget would stop
# that clock). Served on loopback inside a namespace of its own. Root, chromium, python3.
#   bash tests/bench/ui_bench.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-5}
NS=prbench-ui$$
TMP=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; ip netns del "$NS" 2>/dev/null || true; rm -rf "$TMP"' EXIT
command -v chromium >/dev/null || { echo "chromium is not installed"; exit 1; }
make -s -j2 build/tests/test_matrix
MATRIX_JSON_OUT=$TMP/matrix.json build/tests/test_matrix >/dev/null 2>&1
ip netns add "$NS"
ip -n "$NS" link set lo up

# The agent's two answers, from files.
ip netns exec "$NS" python3 - "$TMP/matrix.json" agent/daemon/ui.html <<'PY' &
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
files = {"/v1/matrix": (sys.argv[1], "application/json"), "/ui": (sys.argv[2], "text/html")}
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        path, ctype = files.get(self.path.split("?")[0], (None, None))
        if not path:
            self.send_response(404); self.end_headers(); return
        body = open(path, "rb").read()
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
HTTPServer(("127.0.0.1", 9799), H).serve_forever()
PY
pids+=($!)
echo "page: $(wc -c <agent/daemon/ui.html) bytes; /v1/matrix at 150 nodes: $(wc -c <"$TMP/matrix.json") bytes"

ip netns exec "$NS" chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$TMP/profile" --window-size=1400,1000 --remote-debugging-port=9798 \
    about:blank 2>"$TMP/chromium.log" &
pids+=($!)

# A minimal DevTools client (a websocket over python's socket module): load /ui RUNS times,
# each time waiting for the page to say it drew the matrix.
ip netns exec "$NS" python3 - "$RUNS" <<'PY'
import base64, json, os, socket, struct, sys, time, urllib.request
def until(f, t=30):
    end = time.time() + t
    while time.time() < end:
        try:
            r = f()
            if r: return r
        except (OSError, KeyError, TypeError): pass
        time.sleep(0.1)
    sys.exit("timed out")
page = until(lambda: [t for t in json.load(urllib.request.urlopen("http://127.0.0.1:9798/json"))
                      if t["type"] == "page"])[0]
path = page["webSocketDebuggerUrl"].split("9798", 1)[1]
s = socket.create_connection(("127.0.0.1", 9798))
s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:9798\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
          "Sec-WebSocket-Version: 13\r\n\r\n".encode())
buf = b""
while b"\r\n\r\n" not in buf: buf += s.recv(4096)
buf = buf.split(b"\r\n\r\n", 1)[1]
def read(n):
    global buf
    while len(buf) < n: buf += s.recv(65536)
    out, buf = buf[:n], buf[n:]
    return out
def recv():
    b0, b1 = read(2)
    n = b1 & 127
    if n == 126: n = struct.unpack(">H", read(2))[0]
    elif n == 127: n = struct.unpack(">Q", read(8))[0]
    return json.loads(read(n))
ids = iter(range(1, 1 << 30))
def call(method, **params):
    i = next(ids)
    data, mask = json.dumps({"id": i, "method": method, "params": params}).encode(), os.urandom(4)
    hdr = bytes([0x81]) + (bytes([0x80 | len(data)]) if len(data) < 126 else
                           bytes([0x80 | 126]) + struct.pack(">H", len(data)))
    s.sendall(hdr + mask + bytes(c ^ mask[k % 4] for k, c in enumerate(data)))
    while True:
        m = recv()
        if m.get("id") == i: return m.get("result", {})
EXPR = ("[document.body.dataset.firstMs, document.body.dataset.renderMs, "
        "document.body.dataset.totalMs, document.querySelectorAll('td').length]")
for run in range(1, int(sys.argv[1]) + 1):
    call("Page.navigate", url="http://127.0.0.1:9799/ui?" + str(run))
    time.sleep(0.05)
    v = until(lambda: (lambda r: r if r[0] else None)(
        call("Runtime.evaluate", expression=EXPR, returnByValue=True)["result"]["value"]))
    print(f"run {run}: {v[3]} cells drawn {v[0]} ms after navigation began; "
          f"fetch+parse+draw {v[2]} ms, of which draw {v[1]} ms")
PY
