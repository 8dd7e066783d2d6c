#!/usr/bin/env bash
# mtu — the path MTU between nodes: c2n1 DF-probes every node it routes to with a small
# datagram and one of its pods' MTU (UDP to a closed port: the ICMP port unreachable proves
# arrival, no raw socket). All at 1500: no mtu-mismatch. c1n2's eth0 cut to 1400 while the
# pods send 1500: c2n1 names c1n2 (its big datagrams are lost, small ones arrive) and c1n2 its
# own pods' MTU above its bridge's; both clear when the MTU is back.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

e2e_setup
common=(--interval 1 --timeout 0.5)
pr_agent c1n2 --peers 172.18.0.4 "${common[@]}"
pr_agent c2n1 --peers 172.18.0.3 "${common[@]}"
wait_ready c2n1
wait_ready c1n2

mtu_problems() { # NODE — the mtu-mismatch messages of NODE's report
    json_get "$(host_curl "http://$(lab_node_ip "$1"):9750/v1/status")" \
        "'|'.join(p['message'] for p in j['problems'] if p['code'] == 'mtu-mismatch')"
}
wait_until 15 eval '[[ $(owned_routes c2n1) == *10.244.1.0/24* ]]' || fail "c2n1 has no route to c1n2"
sleep 6   # a DF round every 5 s
assert_eq "" "$(mtu_problems c2n1)" "all at 1500: no mtu-mismatch on c2n1"
assert_eq "" "$(mtu_problems c1n2)" "all at 1500: no mtu-mismatch on c1n2"

lab_node_exec c1n2 ip link set eth0 mtu 1400
wait_until 15 eval '[[ $(mtu_problems c2n1) == *"1500 bytes, DF set) to node c1n2 of cluster1 are lost"* ]]' ||
    fail "c2n1 does not name the black hole: '$(mtu_problems c2n1)'"
pass_check "c2n1: packets of the pod MTU to c1n2 are lost, small ones arrive"
wait_until 15 eval '[[ $(mtu_problems c1n2) == *"MTU 1500"*"bridge eth0 only 1400"* ]]' ||
    fail "c1n2 does not name its own mismatch: '$(mtu_problems c1n2)'"
pass_check "c1n2: its pods' MTU above its bridge's"

lab_node_exec c1n2 ip link set eth0 mtu 1500
wait_until 15 eval '[[ -z $(mtu_problems c2n1) && -z $(mtu_problems c1n2) ]]' ||
    fail "not cleared: '$(mtu_problems c2n1)' '$(mtu_problems c1n2)'"
pass_check "cleared when the MTU is back"
