#!/usr/bin/env bash
# check_enforce — the seed's failure fixed end to end: report mode changes nothing and exits
# 1; enforce on every node makes curl from cluster2's pod get cluster1's helloworld; a second
# check exits 0 and a second enforce writes nothing to the kernel (it adopts its routes).
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

e2e_setup

before=$(routes_of c2n1)
assert_exit 1 pr_check c2n1 --remote "$(pr_remotes c2n1)"
assert_contains "$OUT" "10.244.0.0/24      via 172.18.0.2      dev eth0     missing" "route missing"
assert_contains "$OUT" "route-missing" "problem code"
assert_contains "$OUT" "ip route add 10.244.0.0/24 via 172.18.0.2 dev eth0 proto 152" "fix"
assert_contains "$OUT" "packets for 10.244.0.1 now go via 172.18.0.1 dev eth0" "where they go"
assert_contains "$OUT" "pod CIDR 10.245.0.0/24" "pod CIDR read from the kindnet conflist"
assert_eq "$before" "$(routes_of c2n1)" "report mode changed no route"
assert_not_contains "$ERR" "added" "report mode logs no route as added"

assert_exit 1 pr_check c2n1 --remote "$(pr_remotes c2n1)" --output json
assert_eq "missing missing" "$(json_get "$OUT" '" ".join(r["state"] for r in j["routes"])')" \
    "JSON route states"
assert_eq "172.18.0.4" "$(json_get "$OUT" 'j["node_ip"]')" "node IP from the default route"
assert_eq "False" "$(json_get "$OUT" 'j["routes"][0]["owned"]')" "nothing owned yet"

out=$(lab_curl c2n1-curl "$LAB_HELLO_URL")
assert_eq "HTTP 000" "$(tail -n1 <<<"$out")" "before: cluster2 cannot reach helloworld"

for n in c1n1 c1n2 c2n1 c2n2; do
    assert_exit 0 pr_check "$n" --remote "$(pr_remotes "$n")" --mode enforce
    assert_contains "$OUT" "installed" "$n: routes installed"
    assert_contains "$OUT" "OK: 0 errors" "$n: report all green"
    if [[ $ERR =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z\ podreach:\ info:\ added\ 10\. ]]; then
        pass_check "$n: each change logged once, with an RFC 3339 UTC time"
    else
        fail "$n: log lines: $ERR"
    fi
done

assert_eq "10.244.0.0/24 via 172.18.0.2 dev eth0 
10.244.1.0/24 via 172.18.0.3 dev eth0 " "$(owned_routes c2n1)" "c2n1 routes in the kernel, proto 152"
assert_eq "10.245.0.0/24 via 172.18.0.4 dev eth0 
10.245.1.0/24 via 172.18.0.5 dev eth0 " "$(owned_routes c1n2)" "c1n2 routes in the kernel"

out=$(lab_curl c2n1-curl "$LAB_HELLO_URL")
assert_contains "$out" "Hello version: v1" "after: cluster2's pod reaches helloworld"
assert_eq "HTTP 200" "$(tail -n1 <<<"$out")" "... with HTTP 200"
out=$(lab_curl c2n2-web "$LAB_HELLO_URL")
assert_contains "$out" "Hello version: v1" "so does the pod on c2n2"

assert_exit 0 pr_check c2n1 --remote "$(pr_remotes c2n1)" --output json
assert_eq "ok ok" "$(json_get "$OUT" '" ".join(r["state"] for r in j["routes"])')" "second check: ok"
assert_eq "True" "$(json_get "$OUT" 'all(r["owned"] for r in j["routes"])')" "owned"
assert_eq "0" "$(json_get "$OUT" 'len([p for p in j["problems"] if p["severity"]=="error"])')" \
    "no error problems"

# A second enforce adopts the routes: not one netlink change (ip monitor sees nothing).
mon="$LAB_DIR/monitor.log"
lab_node_exec c2n1 ip -4 monitor route >"$mon" 2>&1 &
monpid=$!
# The monitor is listening once it shows a first marker (re-added until it does); a second
# marks the end. Between them it must show nothing.
mon_ready() {
    lab_node_exec c2n1 ip route del 10.98.0.0/24 2>/dev/null
    lab_node_exec c2n1 ip route add 10.98.0.0/24 via 172.18.0.9
    grep -q 10.98.0.0 "$mon"
}
wait_until 5 mon_ready || fail "ip monitor is not listening"
assert_exit 0 pr_check c2n1 --remote "$(pr_remotes c2n1)" --mode enforce
lab_node_exec c2n1 ip route add 10.99.0.0/24 via 172.18.0.9
wait_until 5 grep -q 10.99.0.0 "$mon" || fail "ip monitor saw nothing at all"
kill "$monpid" 2>/dev/null; wait "$monpid" 2>/dev/null || true
assert_eq "" "$(grep -v -e '10\.98\.0\.0/24' -e '10\.99\.0\.0/24' "$mon")" \
    "second enforce changed no route"
lab_node_exec c2n1 ip route del 10.98.0.0/24

# A deleted owned route: report says missing, enforce puts it back.
lab_node_exec c2n1 ip route del 10.244.0.0/24
assert_exit 1 pr_check c2n1 --remote "$(pr_remotes c2n1)"
assert_exit 0 pr_check c2n1 --remote "$(pr_remotes c2n1)" --mode enforce
assert_contains "$(owned_routes c2n1)" "10.244.0.0/24 via 172.18.0.2 dev eth0" "route restored"

# An owned route with the wrong gateway is repaired in place.
lab_node_exec c2n1 ip route replace 10.244.0.0/24 via 172.18.0.3 proto 152
assert_exit 1 pr_check c2n1 --remote "$(pr_remotes c2n1)"
assert_contains "$OUT" "wrong-gateway" "wrong gateway seen"
assert_exit 0 pr_check c2n1 --remote "$(pr_remotes c2n1)" --mode enforce
assert_contains "$OUT" "repaired" "repaired"
assert_contains "$(owned_routes c2n1)" "10.244.0.0/24 via 172.18.0.2 dev eth0" "gateway fixed"
