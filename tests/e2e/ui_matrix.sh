#!/usr/bin/env bash
# ui_matrix — the connectivity matrix in a real browser. Agents on all four nodes (peers
# mode, --interval 1); on c2n1 an nftables rule drops the node's own probes to c1n1's pod
# CIDR on the probe port. c1n1 serves /ui; headless Chromium loads it from the docker host
# and the rendered DOM must name every node, mark c2n1 -> c1n1 failing with the rule's
# handle as `nft -a` shows it (that row comes from c2n1's agent through /v1/row), and show
# every other cross-cluster pair ok (and, before, a lone agent's page says "nothing probed",
# not "0 failing pairs"). A screenshot is saved. Then: a row that cannot be
# fetched is unknown, not a failure; and a hostile "agent" whose row carries HTML gets it
# shown as text, never as markup.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

OUT_DIR=${E2E_OUT_DIR:-${TMPDIR:-/tmp}/podreach-e2e}/ui_matrix
CHROMIUM=${CHROMIUM:-$(command -v chromium || true)}

skip() {
    # In CI the browser is installed by tests/deps.sh: not running there is a failure.
    [[ ${CI:-} == true ]] && fail "cannot run in CI: $*"
    echo "skipped: $*"
    exit 77
}
[[ -n $CHROMIUM ]] || skip "chromium is not installed (tests/deps.sh installs Debian's chromium)"

e2e_setup
mkdir -p "$OUT_DIR"
rm -f "$OUT_DIR"/*.png "$OUT_DIR"/*.html

# chrome ARGS... — headless Chromium in the docker host's namespace (it reaches the agents
# there), a fresh profile, nothing fetched from outside, 60 s at most.
chrome() {
    local profile
    profile=$(mktemp -d "$LAB_DIR/chromium.XXXXXX")
    timeout -k 5 60 ip netns exec "$(lab_ns host)" "$CHROMIUM" --headless --no-sandbox \
        --disable-gpu --disable-quic --no-first-run --disable-background-networking \
        --disable-component-update --disable-sync --disable-dev-shm-usage \
        --user-data-dir="$profile" "$@" 2>>"$OUT_DIR/chromium.log"
}
: >"$OUT_DIR/chromium.log"
out=$(chrome --dump-dom 'data:text/html,<p id=x>alive</p>') || true
[[ $out == *alive* ]] || skip "chromium does not run here: $(tail -n 3 "$OUT_DIR/chromium.log")"

# ---- nothing probed: the page says so, not "0 failing pairs" ---------------------------------
# A lone agent (no peers, no --probe) on c1n1's second port.
ip netns exec "$(lab_ns c1n1)" "$PODREACH" agent --cluster cluster1 --node-name c1n1 \
    --cni-conf-dir "$(lab_cni_dir c1n1)" --listen 0.0.0.0:9751 --interval 0.5 --timeout 0.3 --resync 60 \
    >>"$LAB_DIR/agent-lone.log" 2>&1 </dev/null &
lone=$!
L=http://172.18.0.2:9751
wait_until 10 eval '[[ $(json_get "$(host_curl $L/v1/matrix)" "j[\"summary\"]") == "nothing probed" ]]' ||
    fail "the lone agent's matrix: $(host_curl $L/v1/matrix; tail -5 "$LAB_DIR/agent-lone.log")"
chrome --virtual-time-budget=2000 --dump-dom "$L/ui" >"$OUT_DIR/dom-lone.html" ||
    fail "chromium could not load $L/ui: $(tail -n 5 "$OUT_DIR/chromium.log")"
status=$(python3 -c 'import re,sys; print(re.search(r"id=\"status\"[^>]*>([^<]*)<", open(sys.argv[1]).read()).group(1))' \
    "$OUT_DIR/dom-lone.html") || fail "no status line in $OUT_DIR/dom-lone.html"
assert_contains "$status" "1 clusters · nothing probed" "the page says nothing was probed"
assert_not_contains "$status" "failing" "... and no count of failing pairs"
kill -TERM "$lone"
wait "$lone" || fail "the lone agent did not stop cleanly"

common=(--interval 1 --timeout 0.5 --resync 60)
pr_agent c1n1 --peers 172.18.0.4 "${common[@]}"
pr_agent c1n2 --peers 172.18.0.4 "${common[@]}"
pr_agent c2n1 --peers 172.18.0.2 "${common[@]}"
pr_agent c2n2 --peers 172.18.0.2 "${common[@]}"
for n in c1n1 c1n2 c2n1 c2n2; do wait_ready "$n"; done
all_routed() { for n in c1n1 c1n2 c2n1 c2n2; do [[ $(route_count "$n") == 2 ]] || return 1; done; }
wait_until 20 all_routed || fail "no convergence"
pass_check "four agents, both clusters routed"

# ---- the broken pair: c2n1's own probes to c1n1's pods on the probe port ------------------
lab_node_exec c2n1 nft add table ip block
lab_node_exec c2n1 nft add chain ip block out '{ type filter hook output priority 0; policy accept; }'
lab_node_exec c2n1 nft add rule ip block out ip daddr 10.244.0.0/24 tcp dport 9750 counter drop
handle=$(lab_node_exec c2n1 nft -a list chain ip block out | sed -n 's/.*drop # handle \([0-9]*\)$/\1/p')
[[ $handle =~ ^[0-9]+$ ]] || fail "no handle in: $(lab_node_exec c2n1 nft -a list chain ip block out)"
echo "# the drop is ip block out handle $handle"

M=http://172.18.0.2:9750
assert_eq "matrix: $M/ui" "$(host_curl "$M/" | head -n 1)" "/ links the matrix on its first line"

# verdict MATRIX-JSON — "ok" once the matrix says what the browser must show, else why not.
# Asking for /v1/matrix is also what keeps c1n1 fetching the other rows.
verdict() {
    python3 - "$1" "$handle" <<'PY'
import json, sys
m, handle = json.loads(sys.argv[1]), sys.argv[2]
names = [n["node"] for n in m["nodes"]]
idx = {n: i for i, n in enumerate(names)}
def res(a, b): return m["nodes"][idx[a]]["result"][idx[b]]
if sorted(names) != ["c1n1", "c1n2", "c2n1", "c2n2"]: sys.exit(f"nodes {names}")
rows = {n["node"]: n["row"] for n in m["nodes"]}
if rows != {"c1n1": "self", "c1n2": "ok", "c2n1": "ok", "c2n2": "ok"}: sys.exit(f"rows {rows}")
for a, b in [("c1n1","c2n1"),("c1n1","c2n2"),("c1n2","c2n1"),("c1n2","c2n2"),
             ("c2n1","c1n2"),("c2n2","c1n1"),("c2n2","c1n2")]:
    if res(a, b) not in ("open", "refused"): sys.exit(f"{a}->{b} is {res(a, b)}")
f = [f for f in m["failures"] if names[f["from"]] == "c2n1" and names[f["to"]] == "c1n1"]
if not f or f"handle {handle} drops it" not in (f[0]["cause"] or ""): sys.exit(f"c2n1->c1n1: {f}")
# Every failing target is named (pods of c1n1 on the dropped port), not only the first.
fl = f[0].get("failing") or []
if len(fl) != f[0]["probed"] - f[0]["reached"] or not all(t.startswith("10.244.0.") and t.endswith(":9750") for t in fl):
    sys.exit(f"c2n1->c1n1 failing targets: {f}")
if len(m["failures"]) != 1: sys.exit(f"failures {m['failures']}")
print("ok")
PY
}
settled() { [[ $(verdict "$(host_curl "$M/v1/matrix")" 2>&1) == ok ]]; }
wait_until 30 settled || fail "the matrix never settled: $(verdict "$(host_curl "$M/v1/matrix")" 2>&1)"
pass_check "/v1/matrix on c1n1: c2n1's row (fetched from its agent) fails on c1n1 with handle $handle"
host_curl "$M/v1/matrix" >"$OUT_DIR/matrix.json"
host_curl "$M/v1/row" >"$OUT_DIR/row-c1n1.json"

# ---- the browser --------------------------------------------------------------------------
# The DOM is checked as Chromium saw it between two settled answers: a healthy probe that
# times out once on a loaded machine must not make the test flaky.
for attempt in 1 2 3; do
    wait_until 30 settled || fail "the matrix never settled: $(verdict "$(host_curl "$M/v1/matrix")" 2>&1)"
    t0=${EPOCHREALTIME/[.,]/}
    chrome --virtual-time-budget=4000 --dump-dom "$M/ui" >"$OUT_DIR/dom.html" ||
        fail "chromium could not load $M/ui: $(tail -n 5 "$OUT_DIR/chromium.log")"
    t1=${EPOCHREALTIME/[.,]/}
    settled && break
    echo "# the matrix moved while Chromium loaded it (attempt $attempt): again"
done
echo "# chromium: started, loaded, fetched and drew /ui in $(((t1 - t0) / 1000)) ms wall"

# dom CHECK — what the rendered DOM says, parsed with python's html.parser.
dom() {
    python3 - "$OUT_DIR/dom.html" "$1" <<'PY'
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.cells, self.heads, self.lis, self.stack, self.tags = {}, {}, [], [], set()
        self.text, self.cur = {}, None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.add(tag)
        if tag == "td" and "data-from" in a:
            self.cells[(a["data-from"], a["data-to"])] = a
            self.cur = (a["data-from"], a["data-to"])
            self.text[self.cur] = ""
        if tag == "th" and "data-node" in a:
            self.heads[a["data-node"]] = self.heads.get(a["data-node"], 0) + 1
        if tag == "li" and "data-from" in a:
            self.lis.append([a["data-from"], a["data-to"], ""])
        self.stack.append(tag)
    def cls(self, a, b):  # a cell's classes but the cluster boundary's
        return " ".join(c for c in self.cells[(a, b)]["class"].split() if c != "gl")
    def handle_endtag(self, tag):
        if self.stack: self.stack.pop()
    def handle_data(self, d):
        if self.lis and "li" in self.stack: self.lis[-1][2] += d
        if self.cur and self.stack and self.stack[-1] == "td": self.text[self.cur] += d
p = P()
p.feed(open(sys.argv[1]).read())
print(eval(sys.argv[2], {"p": p}))
PY
}
for n in c1n1 c1n2 c2n1 c2n2; do
    assert_eq 2 "$(dom "p.heads.get('$n', 0)")" "$n is named as a row and as a column"
done
assert_eq "fail partial" "$(dom "p.cls('c2n1','c1n1')")" \
    "c2n1 -> c1n1 is failing (some of its targets: the node IP still answers)"
assert_contains "$(dom "p.cells[('c2n1','c1n1')]['title']")" "cause: ip block out handle $handle drops it" \
    "its hover names the nftables handle $handle"
assert_contains "$(dom "[t for f, to, t in p.lis if (f, to) == ('c2n1', 'c1n1')]")" \
    "handle $handle drops it" "the list below names it too"
failing=$(json_get "$(host_curl "$M/v1/matrix")" \
    '", ".join([f for f in j["failures"] if j["nodes"][f["from"]]["node"]=="c2n1"][0]["failing"])')
counts=$(json_get "$(host_curl "$M/v1/matrix")" \
    '"%d/%d" % [(f["reached"], f["probed"]) for f in j["failures"] if j["nodes"][f["from"]]["node"]=="c2n1"][0]')
echo "# c2n1 -> c1n1 failing: $failing ($counts answered)"
assert_contains "$(dom "p.cells[('c2n1','c1n1')]['title']")" "failing: $failing" \
    "its hover names every failing target"
assert_contains "$(dom "[t for f, to, t in p.lis if (f, to) == ('c2n1', 'c1n1')]")" "failing: $failing" \
    "the list too"
assert_eq "$counts :9750" "$(dom "p.text[('c2n1','c1n1')]")" "the cell shows the failing port, not only $counts"
assert_eq 1 "$(dom "len(p.lis)")" "one failing pair listed"
for pair in c1n1,c2n1 c1n1,c2n2 c1n2,c2n1 c1n2,c2n2 c2n1,c1n2 c2n2,c1n1 c2n2,c1n2; do
    a=${pair%,*} b=${pair#*,}
    assert_eq ok "$(dom "p.cls('$a','$b')")" "$a -> $b ok"
done
assert_eq "na na na na" "$(dom "' '.join(p.cls(*k) for k in [('c1n1','c1n2'),('c1n2','c1n1'),('c2n1','c2n2'),('c2n2','c2n1')])")" \
    "same-cluster pairs are not probed (the CNI's path)"
assert_eq self "$(dom "p.cls('c1n1','c1n1')")" "the diagonal"

chrome --virtual-time-budget=4000 --window-size=760,560 --hide-scrollbars \
    --screenshot="$OUT_DIR/ui.png" "$M/ui" >/dev/null ||
    fail "chromium could not take a screenshot: $(tail -n 5 "$OUT_DIR/chromium.log")"
assert_eq "PNG" "$(head -c 4 "$OUT_DIR/ui.png" | tail -c 3)" "screenshot saved: $OUT_DIR/ui.png"

# ---- a row that cannot be fetched is unknown, not a failure ------------------------------
kill -TERM "$(agent_pid c2n2)"
wait_until 5 eval '! kill -0 $(agent_pid c2n2) 2>/dev/null' || fail "c2n2's agent ignored SIGTERM"
assert_contains "$(tail -n 1 "$LAB_DIR/agent-c2n2.log")" "leaving 2 owned routes in place" \
    "c2n2's agent stopped cleanly (under make check: no sanitizer report)"
c2n2_unknown() {
    [[ $(json_get "$(host_curl "$M/v1/matrix")" \
        '[n["row"] for n in j["nodes"] if n["node"]=="c2n2"][0]') == unreachable ]]
}
wait_until 10 c2n2_unknown || fail "c2n2's row is not unknown: $(host_curl "$M/v1/matrix")"
m=$(host_curl "$M/v1/matrix")
assert_eq "[None, None, None, None]" "$(json_get "$m" '[n["result"] for n in j["nodes"] if n["node"]=="c2n2"][0]')" \
    "c2n2's row: unreachable, no results"
assert_eq "c2n1>c1n1" "$(json_get "$m" '",".join(j["nodes"][f["from"]]["node"]+">"+j["nodes"][f["to"]]["node"] for f in j["failures"])')" \
    "and no failure made up for it"

# ---- a hostile agent: its words are text, never markup ---------------------------------
cat >"$LAB_DIR/evil.py" <<'PY'
import json
from http.server import BaseHTTPRequestHandler, HTTPServer
EVIL = '<img src=x onerror="document.title=\'pwned\'"><script>document.title="pwned"</script>'
NODE = {"cluster": "cluster3", "node": "evil", "node_ip": "172.18.0.1",
        "pod_cidrs": ["10.250.0.0/24"], "version": "0"}
ROW = {"cluster": "cluster3", "node": "evil", "node_ip": "172.18.0.1", "age_s": 1,
       "cells": [{"node_ip": "172.18.0.2", "result": "timeout", "rtt_ms": None, "reached": 0,
                  "probed": 1, "target": EVIL, "cause": EVIL, "detail": "\x1b[31m\u00e9"}]}
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        body = {"/v1/node": NODE, "/v1/row": ROW, "/v1/peers": {"peers": []}}.get(self.path)
        self.send_response(200 if body is not None else 404)
        self.end_headers()
        self.wfile.write(json.dumps(body or {}).encode())
    def log_message(self, *a): pass
HTTPServer(("172.18.0.1", 9760), H).serve_forever()
PY
lab_node_exec host "$LAB_PYTHON" "$LAB_DIR/evil.py" </dev/null >/dev/null 2>&1 &
echo $! >"$LAB_DIR/evil.pid"
wait_until 5 host_curl -f -o /dev/null http://172.18.0.1:9760/v1/node || fail "fake agent not up"
kill -TERM "$(agent_pid c1n1)"
wait_until 5 eval '! kill -0 $(agent_pid c1n1) 2>/dev/null' || fail "c1n1's agent ignored SIGTERM"
assert_contains "$(tail -n 1 "$LAB_DIR/agent-c1n1.log")" "leaving 2 owned routes in place" \
    "c1n1's agent, its row fetches armed, stopped cleanly"
pr_agent c1n1 --peers 172.18.0.4,172.18.0.1:9760 "${common[@]}"
wait_ready c1n1
evil_row() {
    [[ $(json_get "$(host_curl "$M/v1/matrix")" \
        '[n["row"] for n in j["nodes"] if n["node"]=="evil"][0]') == ok ]] 2>/dev/null
}
wait_until 15 evil_row || fail "the fake agent's row never arrived: $(host_curl "$M/v1/matrix")"
assert_contains "$(host_curl "$M/v1/matrix")" '"detail":"?[31m??"' \
    "control and non-ASCII bytes of a row are made '?'"
chrome --virtual-time-budget=4000 --dump-dom "$M/ui" >"$OUT_DIR/dom-hostile.html" ||
    fail "chromium could not load $M/ui"
cp "$OUT_DIR/dom-hostile.html" "$OUT_DIR/dom.html"
assert_eq "False True" "$(dom "'img' in p.tags, 'onerror=' in p.cells[('evil','c1n1')]['title']" | tr -d '(),')" \
    "no <img> element was made; the text is in the hover"
assert_contains "$(dom "[t for f, to, t in p.lis if f == 'evil'][0]")" '<img src=x onerror=' \
    "the list shows the markup as text"
assert_not_contains "$(grep -o '<title>[^<]*</title>' "$OUT_DIR/dom.html")" pwned "no script of theirs ran"
echo "# output: $OUT_DIR"
