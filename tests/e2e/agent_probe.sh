#!/usr/bin/env bash
# agent_probe — probe rounds in the agent: from c2n1 every cluster1 pod IP its peers publish
# on --probe-port 5000, each peer's probe address on 9750, and an explicit HTTP probe.
# helloworld is open, the idle pod refused, the agents open, the GET ok; a drop on c1n1 turns
# helloworld's probe into timeout and raises probe-failed, the other pod stays refused; a
# blackhole route gives unreachable. /metrics carries the probe series.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

e2e_setup

common=(--interval 1 --timeout 0.5 --probe-port 5000)
pr_agent c1n1 --peers 172.18.0.4 "${common[@]}"
pr_agent c1n2 --peers 172.18.0.4 "${common[@]}"
pr_agent c2n1 --peers 172.18.0.2 "${common[@]}" --probe http://10.244.0.9:5000/hello
pr_agent c2n2 --peers 172.18.0.2 "${common[@]}"
wait_ready c2n1

status() { host_curl http://172.18.0.4:9750/v1/status; }
result_of() { # result_of TARGET — the last result for TARGET in c2n1's report
    json_get "$(status)" "next((p['result'] for p in j['probes'] if p['target'] == '$1'), 'none')"
}
expect() { # expect TARGET RESULT [SECONDS]
    wait_until "${3:-15}" eval "[[ \$(result_of '$1') == '$2' ]]" ||
        fail "$1: $(result_of "$1"), expected $2: $(json_get "$(status)" 'j["probes"]')"
    pass_check "$1 is $2"
}

expect 10.244.0.9:5000 open
expect 10.244.1.5:5000 refused
expect 172.18.0.2:9750 open
expect 10.244.0.1:9750 open          # c1n1's agent, through its pod gateway
expect http://10.244.0.9:5000/hello ok
s=$(status)
assert_contains "$(json_get "$s" "[p['detail'] for p in j['probes'] if p['target'] == '10.244.0.9:5000'][0]")" \
    "from 10.245.0.1 (pod gateway)" "probes leave from c2n1's pod gateway"
assert_eq "0" "$(json_get "$s" 'len([p for p in j["problems"] if p["code"] == "probe-failed"])')" \
    "no probe-failed while the path works"

metrics=$(host_curl http://172.18.0.4:9750/metrics)
assert_contains "$metrics" 'podreach_probe_results_total{kind="tcp",result="open"}' "metrics: results"
assert_contains "$metrics" 'podreach_probe_success_ratio{target="10.244.0.9:5000"} 1' "metrics: ratio"
assert_contains "$metrics" 'podreach_probe_rtt_seconds_count' "metrics: RTT histogram"
promtool check metrics <<<"$metrics" || fail "promtool rejects /metrics"
pass_check "promtool accepts /metrics with the probe series"

# ---- a drop on the remote node --------------------------------------------------------------
lab_node_exec c1n1 nft add table inet t
lab_node_exec c1n1 nft add chain inet t f '{ type filter hook forward priority 0; }'
lab_node_exec c1n1 nft add rule inet t f ip daddr 10.244.0.9 tcp dport 5000 drop
expect 10.244.0.9:5000 timeout
expect 10.244.1.5:5000 refused 3
wait_until 5 eval '[[ $(json_get "$(status)" "len([p for p in j[\"problems\"] if p[\"code\"] == \"probe-failed\"])") -ge 1 ]]' ||
    fail "no probe-failed"
pass_check "probe-failed raised"
lab_node_exec c1n1 nft delete table inet t
expect 10.244.0.9:5000 open

# ---- a blackhole here ------------------------------------------------------------------------
lab_node_exec c2n1 ip route add blackhole 10.244.1.5/32
expect 10.244.1.5:5000 unreachable
lab_node_exec c2n1 ip route del blackhole 10.244.1.5/32
expect 10.244.1.5:5000 refused
