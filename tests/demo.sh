#!/usr/bin/env bash
# tests/demo.sh — README command 1. Installs what is missing, builds podreach, brings up two
# emulated kind clusters in network namespaces, and shows: curl from cluster2's pod failing,
# `podreach check` saying why, `--mode enforce` on every node fixing it, curl answering
# "Hello version: v1" with 200, the report all green; the same done by the agents; then the
# overlap variant (both clusters
# on 10.244.0.0/16) diagnosed. Everything is torn down at the end, whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/deps.sh
make -j2 >/dev/null
export PODREACH=$PWD/build/podreach LAB=${LAB:-prdemo}
# shellcheck source=tests/e2e/lib.sh
source tests/e2e/lib.sh
trap 'lab_down' EXIT

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@" || true; }
curl_hello() {
    echo "\$ kubectl exec curl (cluster2, 10.245.0.7) -- curl -s http://10.244.0.9:5000/hello"
    lab_curl c2n1-curl http://10.244.0.9:5000/hello
}

say "Two kind clusters on one docker bridge 172.18.0.0/16"
lab_up
# shellcheck source=/dev/null
source "$LAB_DIR/lab.env"
cat <<TXT
  cluster1: c1n1 172.18.0.2 pods 10.244.0.0/24 (helloworld 10.244.0.9:5000)
            c1n2 172.18.0.3 pods 10.244.1.0/24
  cluster2: c2n1 172.18.0.4 pods 10.245.0.0/24 (curl 10.245.0.7)
            c2n2 172.18.0.5 pods 10.245.1.0/24
TXT

say "Before: cluster2's curl pod cannot reach cluster1's helloworld"
curl_hello

say "podreach check on c2n1 (report mode: looks, changes nothing)"
echo "\$ podreach check --cluster cluster2 --remote $(pr_remotes c2n1)"
pr_check c2n1 --remote "$(pr_remotes c2n1)" || echo "(exit $?)"

say "podreach check --mode enforce on every node"
for n in c1n1 c1n2 c2n1 c2n2; do
    echo "--- $n: podreach check --mode enforce --remote $(pr_remotes "$n")"
    pr_check "$n" --remote "$(pr_remotes "$n")" --mode enforce 2>&1 | grep -E "installed|OK:|FAIL:|error" || true
done
echo "\$ ip route show proto 152    # on c2n1: exactly the routes podreach owns"
owned_routes c2n1

say "After: curl answers from cluster1"
curl_hello

say "The report, all green"
pr_check c2n1 --remote "$(pr_remotes c2n1)" || echo "(exit $?)"

say "The same with the agent: one per node, each seeded with one node of the other cluster"
lab_down
lab_up
for n in c1n1 c1n2; do pr_agent "$n" --peers 172.18.0.4 --interval 1; done
for n in c2n1 c2n2; do pr_agent "$n" --peers 172.18.0.2 --interval 1; done
converged() { for n in c1n1 c1n2 c2n1 c2n2; do [[ $(route_count "$n") == 2 ]] || return 1; done; }
wait_until 20 converged || echo "(not converged in 20 s)"
curl_hello
echo "\$ curl http://172.18.0.4:9750/      # from the docker host"
host_curl http://172.18.0.4:9750/ | head -n 6
echo "\$ curl -s http://172.18.0.4:9750/metrics | grep -E 'podreach_(peers|routes)\\{'"
host_curl http://172.18.0.4:9750/metrics | grep -E '^podreach_(peers|routes)\{' | grep -v ' 0$'

say "The seed's real situation: both clusters on kind's default podSubnet 10.244.0.0/16"
lab_down
lab_up --overlap
echo "\$ kubectl exec curl (cluster2, 10.244.0.7) -- curl -s http://10.244.1.5:5000/hello"
lab_curl c2n1-curl http://10.244.1.5:5000/hello
echo "(that answer came from cluster2's own pod 10.244.1.5, not from cluster1)"
echo
echo "\$ podreach check --mode enforce --cluster cluster2 --remote $(pr_remotes c2n1)"
pr_check c2n1 --remote "$(pr_remotes c2n1)" --mode enforce || echo "(exit $?: nothing installed)"

say "Done; tearing the lab down"
