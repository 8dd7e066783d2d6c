#!/usr/bin/env bash
# check_guard — what podreach refuses: a foreign route in the way is kept and reported;
# hostile remotes (a default route, the bridge subnet, a range overlapping the local cluster)
# are refused and nothing is installed; bad options exit 2 and change nothing.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

e2e_setup

# ---- a foreign route in the way ----------------------------------------------------------------
lab_node_exec c2n2 ip route add 10.244.1.0/24 via 172.18.0.9 proto static
assert_exit 1 pr_check c2n2 --remote "$(pr_remotes c2n2)" --mode enforce --output json
assert_eq "installed conflict" "$(json_get "$OUT" '" ".join(r["state"] for r in j["routes"])')" \
    "the free CIDR is installed, the taken one is a conflict"
assert_contains "$(json_get "$OUT" '[p["code"] for p in j["problems"]]')" "route-conflict" "code"
assert_contains "$(json_get "$OUT" 'j["problems"][0]["message"]')" \
    "10.244.1.0/24 via 172.18.0.9 dev eth0 proto static" "the foreign route is named"
assert_contains "$(routes_of c2n2)" "10.244.1.0/24 via 172.18.0.9 dev eth0 proto static" \
    "the foreign route is untouched"
assert_eq "10.244.0.0/24 via 172.18.0.2 dev eth0 " "$(owned_routes c2n2)" "only the free one is owned"

# ---- hostile remotes ------------------------------------------------------------------------------
before=$(routes_of c2n1)
hostile="172.18.0.2=0.0.0.0/0,172.18.0.3=172.18.0.0/16+172.18.7.0/24,172.18.0.5=10.245.0.0/16"
assert_exit 1 pr_check c2n1 --remote "$hostile" --mode enforce --output json
assert_eq "rejected rejected rejected rejected" \
    "$(json_get "$OUT" '" ".join(r["state"] for r in j["routes"])')" "all four refused"
codes=$(json_get "$OUT" '" ".join(sorted(set(p["code"] for p in j["problems"])))')
assert_eq "cidr-rejected pod-cidr-overlap" "$codes" "problem codes"
assert_contains "$OUT" "podSubnet" "the overlap fix names podSubnet"
assert_eq "$before" "$(routes_of c2n1)" "nothing installed, nothing changed"
assert_eq "" "$(owned_routes c2n1)" "no owned route"

# A remote not on any shared network, and the node itself.
assert_exit 1 pr_check c2n1 --remote "192.168.77.2=10.250.0.0/24,172.18.0.4=10.251.0.0/24" --mode enforce
assert_contains "$OUT" "peer-not-on-link" "off-link node"
assert_contains "$OUT" "peer-invalid" "our own address as a remote"
assert_eq "$before" "$(routes_of c2n1)" "still nothing changed"

# ---- bad options: exit 2, the option and the value named, nothing changed --------------------
bad() { # bad EXPECTED_STDERR ARGS...
    local want=$1
    shift
    assert_exit 2 pr_check c2n1 --mode enforce "$@"
    assert_contains "$ERR" "$want" "names it: $want"
}
good="172.18.0.2=10.244.0.0/24"
bad '--pod-cidr "10.245.0.1/24": "10.245.0.1/24" has host bits set' --remote "$good" --pod-cidr 10.245.0.1/24
bad '--remote "172.18.0.2=10.244.0.0/33"' --remote 172.18.0.2=10.244.0.0/33
bad '--remote "garbage"' --remote garbage
bad 'node 172.18.0.2 is listed twice' --remote "$good,172.18.0.2=10.244.9.0/24"
bad '--probe-port "70000"' --remote "$good" --probe-port 70000
bad '--timeout "soon"' --remote "$good" --timeout soon
bad '--mode is given twice' --remote "$good" --mode report
bad '--node-ip 172.18.0.99 is not an address of this node' --remote "$good" --node-ip 172.18.0.99
assert_exit 2 lab_node_exec c2n1 "$PODREACH" check --cluster cluster2 --node-name c2n1 \
    --cni-conf-dir /nonexistent-podreach --remote "$good" --mode enforce
assert_contains "$ERR" "no --pod-cidr given and CNI config dir /nonexistent-podreach" "no pod CIDR"
assert_exit 2 lab_node_exec c2n1 env PODREACH_REMOTE=nonsense "$PODREACH" check --cluster cluster2 \
    --node-name c2n1 --cni-conf-dir "$(lab_cni_dir c2n1)" --mode enforce
assert_contains "$ERR" 'PODREACH_REMOTE="nonsense"' "the variable is named"
assert_eq "$before" "$(routes_of c2n1)" "bad options changed nothing"
