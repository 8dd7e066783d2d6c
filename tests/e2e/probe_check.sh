#!/usr/bin/env bash
# probe_check — `podreach check --probe` from cluster2 once the routes are in: helloworld's
# :5000 open, a closed port refused, the HTTP GET ok with 200, all from c2n1's pod gateway
# (10.245.0.1). A drop rule on c1n1 turns the probes of that pod into timeout / error and
# raises probe-failed (exit 1) while the other node's pod stays refused; a blackhole route on
# c2n1 gives unreachable. Every probe targets a lab pod address.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

e2e_setup

for n in c1n1 c1n2 c2n1 c2n2; do
    assert_exit 0 pr_check "$n" --remote "$(pr_remotes "$n")" --mode enforce
done

hello=$(lab_pod_ip c1n1-hello)
idle=$(lab_pod_ip c1n2-idle)
probes="$hello:5000,$hello:5001,http://$hello:5000/hello,$idle:5000"
probe_c2n1() { pr_check c2n1 --remote "$(pr_remotes c2n1)" --timeout 0.5 "$@"; }
results() { json_get "$OUT" '" ".join(p["result"] for p in j["probes"])'; }
failed_targets() {
    json_get "$OUT" '" ".join(p["message"].split(" ")[3].rstrip(":") for p in j["problems"] if p["code"] == "probe-failed")'
}

# ---- the path works ----
assert_exit 0 probe_c2n1 --probe "$probes" --output json
assert_eq "open refused ok refused" "$(results)" "open / refused / ok / other node's pod refused"
assert_eq "tcp tcp http tcp" "$(json_get "$OUT" '" ".join(p["kind"] for p in j["probes"])')" "kinds"
assert_eq "$hello:5000 $hello:5001 http://$hello:5000/hello $idle:5000" \
    "$(json_get "$OUT" '" ".join(p["target"] for p in j["probes"])')" "targets as given"
assert_contains "$(json_get "$OUT" 'j["probes"][2]["detail"]')" "HTTP 200" "http status 200"
assert_contains "$(json_get "$OUT" 'j["probes"][0]["detail"]')" "from 10.245.0.1 (pod gateway)" \
    "source: the pod gateway of c2n1"
assert_eq "True" "$(json_get "$OUT" 'all(p["rtt_ms"] > 0 for p in j["probes"])')" "rtt measured"
assert_eq "" "$(failed_targets)" "no probe-failed"

assert_exit 0 probe_c2n1 --probe "$probes"
assert_contains "$OUT" "probes" "text report has a probes section"
assert_contains "$OUT" "http://$hello:5000/hello" "... with the http probe"

# ---- a drop rule on the remote node ----
lab_node_exec c1n1 nft add table inet t
lab_node_exec c1n1 nft add chain inet t f '{ type filter hook forward priority 0; }'
lab_node_exec c1n1 nft add rule inet t f ip daddr "$hello" tcp dport 5000 drop
assert_exit 1 probe_c2n1 --probe "$probes" --output json
assert_eq "timeout refused error refused" "$(results)" \
    "dropped: tcp timeout, http error; closed port and other node unaffected"
assert_eq "$hello:5000 http://$hello:5000/hello" "$(failed_targets)" "probe-failed for both"
assert_eq "error" "$(json_get "$OUT" '[p["severity"] for p in j["problems"] if p["code"] == "probe-failed"][0]')" \
    "probe-failed is an error"
assert_contains "$(json_get "$OUT" 'j["probes"][0]["detail"]')" "no answer in 0.5 s" "timeout detail"
lab_node_exec c1n1 nft delete table inet t
assert_exit 0 probe_c2n1 --probe "$probes" --output json
assert_eq "open refused ok refused" "$(results)" "rule gone: back to normal"

# ---- a blackhole route on the probing node ----
lab_node_exec c2n1 ip route add blackhole "$idle/32"
assert_exit 1 probe_c2n1 --probe "$hello:5000,$idle:5000" --output json
assert_eq "open unreachable" "$(results)" "blackhole: unreachable, the other pod still open"
assert_contains "$(json_get "$OUT" 'j["probes"][1]["detail"]')" "blackhole route" "blackhole detail"
assert_eq "$idle:5000" "$(failed_targets)" "probe-failed for the blackholed pod"
lab_node_exec c2n1 ip route del blackhole "$idle/32"

# ---- without a pod on the node the node IP is the source ----
assert_exit 0 pr_check c2n1 --remote "$(pr_remotes c2n1)" --pod-cidr 10.245.9.0/24 \
    --timeout 0.5 --probe "$hello:5000" --output json
assert_contains "$(json_get "$OUT" 'j["probes"][0]["detail"]')" "from 172.18.0.4 (node IP)" \
    "no pod gateway: node IP"
