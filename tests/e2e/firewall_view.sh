#!/usr/bin/env bash
# firewall_view — the agent's nftables ruleset kept from notifications: 10,000 rule and element
# changes of every kind (tests/e2e/nft_churn.py: appends, inserts, positions, replacements,
# deletions, anonymous and interval sets, chains created, renamed, flushed and deleted, a policy
# changed, other families) applied as they come, then a --resync comparison with a dump finds
# 0 divergences, with no re-read on the way, and the agent's firewall verdicts equal those of
# a one-shot `podreach check`.
# e2e-timeout: 400
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

e2e_setup
pr_agent c2n1 --remote "$(pr_remotes c2n1)" --probe-port 5000 --interval 30 --resync 2
wait_ready c2n1
# A loaded machine and an ASan build: the agent may take a while to answer after the churn.
get() { host_curl --max-time 20 "http://172.18.0.4:9750$1"; }
metric() { get /metrics | awk -v m="$1" '$1==m {print $2}'; }
verdicts() { json_get "$1" \
    '"\n".join(sorted("%s %s %s %s %s %s %s" % (f["src"], f["dst"], f["hook"], f["verdict"], f["table"], f["chain"], f["handle"]) for f in j["firewall"]))'; }
wait_until 10 eval '(( $(metric podreach_nft_view_checks_total) >= 1 ))' ||
    fail "no --resync comparison at start"

made=$(python3 "$(dirname "$0")/nft_churn.py" "$(lab_ns c2n1)" 10000 "${E2E_SEED:-7}") ||
    fail "nft_churn.py failed"
pass_check "$made changes made with nft"
checks0=$(metric podreach_nft_view_checks_total)
wait_until 30 eval '(( $(metric podreach_nft_view_checks_total) >= checks0 + 2 ))' ||
    fail "no --resync comparison after the changes: $(get /metrics | grep nft_)"
assert_eq 0 "$(metric podreach_nft_view_divergences_total)" \
    "the view equals a dump after $made changes"
[[ $(metric podreach_nft_resyncs_total) == 0 ]] ||
    fail "re-read on the way: $(grep -i nftables "$LAB_DIR/agent-c2n1.log" | sed 's/.*\] //' | sort | uniq -c | head)"
pass_check "applied as they came: no re-read on the way"
(( $(metric podreach_nft_commits_total) > 100 )) || fail "commits not applied one by one"
echo "  # $(get /metrics | grep -E '^podreach_nft_[a-z_]+ ' | tr '\n' ' ')"

# The agent's verdicts (from the view) are the one-shot check's (from a dump).
lab_node_exec c2n1 nft add rule ip churn pass ip daddr 10.244.0.0/24 tcp dport 5000 counter drop
handle=$(lab_node_exec c2n1 nft -a list chain ip churn pass | grep 'dport 5000 counter packets 0 bytes 0 drop' |
    tail -n1 | sed 's/.*# handle //')
OUT=$(pr_check c2n1 --remote "$(pr_remotes c2n1)" --probe-port 5000 --output json) || true
want=$(verdicts "$OUT")
wait_until 5 eval '[[ "$(verdicts "$(get /v1/status)")" == "$want" ]]' ||
    fail "the agent's verdicts differ from check's:
$(diff <(echo "$want") <(verdicts "$(get /v1/status)"))"
pass_check "the agent's firewall verdicts equal check's ($(grep -c . <<<"$want") flows, a drop added at handle $handle)"
