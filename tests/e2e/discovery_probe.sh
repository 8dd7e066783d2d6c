#!/usr/bin/env bash
# e2e-timeout: 900
# discovery_probe — probes and the matrix from Kubernetes discovery alone: two real
# kube-apiservers (tests/lab/kubeapi.sh), Istio-shaped remote secrets both ways, agents with
# --probe-port 5000 and no --peers, no --probe, no --remote. Before any remote secret: nothing
# to probe is said (no-probe-targets; /v1/matrix "nothing probed"). Then each agent probes
# every Node of the other cluster (its agent on the node IP and on its pod gateway) and the
# real pod IPs that Node's agent names, on 5000: helloworld open, the idle pods refused.
# /v1/matrix on one agent: all 4 nodes, rows fetched, a result for every cross-cluster pair.
# A Node with no agent: in the matrix, its row unknown. A Node whose agent names a pod outside
# the Node's API-given pod CIDR: that pod is not probed.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/lab/kubeapi.sh
source "$E2E_REPO_ROOT/tests/lab/kubeapi.sh"

if ! why=$(kubeapi_have); then
    echo "skipped: $why"
    exit 77
fi
e2e_setup

kubeapi_lab || fail "the lab's API servers"
pass_check "two kube-apiservers with Nodes c1n1 c1n2 | c2n1 c2n2"

for n in c1n1 c1n2 c2n1 c2n2; do
    ip netns exec "$(lab_ns "$n")" "$PODREACH" agent --cluster "$(lab_cluster_of "$n")" \
        --node-name "$n" --cni-conf-dir "$(lab_cni_dir "$n")" --mode enforce \
        --interval 1 --timeout 0.5 --probe-port 5000 \
        --kubeconfig "$LAB_DIR/$(lab_cluster_of "$n")-agent.kubeconfig" --remote-secrets podreach \
        >>"$LAB_DIR/agent-$n.log" 2>&1 </dev/null &
    echo $! >"$LAB_DIR/agent-$n.pid"
done
for n in c1n1 c1n2 c2n1 c2n2; do wait_ready "$n"; done

status() { host_curl "http://$(lab_node_ip "$1"):9750/v1/status"; }
matrix() { host_curl "http://$(lab_node_ip "$1"):9750/v1/matrix"; }
codes() { json_get "$(status "$1")" '" ".join(p["code"] for p in j["problems"])'; }

# ---- nothing to probe yet: said, not a false all-clear -------------------------------------
wait_until 10 eval '[[ $(codes c1n1) == *no-probe-targets* ]]' ||
    fail "no no-probe-targets without a remote cluster: $(codes c1n1)"
assert_contains "$(host_curl http://172.18.0.2:9750/)" "no-probe-targets: nothing probed" \
    "the text report says nothing was probed"
assert_eq "nothing probed 0" "$(json_get "$(matrix c1n1)" 'j["summary"] + " " + str(j["probed_pairs"])')" \
    "/v1/matrix says nothing probed"
pass_check "no remote cluster: no-probe-targets, /v1/matrix 'nothing probed'"

# ---- the remote secrets: each side lists the other's Nodes -----------------------------------
kubeapi_remote_secret cluster2 cluster1 || fail "remote secret for cluster2 in cluster1"
kubeapi_remote_secret cluster1 cluster2 || fail "remote secret for cluster1 in cluster2"

result_of() { # NODE TARGET — the last result for TARGET in NODE's report
    json_get "$(status "$1")" "next((p['result'] for p in j['probes'] if p['target'] == '$2'), 'none')"
}
expect() { # NODE TARGET RESULT
    wait_until 20 eval "[[ \$(result_of $1 '$2') == '$3' ]]" ||
        fail "$1: $2 is $(result_of "$1" "$2"), expected $3: $(json_get "$(status "$1")" 'j["probes"]'; tail -5 "$LAB_DIR/agent-$1.log")"
}
for n in c2n1 c2n2; do
    expect "$n" 10.244.0.9:5000 open       # helloworld, a real pod of c1n1
    expect "$n" 10.244.1.5:5000 refused    # the idle pod of c1n2: the path works
    expect "$n" 172.18.0.2:9750 open       # every Node of cluster1, on its node IP
    expect "$n" 172.18.0.3:9750 open
    expect "$n" 10.244.0.1:9750 open       # ... and on its pod gateway
done
pass_check "cluster2's agents probe cluster1's Nodes and real pods from the API alone"
for n in c1n1 c1n2; do
    expect "$n" 10.245.1.5:5000 open       # web, a real pod of c2n2
    expect "$n" 10.245.0.7:5000 refused    # the curl pod of c2n1
    expect "$n" 172.18.0.4:9750 open
    expect "$n" 172.18.0.5:9750 open
done
pass_check "cluster1's agents probe cluster2's Nodes and real pods"
st=$(status c2n1)
assert_eq "" "$(json_get "$st" '" ".join(p["target"] for p in j["probes"] if p["target"].split(".")[1] == "245")')" \
    "nothing of the local cluster is probed"
assert_not_contains "$(codes c2n1)" "no-probe-targets" "no-probe-targets cleared"
assert_not_contains "$(codes c2n1)" "probe-failed" "no probe fails"

# ---- the matrix on one agent: 4 nodes, every cross-cluster pair ------------------------------
full() { # "ok" once c1n1's matrix has rows from every agent and a result for every pair across
    json_get "$(matrix c1n1)" '"ok" if len(j["nodes"]) == 4 and all(n["row"] in ("self", "ok") for n in j["nodes"]) and all(j["nodes"][a]["result"][b] for a in range(4) for b in range(4) if j["nodes"][a]["cluster"] != j["nodes"][b]["cluster"]) else j'
}
wait_until 20 eval '[[ $(full) == ok ]]' || fail "the matrix is not full: $(full)"
m=$(matrix c1n1)
assert_eq "cluster1/c1n1 cluster1/c1n2 cluster2/c2n1 cluster2/c2n2" \
    "$(json_get "$m" '" ".join(n["cluster"] + "/" + n["node"] for n in j["nodes"])')" "the 4 nodes"
assert_eq "0 of 8 probed pairs failing" "$(json_get "$m" 'j["summary"]')" "8 pairs probed, none failing"
echo "# c1n1's /v1/matrix results:"
json_get "$m" '"\n".join("#   %s %s" % (n["node"], n["result"]) for n in j["nodes"])'
pass_check "/v1/matrix on c1n1: 4 nodes, rows fetched, every cross-cluster pair probed"

# ---- a Node with no agent: in the matrix (from the API), its row unknown, not a failure -------
kubeapi_node cluster2 ghost 172.18.0.6 10.245.6.0/24 || fail "creating Node ghost"
ghost_row() { json_get "$(matrix c1n1)" 'next((n["row"] for n in j["nodes"] if n["node"] == "ghost"), "absent")'; }
wait_until 10 eval '[[ $(ghost_row) == unreachable ]]' || fail "Node ghost's row: $(ghost_row)"
kubeapi_kubectl cluster2 delete node ghost >/dev/null
wait_until 10 eval '[[ $(ghost_row) == absent ]]' || fail "the deleted Node ghost stays in the matrix"
pass_check "a Node without an agent is in the matrix, its row unreachable; gone with its Node"

# ---- a Node whose agent names pods outside the Node's API-given pod CIDR -----------------------
# A stand-in agent in the docker host answers /v1/node for Node "liar" (172.18.0.1): the API
# gives it 10.245.9.0/24; it names 10.245.9.5 and 10.245.8.5 (claiming 10.245.8.0/24 too).
cat >"$LAB_DIR/liar.py" <<'EOF'
import http.server, json, sys
body = json.dumps({"cluster": "cluster2", "node": "liar", "node_ip": "172.18.0.1",
                   "pod_cidrs": ["10.245.9.0/24", "10.245.8.0/24"], "service_cidr": None,
                   "pod_ips": ["10.245.9.5", "10.245.8.5"], "probe_addrs": ["172.18.0.1:9750"],
                   "version": "liar"}).encode()
peers = b'{"peers": []}'
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        b = {"/v1/node": body, "/v1/peers": peers}.get(self.path, b"")
        self.send_response(200 if b else 404)
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def log_message(self, *a):
        pass
http.server.HTTPServer(("172.18.0.1", 9750), H).serve_forever()
EOF
ip netns exec "$(lab_ns host)" /usr/bin/python3 "$LAB_DIR/liar.py" >"$LAB_DIR/liar.log" 2>&1 </dev/null &
liar=$! # on failure lab_down ends it with the namespace
kubeapi_node cluster2 liar 172.18.0.1 10.245.9.0/24 || fail "creating Node liar"
wait_until 20 eval '[[ $(result_of c1n1 10.245.9.5:5000) != none ]]' ||
    fail "the liar's pod inside its API CIDR is not probed: $(json_get "$(status c1n1)" 'j["probes"]')"
assert_eq "none" "$(result_of c1n1 10.245.8.5:5000)" "a pod outside the Node's API pod CIDR is not probed"
assert_eq "" "$(json_get "$(status c1n1)" '" ".join(p["target"] for p in j["probes"] if p["target"].startswith("10.245.8."))')" \
    "nothing in 10.245.8.0/24"
assert_not_contains "$(owned_routes c1n1)" "10.245.8.0/24" "... nor routed"
kill "$liar"
kubeapi_kubectl cluster2 delete node liar >/dev/null
wait_until 10 eval '[[ $(result_of c1n1 10.245.9.5:5000) == none ]]' ||
    fail "the deleted Node's pod is still probed"
pass_check "pods outside the Node's API pod CIDR are refused; a deleted Node is no longer probed"
