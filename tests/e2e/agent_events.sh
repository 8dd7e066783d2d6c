#!/usr/bin/env bash
# agent_events — cost per event: nftables changes are events (a drop rule shows as
# firewall-drop, with its handle, well before --interval and clears with the rule, one log line
# each way); a burst of
# 100,000 route adds and deletes leaves the incremental view equal to the kernel's (a --resync
# comparison finds 0 divergences) and the owned routes right; a deleted owned route is still
# repaired after the burst.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

e2e_setup

# --interval 30: without nftables events a rule would show only 30 s later.
pr_agent c2n1 --remote "$(pr_remotes c2n1)" --probe-port 5000 --interval 30 --resync 2
wait_ready c2n1
wait_until 10 eval '[[ $(route_count c2n1) == 2 ]]' || fail "routes not installed"
get() { host_curl "http://172.18.0.4:9750$1"; }
metric() { get /metrics | awk -v m="$1" '$1==m {print $2}'; }
drops() { json_get "$(get /v1/status)" \
    '" ".join(str(f["handle"]) for f in j["firewall"] if f["verdict"]=="drop")'; }

# ---- nftables: a drop appears and clears with the rule ---------------------------------------
nft_c2n1() { lab_node_exec c2n1 nft "$@"; }
nft_c2n1 add table ip user
nft_c2n1 add chain ip user pass '{ type filter hook forward priority 0; policy accept; }'
nft_c2n1 add rule ip user pass ip daddr 10.244.0.0/24 tcp dport 5000 counter drop
handle=$(nft_c2n1 -a list chain ip user pass | grep drop | sed 's/.*# handle //')
wait_until 5 eval '[[ " $(drops) " == *" $handle "* ]]' ||
    fail "the drop (handle $handle) not seen within 5 s: $(drops)"
pass_check "drop rule handle $handle in the report within 5 s (--interval is 30)"
codes=$(json_get "$(get /v1/status)" '" ".join(p["code"] for p in j["problems"])')
assert_contains "$codes" "firewall-drop" "firewall-drop"
nft_c2n1 delete table ip user
wait_until 5 eval '[[ -z $(drops) ]]' || fail "the drop stayed after the rule went: $(drops)"
assert_not_contains "$(json_get "$(get /v1/status)" '" ".join(p["code"] for p in j["problems"])')" \
    "firewall-drop" "firewall-drop cleared with the rule"
# The log: one line when the problem appeared and one when it cleared, however many reconciles
# saw it in between.
log=$LAB_DIR/agent-c2n1.log
wait_until 2 grep -q "problem firewall-drop cleared" "$log" || fail "no line when the drop cleared"
assert_eq "1 1" "$(grep -cE "error: problem firewall-drop appeared: .*handle $handle: " "$log") $(
    grep -cE "info: problem firewall-drop cleared: .*handle $handle$" "$log")" \
    "one log line as the drop appeared, one as it cleared: $(grep -h 'problem firewall' "$log")"
(( $(metric podreach_nft_events_total) > 0 )) || fail "no nftables events counted"

# ---- a burst of 100,000 route changes ---------------------------------------------------------------
batch=$LAB_DIR/burst
python3 - "$batch" <<'PY'
import sys
with open(sys.argv[1] + ".add", "w") as a, open(sys.argv[1] + ".del", "w") as d:
    for i in range(50000):
        r = f"10.{100 + i // 65536}.{(i // 256) % 256}.{i % 256}/32 via 172.18.0.9 dev eth0"
        a.write(f"route add {r}\n")
        d.write(f"route del {r}\n")
PY
checks0=$(metric podreach_view_checks_total)
lab_node_exec c2n1 ip -batch "$batch.add" || fail "ip -batch add failed"
lab_node_exec c2n1 ip route del 10.244.0.0/24     # an owned route, mid-burst
lab_node_exec c2n1 ip -batch "$batch.del" || fail "ip -batch del failed"
lab_node_exec c2n1 ip -batch "$batch.add" || fail "ip -batch add failed"
wait_until 10 eval '[[ $(route_count c2n1) == 2 ]]' || fail "owned routes not right after the burst"
pass_check "the owned route deleted mid-burst is back"
# A --resync comparison after the burst: the view must equal a fresh dump.
wait_until 15 eval '(( $(metric podreach_view_checks_total) >= checks0 + 2 ))' ||
    fail "no --resync comparison after the burst"
assert_eq 0 "$(metric podreach_view_divergences_total)" "the view equals the kernel's after 150,000 changes"
echo "  # events $(metric podreach_netlink_events_total), resyncs after ENOBUFS $(metric podreach_netlink_resyncs_total)"
lab_node_exec c2n1 ip route del 10.244.1.0/24
wait_until 5 eval '[[ $(route_count c2n1) == 2 ]]' || fail "not repaired after the burst"
pass_check "a deletion after the burst is repaired"

kill -TERM "$(agent_pid c2n1)"
wait_until 5 eval '! kill -0 $(agent_pid c2n1) 2>/dev/null' || fail "agent ignored SIGTERM"

# ---- what the kernel flushes without a notification ---------------------------------------------
# Flushing eth0's address takes every route through eth0 with it, silently; re-adding it
# must bring podreach's routes back at once, not at the next --resync (300 s here).
pr_agent c2n1 --remote "$(pr_remotes c2n1)" --interval 30 --resync 300
wait_ready c2n1
lab_node_exec c2n1 ip addr flush dev eth0
lab_node_exec c2n1 ip addr add 172.18.0.4/16 dev eth0
wait_until 5 eval '[[ $(route_count c2n1) == 2 ]]' || fail "routes not back after an address flush"
pass_check "an address flush (no route notifications) is repaired"
lab_node_exec c2n1 ip link set eth0 down
lab_node_exec c2n1 ip link set eth0 up
wait_until 5 eval '[[ $(route_count c2n1) == 2 ]]' || fail "routes not back after link down/up"
pass_check "a link down/up (no route notifications) is repaired"
kill -TERM "$(agent_pid c2n1)"
wait_until 5 eval '! kill -0 $(agent_pid c2n1) 2>/dev/null' || fail "agent ignored SIGTERM"
pass_check "clean exit (the sanitizer check runs at the end)"
