#!/usr/bin/env bash
# agent_trust — the trust model of peers mode (README): an address claiming an established
# node's identity (with its own IP, answering last with a fresh version) moves nothing and is
# `peer-conflict` naming both addresses; one claiming that node's IP as its node_ip is refused;
# a newcomer's range inside an established node's /24 is refused (`pod-cidr-overlap`), never
# the /24. A flood of 1,100 claims (X-Podreach-Peer ports) from 64 addresses answering junk
# (16 CIDRs, 4,096 pod IPs each) leaves a bounded table and a healthy agent, and a real new
# node is still learned after it.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

e2e_setup

fake=$LAB-fake
ip netns add "$fake"
ip link add fk0 netns "$fake" type veth peer name v-fake netns "$LAB-host"
lab_node_exec host ip link set v-fake master br0 up
ip -n "$fake" link set lo up
ip -n "$fake" link set fk0 up
fakepeer() { # IP PORTS MODE [LOG]
    ip netns exec "$fake" python3 "$(repo_root)/tests/lab/fakepeer.py" "$@" >/dev/null 2>&1 &
}
up_at() { wait_until 5 lab_node_exec c2n1 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

pr_agent c1n1 --peers 172.18.0.4 --interval 1
pr_agent c2n1 --peers 172.18.0.2 --interval 1
wait_ready c2n1
wait_until 15 eval '[[ $(owned_routes c2n1) == "10.244.0.0/24 via 172.18.0.2 dev eth0 " ]]' ||
    fail "c2n1 did not route c1n1: $(owned_routes c2n1)"
status_of() { host_curl http://172.18.0.4:9750/v1/status; }

# ---- hijack -----------------------------------------------------------------------------------
declare -A at=([hijack]=172.18.0.30 [spoof]=172.18.0.31 [narrow]=172.18.0.32)
for m in hijack spoof narrow; do
    ip -n "$fake" addr add "${at[$m]}/16" dev fk0
    fakepeer "${at[$m]}" 9750 "$m" "$LAB_DIR/asked-$m"
    up_at "${at[$m]}" 9750 || fail "fake $m did not start"
    # One request carrying X-Podreach-Peer makes c2n1 verify (and so learn) the asker.
    ip netns exec "$fake" curl -s --max-time 3 -o /dev/null --interface "${at[$m]}" \
        -H 'X-Podreach-Peer: 9750' http://172.18.0.4:9750/v1/node
done
refused() { # ADDR — the peer's state and error
    json_get "$(status_of)" "[(p['state'], p['error']) for p in j['peers'] if p['address'] == '$1:9750']"
}
for m in hijack spoof narrow; do
    wait_until 20 eval '[[ $(refused "${at[$m]}") == *refused* ]]' ||
        fail "$m not refused: $(refused "${at[$m]}")"
done
# Let each fake answer two more rounds: "newest answer wins" would have moved the route by then.
n0=$(wc -l <"$LAB_DIR/asked-hijack")
wait_until 20 eval '(( $(wc -l <"$LAB_DIR/asked-hijack") >= n0 + 4 ))' || fail "hijack not asked again"
s=$(status_of)
conflict=$(json_get "$s" '[p["message"] for p in j["problems"] if p["code"] == "peer-conflict"]')
assert_contains "$conflict" "172.18.0.30:9750" "peer-conflict names the newcomer"
assert_contains "$conflict" "172.18.0.2:9750" "... and the established address"
assert_contains "$(refused 172.18.0.31)" "says its node IP is 172.18.0.2, not the address that answered" \
    "spoof: node_ip must be the address that answered"
overlap=$(json_get "$s" '[p["message"] for p in j["problems"] if p["code"] == "pod-cidr-overlap"]')
assert_contains "$overlap" "peer 172.18.0.32:9750 (evil/c1n9) claims 10.244.0.0/25" \
    "narrow: the newcomer's /25 is refused as pod-cidr-overlap"
assert_contains "$overlap" "172.18.0.2:9750 (cluster1/c1n1, 10.244.0.0/24)" "... naming the /24's owner"
assert_eq "10.244.0.0/24 via 172.18.0.2 dev eth0 " "$(owned_routes c2n1)" "nothing moved, nothing added"
assert_eq "['ok']" "$(json_get "$s" "[r['state'] for r in j['routes'] if r['dst'] == '10.244.0.0/24']")" \
    "the established /24 stays ok"
out=$(lab_curl c2n1-curl "$LAB_HELLO_URL")
assert_contains "$out" "Hello version: v1" "curl from cluster2 reaches the real helloworld"

# ---- flood ------------------------------------------------------------------------------------
srcs=()
for i in $(seq 40 103); do
    ip -n "$fake" addr add "172.18.0.$i/16" dev fk0
    srcs+=("172.18.0.$i")
done
fakepeer 0.0.0.0 10000-10017 junk
up_at 172.18.0.40 10017 || fail "junk peers did not start"
srclist=$(IFS=,; echo "${srcs[*]}")
flood=$(ip netns exec "$fake" python3 "$(repo_root)/tests/lab/askflood.py" 172.18.0.4:9750 \
    "$srclist" 10000 1100)
echo "# 1,100 claims from 64 addresses: answers $flood"
peers=$(host_curl http://172.18.0.4:9750/v1/status)
total=$(json_get "$peers" 'len(j["peers"])')
per=$(json_get "$peers" 'max(__import__("collections").Counter(p["address"].split(":")[0] for p in j["peers"]).values())')
echo "# peers known after the flood: $total, at most $per per address"
((total <= 256)) || fail "$total peers: more than the table's 256"
((per <= 4)) || fail "$per peers at one address: more than 4"
pass_check "the table stays bounded: $total peers, at most $per per address"
assert_eq "ok" "$(host_curl http://172.18.0.4:9750/healthz)" "the agent is healthy"
size=$(host_curl http://172.18.0.4:9750/v1/status | wc -c)
echo "# /v1/status: $size bytes"
rss=$(awk '/VmRSS/ {print $2}' "/proc/$(agent_pid c2n1)/status")
echo "# agent RSS after the flood: ${rss} kB (ASan build)"
# A real new node, after the flood: learned and routed.
pr_agent c1n2 --peers 172.18.0.4 --interval 1
wait_until 20 eval '[[ $(owned_routes c2n1) == *"10.244.1.0/24 via 172.18.0.3 dev eth0"* ]]' ||
    fail "c1n2 not learned after the flood: $(owned_routes c2n1)"
pass_check "a real node started after the flood is learned and routed"
assert_contains "$(owned_routes c2n1)" "10.244.0.0/24 via 172.18.0.2 dev eth0" "c1n1's route stays"
kill -0 "$(agent_pid c2n1)" || fail "agent died"
