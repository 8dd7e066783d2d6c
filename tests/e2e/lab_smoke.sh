#!/usr/bin/env bash
# lab_smoke — the lab is what tests/lab/lab.sh claims: two kind-like clusters on one bridge,
# pods reachable inside a cluster, unreachable across clusters until a route is added, and
# the overlap variant showing kind's confusing symptom. No podreach involved.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

hello=http://10.244.0.9:5000/hello

# ---- normal variant: cluster1 10.244.0.0/16, cluster2 10.245.0.0/16 ----------------------
e2e_setup

assert_eq 10.244.0.9 "$(lab_pod_ip c1n1-hello)" "hello pod IP"
assert_eq 10.245.0.7 "$(lab_pod_ip c2n1-curl)" "curl pod IP"
assert_eq 172.18.0.4 "$(lab_node_ip c2n1)" "c2n1 node IP"
assert_eq "$LAB-c1n2-idle" "$(lab_ns c1n2-idle)" "pod namespace name"
assert_eq cluster2 "$(lab_cluster_of c2n2)" "cluster of c2n2"
assert_eq "$hello" "$LAB_HELLO_URL" "lab.env LAB_HELLO_URL"
# shellcheck disable=SC2154 # from lab.env
assert_eq 10.245.1.0/24 "$LAB_POD_CIDR_c2n2" "lab.env pod CIDR of c2n2"

out=$(lab_curl c1n1-hello "$hello")
assert_contains "$out" "Hello version: v1" "hello answers inside its own pod"
assert_eq "HTTP 200" "$(tail -n1 <<<"$out")" "... with 200"

out=$(lab_curl c1n1-hello http://10.244.0.9:5000/nope)
assert_eq "HTTP 404" "$(tail -n1 <<<"$out")" "other paths are 404"

# Same cluster, other node: kindnet's 10.244.0.0/24 via 172.18.0.2 route in c1n2.
out=$(lab_curl c1n2-idle "$hello")
assert_contains "$out" "Hello version: v1" "hello answers a pod on c1n2 (kindnet route)"
assert_eq "HTTP 200" "$(tail -n1 <<<"$out")" "... with 200"

# Across clusters: c2n1 has no route for 10.244.0.0/24, its default route leads to the
# docker host, which has none either and answers ICMP unreachable. The failure podreach fixes.
out=$(lab_curl c2n1-curl "$hello")
assert_eq "HTTP 000" "$(tail -n1 <<<"$out")" "cluster2 cannot reach cluster1's pod"
assert_contains "$out" "curl exit" "... and curl reports an error"

# Add by hand the one route podreach would add on c2n1. One direction is enough: c2n1's
# KIND-MASQ-AGENT masquerades traffic leaving cluster2's podSubnet, so hello sees the source
# 172.18.0.4 (c2n1's node IP), which is on-link from c1n1 — no return route to 10.245.0.0/24
# is needed. (That is also why the lab needs the masquerade rules to be faithful.)
lab_node_exec c2n1 ip route add 10.244.0.0/24 via 172.18.0.2
out=$(lab_curl c2n1-curl "$hello")
assert_contains "$out" "Hello version: v1" "with the route, cluster2 reaches hello"
assert_eq "HTTP 200" "$(tail -n1 <<<"$out")" "... with 200"
assert_contains "$(<"$LAB_DIR/c1n1-hello.log")" "172.18.0.4 \"GET /hello" \
    "hello saw c2n1's node IP (masqueraded)"

# kindnet's masquerade chain lives in iptables-nft's nat table.
rules=$(lab_node_exec c1n1 iptables-nft -t nat -S)
assert_contains "$rules" "-N KIND-MASQ-AGENT" "KIND-MASQ-AGENT chain in c1n1"
assert_contains "$rules" "-A KIND-MASQ-AGENT -d 10.244.0.0/16" "RETURN for cluster1's podSubnet"
assert_contains "$(lab_node_exec c2n1 iptables-nft -t nat -S)" "-A KIND-MASQ-AGENT -d 10.245.0.0/16" \
    "RETURN for cluster2's podSubnet in c2n1"

# The CNI conflist, as kindnet writes it, parses and holds the node's pod range.
for n in $(lab_nodes); do
    f="$(lab_cni_dir "$n")/10-kindnet.conflist"
    subnet=$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print(c["plugins"][0]["ipam"]["ranges"][0][0]["subnet"])' "$f") ||
        fail "$f does not parse"
    assert_eq "$(lab_pod_cidr "$n")" "$subnet" "$n conflist parses, subnet $subnet"
done

# rp_filter is off, explicitly (tests flip it to see podreach complain).
assert_eq 0 "$(lab_node_exec c1n1 sysctl -n net.ipv4.conf.eth0.rp_filter)" "c1n1 eth0 rp_filter=0"
assert_eq 1 "$(lab_node_exec host sysctl -n net.ipv4.ip_forward)" "docker host forwards"
assert_eq "" "$(lab_node_exec host ip route show default)" "docker host has no default route"

# ---- overlap variant: both clusters use 10.244.0.0/16 (kind's default) -----------------
e2e_setup --overlap
assert_eq 10.244.0.7 "$(lab_pod_ip c2n1-curl)" "overlap: curl pod IP"
# The seed's symptom: the curl pod asks for "cluster1's" 10.244.1.5 and gets an answer — from
# its own cluster's web pod, via kindnet's local route. Nothing failed, the wrong pod answered.
out=$(lab_curl c2n1-curl http://10.244.1.5:5000/hello)
assert_contains "$out" "Hello version: v2, instance: web-c2n2" "overlap: the local pod answers"
assert_eq "HTTP 200" "$(tail -n1 <<<"$out")" "... with 200"
assert_contains "$(lab_node_exec c2n1 iptables-nft -t nat -S)" "-A KIND-MASQ-AGENT -d 10.244.0.0/16" \
    "overlap: cluster2's masquerade exception is 10.244.0.0/16"

echo "PASS: $E2E_TEST"
