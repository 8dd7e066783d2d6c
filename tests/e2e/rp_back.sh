#!/usr/bin/env bash
# rp_back — the receiver's rp_filter and route back, in the node's own report (`podreach check`
# and the agent's /v1/status), not only in `podreach why`. Agents on c1n1 and c2n1. With
# rp_filter off, then loose, and symmetric routes: no such problem. Then on c1n1 c2n1's node
# IP (what masquerade leaves) and the lower half of its pod CIDR are routed out of another
# device (asym0): strict rp_filter on eth0 drops what arrives from them, and c1n1's report
# says so (rp-filter-strict, an error: node, device, source, the device the way back takes,
# the fix); loose lets it in and leaves the asymmetric way back to the node IP said as a
# foreign route in the way (route-conflict, a warning); all clears once the routes are gone.
# The matrix gives c1n1's rp_filter as the cause of the failing pairs both ways (c1n2's agent
# serves the one whose rows c1n1 and c2n1 cannot fetch from each other any more).
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

e2e_setup
common=(--interval 1 --timeout 0.5 --resync 1)
pr_agent c1n1 --peers 172.18.0.4 "${common[@]}"
pr_agent c2n1 --peers 172.18.0.2 "${common[@]}"
pr_agent c1n2 --peers 172.18.0.4 "${common[@]}"
wait_ready c1n1
wait_ready c2n1
wait_ready c1n2
wait_until 15 eval '[[ $(owned_routes c1n1) == *10.245.0.0/24* ]]' || fail "c1n1 has no route to c2n1"

# back_problems NODE — NODE's rp-filter-strict and route-conflict problems from /v1/status, one
# "code severity: message | fix" per line.
back_problems() {
    json_get "$(host_curl "http://$(lab_node_ip "$1"):9750/v1/status")" \
        "'\n'.join(p['code'] + ' ' + p['severity'] + ': ' + p['message'] + ' | ' + p['fix'] for p in j['problems'] if p['code'] in ('rp-filter-strict', 'route-conflict'))"
}
rp() { # VALUE — c1n1's rp_filter, all and eth0
    lab_node_exec c1n1 sysctl -q -w net.ipv4.conf.all.rp_filter="$1" net.ipv4.conf.eth0.rp_filter="$1"
}

# ---- healthy: symmetric routes, rp_filter off then loose -------------------------------------
sleep 2 # two resyncs: the report is of this state
assert_eq "" "$(back_problems c1n1)" "rp_filter off, symmetric: nothing said"
rp 2
sleep 2
assert_eq "" "$(back_problems c1n1)" "rp_filter loose, symmetric: nothing said"
assert_not_contains "$(pr_check c1n1 --remote "$(pr_remotes c1n1)" --output json)" rp-filter \
    "podreach check says nothing of rp_filter either"

# ---- the way back leaves through another device ------------------------------------------------
lab_node_exec c1n1 ip link add asym0 type veth peer name asym1
lab_node_exec c1n1 ip addr add 192.168.77.1/24 dev asym0
lab_node_exec c1n1 ip link set asym0 up
lab_node_exec c1n1 ip link set asym1 up
lab_node_exec c1n1 ip route add 10.245.0.0/25 dev asym0
rp 1
node_drop="rp-filter-strict error: on c1n1: strict rp_filter on eth0 drops what arrives from 172.18.0.4 (node c2n1 (172.18.0.4) of cluster2): the route back to it leaves through asym0 | sysctl -w net.ipv4.conf.all.rp_filter=2 net.ipv4.conf.eth0.rp_filter=2 (loose)"
pods_drop="rp-filter-strict error: on c1n1: strict rp_filter on eth0 drops what arrives from 10.245.0.0/24 (pods of node c2n1 (172.18.0.4) of cluster2): the route back to it leaves through asym0"
wait_until 10 eval '[[ $(back_problems c1n1) == *"$pods_drop"* ]]' ||
    fail "c1n1's /v1/status does not name the rp_filter drop: '$(back_problems c1n1)'"
pass_check "/v1/status on c1n1: strict rp_filter on eth0 drops c2n1's pods (way back: asym0)"
# pair_cause AGENT FROM TO — the cause of the failing pair FROM -> TO in AGENT's /v1/matrix.
pair_cause() {
    json_get "$(host_curl "http://$(lab_node_ip "$1"):9750/v1/matrix")" \
        "[str(f['cause']) for f in j['failures'] if j['nodes'][f['from']]['node'] == '$2' and j['nodes'][f['to']]['node'] == '$3'][0]" 2>/dev/null
}
# c1n1's probes of c2n1's pods leave masqueraded as 172.18.0.2; the answers come from the pods
# and are the ones dropped: c1n1's own matrix row says so.
wait_until 20 eval '[[ $(pair_cause c1n1 c1n1 c2n1) == "its answers: strict rp_filter on eth0 drops it (the way back leaves through asym0)" ]]' ||
    fail "c1n1's matrix does not give its rp_filter as the cause: '$(pair_cause c1n1 c1n1 c2n1)'"
pass_check "c1n1's /v1/matrix: c1n1 -> c2n1 fails, cause: its answers are dropped by c1n1's rp_filter"
lab_node_exec c1n1 ip route add 172.18.0.4/32 dev asym0
wait_until 10 eval '[[ $(back_problems c1n1) == *"$node_drop"* && $(back_problems c1n1) == *"$pods_drop"* ]]' ||
    fail "c1n1's /v1/status does not name the rp_filter drops: '$(back_problems c1n1)'"
pass_check "... and of c2n1's node IP (what masquerade leaves), routed back out of asym0"
# c2n1's probes (masqueraded: from 172.18.0.4) get no answer now, and c2n1 knows no cause: the
# pair's cause is the receiver's, from c1n1's row (c1n2's matrix: it reaches both rows).
want="c1n1: strict rp_filter on eth0 drops it (the way back leaves through asym0)"
wait_until 20 eval '[[ $(pair_cause c1n2 c2n1 c1n1) == "$want" ]]' ||
    fail "c1n2's matrix does not give c1n1's rp_filter as the cause of c2n1 -> c1n1: '$(pair_cause c1n2 c2n1 c1n1)'"
pass_check "c1n2's /v1/matrix: c2n1 -> c1n1 fails, cause the receiver's: $want"
assert_eq 0 "$(back_problems c1n1 | grep -c 'packets from remote pods are dropped unless')" \
    "... said per source, not also as the general warning"
assert_exit 1 pr_check c1n1 --remote "$(pr_remotes c1n1)"
assert_contains "$OUT" "error rp-filter-strict: on c1n1: strict rp_filter on eth0 drops what arrives from 172.18.0.4" \
    "podreach check on c1n1 names it (an error: exit 1)"
assert_contains "$OUT" "fix: sysctl -w net.ipv4.conf.all.rp_filter=2 net.ipv4.conf.eth0.rp_filter=2" \
    "... with the fix"
# c2n1 itself sees nothing of this: its own paths are symmetric.
assert_eq "" "$(back_problems c2n1)" "c2n1: nothing made up"

rp 2
wait_until 10 eval '[[ $(back_problems c1n1) != *rp-filter-strict* ]]' ||
    fail "loose rp_filter still reported: '$(back_problems c1n1)'"
assert_contains "$(back_problems c1n1)" "route-conflict warning: on c1n1: replies to 172.18.0.4 leave through asym0 (\"172.18.0.4/32 dev asym0" \
    "loose: let in, the asymmetric way back to c2n1's node IP is a foreign route in the way"
assert_contains "$(back_problems c1n1)" "route-conflict warning: on c1n1: replies to 10.245.0.0/24 leave through asym0 (\"10.245.0.0/25 dev asym0" \
    "... and the one to the lower half of its pods"

lab_node_exec c1n1 ip route del 172.18.0.4/32 dev asym0
lab_node_exec c1n1 ip route del 10.245.0.0/25 dev asym0
rp 1
sleep 2
assert_eq "" "$(back_problems c1n1 | grep -v 'packets from remote pods are dropped unless')" \
    "the routes gone: strict, symmetric, nothing dropped is said (only the general warning)"
lab_node_exec c1n1 ip link del asym0
