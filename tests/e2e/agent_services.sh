#!/usr/bin/env bash
# agent_services — --route-services: each remote cluster's service CIDR is routed via one of
# its nodes (the lowest IP that answers, the same on every node); two clusters on kind's
# default serviceSubnet 10.96.0.0/16 are refused instead.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

e2e_setup

common=(--interval 1 --route-services)
pr_agent c1n1 --peers 172.18.0.4 --service-cidr 10.96.0.0/16 "${common[@]}"
pr_agent c1n2 --peers 172.18.0.4 --service-cidr 10.96.0.0/16 "${common[@]}"
pr_agent c2n1 --peers 172.18.0.2 --service-cidr 10.97.0.0/16 "${common[@]}"
pr_agent c2n2 --peers 172.18.0.2 --service-cidr 10.97.0.0/16 "${common[@]}"
for n in c1n1 c1n2 c2n1 c2n2; do wait_ready "$n"; done

has() { [[ $(owned_routes "$1") == *"$2"* ]]; }
for n in c2n1 c2n2; do
    wait_until 15 has "$n" "10.96.0.0/16 via 172.18.0.2 dev eth0" ||
        fail "$n: no service route: $(owned_routes "$n")"
    pass_check "$n routes cluster1's services via 172.18.0.2"
done
for n in c1n1 c1n2; do
    wait_until 15 has "$n" "10.97.0.0/16 via 172.18.0.4 dev eth0" ||
        fail "$n: no service route: $(owned_routes "$n")"
    pass_check "$n routes cluster2's services via 172.18.0.4"
done
assert_eq 3 "$(route_count c2n1)" "two pod CIDRs and one service CIDR"

# Both on kind's default serviceSubnet: refused, nothing installed for it.
kill -TERM "$(agent_pid c2n2)"
wait_until 5 eval '! kill -0 $(agent_pid c2n2) 2>/dev/null' || fail "c2n2's agent ignored SIGTERM"
lab_node_exec c2n2 ip route del 10.96.0.0/16
pr_agent c2n2 --peers 172.18.0.2 --service-cidr 10.96.0.0/16 "${common[@]}"
wait_ready c2n2
rejected() {
    [[ $(json_get "$(host_curl http://172.18.0.5:9750/v1/status)" \
        "[r['state'] for r in j['routes'] if r['dst'] == '10.96.0.0/16']") == "['rejected']" ]]
}
wait_until 15 rejected || fail "the overlapping service CIDR is not refused"
pass_check "same serviceSubnet on both clusters: refused"
assert_not_contains "$(owned_routes c2n2)" "10.96.0.0/16" "and not installed"
