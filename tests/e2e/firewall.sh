#!/usr/bin/env bash
# firewall — what nftables does to the pod-to-remote-pod flow, down to the rule handle as
# `nft -a` shows it: kindnet's masquerade found; a drop in a table of the user's own blocks
# curl and is named (exit 1); a reject reached through a jump via a named interval set; a
# base chain with policy drop; and with nothing blocking, no drop and exit 0.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

e2e_setup
for n in c1n1 c1n2 c2n1 c2n2; do
    assert_exit 0 pr_check "$n" --remote "$(pr_remotes "$n")" --mode enforce
done
nft_c2n1() { lab_node_exec c2n1 nft "$@"; }
# handle_of TABLE CHAIN PATTERN — the handle `nft -a` shows for the rule matching PATTERN
handle_of() { nft_c2n1 -a list chain $1 "$2" | grep -- "$3" | sed 's/.*# handle //' | head -n1; }
check_json() { pr_check c2n1 --remote "$(pr_remotes c2n1)" --probe-port 5000 --output json; }
fw() { # fw DST HOOK — "verdict table chain handle" of that hook for the forwarded pod flow
    json_get "$OUT" "' '.join(str(x) for f in j['firewall'] if f['dst'] == '$1' and f['hook'] == '$2' and f['src'] == '10.245.0.0/24' for x in (f['verdict'], f['table'], f['chain'], f['handle']))"
}
codes() { json_get "$OUT" '" ".join(sorted(set(p["code"] for p in j["problems"])))'; }
# run_fixes — run the nft command each firewall-drop fix of c2n1's report starts with, in
# c2n1's network namespace (where nft sees the node's network, as the fix says).
run_fixes() {
    local cmd cmds argv
    assert_exit 1 check_json
    cmds=$(json_get "$OUT" '"\n".join(p["fix"].split(" (or narrow it)")[0].split(", where nft")[0] for p in j["problems"] if p["code"] == "firewall-drop")') ||
        fail "no JSON report"
    [[ -n $cmds ]] || fail "no firewall-drop fix"
    while IFS= read -r cmd; do
        [[ $cmd =~ ^nft\ (delete|insert)\ rule\  ]] || fail "a fix that is no nft command: $cmd"
        read -ra argv <<<"${cmd#nft }"
        nft_c2n1 "${argv[@]}" || fail "the fix's command failed: $cmd"
        pass_check "ran the fix's command: $cmd"
    done <<<"$cmds"
}

# ---- kindnet's masquerade, as iptables-nft wrote it ------------------------------------------
assert_exit 0 check_json
masq=$(handle_of "ip nat" KIND-MASQ-AGENT masquerade)
assert_eq "masquerade ip nat KIND-MASQ-AGENT $masq" "$(fw 10.244.0.0/24 postrouting)" \
    "kindnet's MASQUERADE found, handle $masq as nft -a shows it"
assert_eq "accept" "$(fw 10.244.0.0/24 forward | cut -d' ' -f1)" "forward accepts"
assert_eq "firewall-masquerade" "$(codes)" "a warning, not an error: exit 0"

# ---- a drop in a table of the user's own -----------------------------------------------------------
nft_c2n1 add table ip user
nft_c2n1 add chain ip user pass '{ type filter hook forward priority 0; policy accept; }'
nft_c2n1 add rule ip user pass ip daddr 10.244.0.0/24 tcp dport 5000 counter drop
drop=$(handle_of "ip user" pass drop)
assert_exit 1 check_json
assert_eq "drop ip user pass $drop" "$(fw 10.244.0.0/24 forward)" "the drop, handle $drop"
assert_contains "$(codes)" "firewall-drop" "firewall-drop"
assert_contains "$(json_get "$OUT" '[p["fix"] for p in j["problems"] if p["code"]=="firewall-drop"][0]')" \
    "nft delete rule ip user pass handle $drop" "the fix names the rule to delete"
assert_eq "accept" "$(fw 10.244.1.0/24 forward | cut -d' ' -f1)" "the other CIDR is not affected"
out=$(lab_curl c2n1-curl "$LAB_HELLO_URL")
assert_eq "HTTP 000" "$(tail -n1 <<<"$out")" "and curl really fails"
assert_exit 1 pr_check c2n1 --remote "$(pr_remotes c2n1)" --probe-port 5000
assert_contains "$OUT" "forward     drop       ip user pass handle $drop" "text report names it"
run_fixes
assert_exit 0 check_json
assert_eq "accept" "$(fw 10.244.0.0/24 forward | cut -d' ' -f1)" "the fix's command removed the drop"
nft_c2n1 delete table ip user

# ---- a reject through a jump via a named interval set ------------------------------------------
nft_c2n1 -f - <<'NFT'
table inet guard {
    set blocked {
        type ipv4_addr
        flags interval
        elements = { 10.244.1.0/24, 10.250.0.0/16 }
    }
    chain deny {
        counter reject
    }
    chain pass {
        type filter hook forward priority 10; policy accept;
        ip daddr @blocked jump deny
    }
}
NFT
rej=$(handle_of "inet guard" deny reject)
assert_exit 1 check_json
assert_eq "reject inet guard deny $rej" "$(fw 10.244.1.0/24 forward)" "the reject in the jumped-to chain"
assert_eq "accept" "$(fw 10.244.0.0/24 forward | cut -d' ' -f1)" "10.244.0.0/24 is not in the set"
nft_c2n1 delete table inet guard

# ---- a base chain whose policy is drop -----------------------------------------------------------
nft_c2n1 add table ip strict
nft_c2n1 add chain ip strict pass '{ type filter hook forward priority 0; policy drop; }'
nft_c2n1 add rule ip strict pass ip daddr 10.250.0.0/16 accept
assert_exit 1 check_json
assert_eq "drop ip strict pass 0" "$(fw 10.244.0.0/24 forward)" "the policy drop (handle 0)"
assert_contains "$(json_get "$OUT" "[f['rule'] for f in j['firewall'] if f['verdict'] == 'drop'][0]")" \
    "policy drop" "rendered as the policy"
run_fixes
assert_exit 0 check_json
assert_eq "accept ip strict pass" "$(fw 10.244.0.0/24 forward | cut -d" " -f1-4)" \
    "the fix's command for a policy drop accepts the flow in that chain"
nft_c2n1 delete table ip strict

# ---- nothing blocking -------------------------------------------------------------------------------
assert_exit 0 check_json
assert_not_contains "$(codes)" "firewall-drop" "no drop reported"
out=$(lab_curl c2n1-curl "$LAB_HELLO_URL")
assert_contains "$out" "Hello version: v1" "curl works again"
