#!/usr/bin/env bash
# check_overlap — the seed's real situation: both kind clusters on the default
# 10.244.0.0/16. Routing cannot fix it; podreach says so plainly and installs nothing, even
# in enforce mode.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

e2e_setup --overlap

for n in c2n1 c1n1; do
    before=$(routes_of "$n")
    assert_exit 1 pr_check "$n" --remote "$(pr_remotes "$n")" --mode enforce --output json
    assert_eq "rejected rejected" "$(json_get "$OUT" '" ".join(r["state"] for r in j["routes"])')" \
        "$n: both remote CIDRs refused"
    assert_eq "pod-cidr-overlap" \
        "$(json_get "$OUT" '" ".join(sorted(set(p["code"] for p in j["problems"])))')" "$n: code"
    assert_contains "$(json_get "$OUT" 'j["problems"][0]["fix"]')" "networking.podSubnet" \
        "$n: the fix is a distinct podSubnet"
    assert_eq "$before" "$(routes_of "$n")" "$n: nothing installed"
done

assert_exit 1 pr_check c2n1 --remote "$(pr_remotes c2n1)"
assert_contains "$OUT" "overlaps this cluster's 10.244.0.0/16" "text report says why"

# What the user sees meanwhile: the "remote" IP answers from the local cluster.
out=$(lab_curl c2n1-curl http://10.244.1.5:5000/hello)
assert_contains "$out" "Hello version: v2" "10.244.1.5 is a local pod in cluster2"
