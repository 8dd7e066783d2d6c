#!/usr/bin/env bash
# e2e-timeout: 2700
# k8s_clusters — podreach on two real Kubernetes clusters (tests/k8s/lab.sh), deployed the way
# docs/kind-istio.md tells a user: the image from the Dockerfile loaded into the nodes, the
# remote reader applied on both clusters, each one's remote secret made by
# manifests/create-remote-secret.sh and applied on the other, `kubectl apply -k
# manifests/overlays/clusterN` unchanged. Then, for real:
#   - curl from cluster2's curl pod to cluster1's helloworld pod IP fails before podreach and
#     answers "Hello version: v1" with 200 after;
#   - the agent's endpoint answers `curl http://<node IP>:9750/` from this host;
#   - the agents probe every Node and the pods of the other cluster from the APIs alone
#     (helloworld on 5000 open) and /v1/matrix on one agent is full: 4x4, rows fetched;
#   - `kubectl rollout restart ds/podreach` changes no route (ip monitor during the restart);
#   - `kubectl delete node` of a cluster1 node removes its route in cluster2.
# Prints the wall time of each stage and each agent's RSS, peak RSS and idle CPU (from /proc),
# and fails if one peaks over the DaemonSet's memory limit. Also: `kubectl logs -l ... --prefix`
# shows every agent; `kubectl exec <pod> -- podreach version / check` work in the shell-less image. The machine is left
# as found (docker's host changes undone, kubelet's kernel tunables never written).
# Skipped (77): docker cannot start here; a real kind's names or subnet are in use; PODREACH_K8S_E2E=0.
# K8S_E2E_KEEP=1 leaves a failed lab up for a look (then: bash tests/k8s/lab.sh down).
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
root=$(repo_root)
# shellcheck source=tests/k8s/docker.sh
source "$root/tests/k8s/docker.sh"
# shellcheck source=tests/k8s/lab.sh
source "$root/tests/k8s/lab.sh"
# shellcheck source=tests/k8s/image.sh
source "$root/tests/k8s/image.sh"

if [[ ${PODREACH_K8S_E2E:-1} == 0 ]]; then
    echo "skipped: PODREACH_K8S_E2E=0"
    exit 77
fi

STAGES=()
# stage NAME CMD... — run one stage, fail the test if it fails, record its wall time.
stage() {
    local name=$1 t0=$SECONDS
    shift
    echo "# stage $name"
    "$@" || fail "stage '$name' failed"
    STAGES+=("$name $((SECONDS - t0))")
    echo "# stage $name: $((SECONDS - t0)) s"
}

host_state() {
    iptables -S 2>/dev/null
    iptables -t nat -S 2>/dev/null
    nft list tables 2>/dev/null
    cat /proc/sys/net/ipv4/ip_forward /proc/sys/vm/overcommit_memory /proc/sys/vm/panic_on_oom \
        /proc/sys/kernel/panic /proc/sys/kernel/panic_on_oops
    ip -o link show docker0 2>/dev/null | cut -d: -f2 || true
    ip -4 route show table main
}

diagnose() {
    local c n
    echo "--- diagnostics"
    kl_status 2>&1 | grep -v '^Warning' | sed 's/^/  /'
    for c in "${K8S_CLUSTERS[@]}"; do
        k "$c" -n podreach logs -l app.kubernetes.io/name=podreach --tail 20 --prefix 2>&1 | sed 's/^/  /'
        for n in $(kl_nodes "$c"); do
            echo "  --- $n routes"; docker exec "$n" ip -4 route 2>&1 | sed 's/^/    /'
            kl_logs "$n" 2>&1 | sed 's/^/    /'
        done
    done
}

cleanup() {
    local rc=$?
    trap - EXIT
    trap '' INT TERM
    # Whatever fails from here on (a diagnostic about a deleted node), the teardown completes.
    set +e +o pipefail
    ((rc == 0 || rc == 77)) || diagnose
    if [[ ${K8S_E2E_KEEP:-0} == 1 ]]; then
        echo "# K8S_E2E_KEEP=1: lab and docker left running (bash tests/k8s/lab.sh down)"
        exit "$rc"
    fi
    kl_down
    docker_down
    exit "$rc"
}

docker_lock 900 || { echo "skipped: another test has held docker here for 15 minutes"; exit 77; }
before=$(host_state)
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

t_all=$SECONDS
stage "build k8s" bash "$root/tests/k8s/build-k8s.sh"
uplog=$(mktemp)
if ! docker_up 2>"$uplog"; then
    echo "skipped: docker cannot run here: $(tail -n1 "$uplog")"
    rm -f -- "$uplog"
    trap - EXIT
    exit 77
fi
cat "$uplog"
rm -f -- "$uplog"
stage "base image" bash "$root/tests/k8s/base-image.sh"
# The image as a user builds it, without the build stage left behind (tests/k8s/image.sh).
build_image() {
    podreach_image_build podreach:0.1.0 "$root" || return 1
    echo "# image podreach:0.1.0: $(podreach_image_size podreach:0.1.0) bytes"
}
stage "image build" build_image
# A real kind, or something else on the lab's names or subnet, is never touched: not run here.
kl_down # what a crashed earlier run left (labelled podreach.lab=k8s only)
if ! reason=$(kl_check_free 2>&1); then
    echo "skipped: ${reason#lab: error: }"
    exit 77
fi
stage "lab images" kl_images
stage "cluster up" kl_up
export KUBECONFIG=$K8S_LAB_DIR/kubeconfig

# ---- workloads, and curl before podreach -----------------------------------------------------
hello_ip=
workloads() {
    local c
    for c in cluster1 cluster2; do
        kl_kind_load podreach-lab:1 "$c" || return 1
        kl_kind_load podreach:0.1.0 "$c" || return 1
    done
    k cluster1 apply -f "$root/tests/k8s/workloads/helloworld.yaml" >/dev/null &&
        k cluster2 apply -f "$root/tests/k8s/workloads/curl.yaml" >/dev/null &&
        k cluster1 -n sample rollout status deploy/helloworld-v1 --timeout 120s >/dev/null &&
        k cluster2 -n sample rollout status deploy/curl --timeout 120s >/dev/null || return 1
    hello_ip=$(k cluster1 -n sample get pods -l app=helloworld --field-selector status.phase=Running \
        -o jsonpath='{.items[0].status.podIP}')
    [[ $hello_ip == 10.244.* ]]
}
stage "workloads" workloads
echo "# helloworld pod $hello_ip"

curl_hello() { # curl from cluster2's curl pod; prints body + " HTTP <code>"
    k cluster2 -n sample exec deploy/curl -- curl -sS -m "${1:-5}" -w ' HTTP %{http_code}' \
        "http://$hello_ip:5000/hello" 2>&1
}
out=$(curl_hello 5) && fail "curl reached helloworld before podreach: $out"
assert_not_contains "$out" "Hello version" "before podreach: cluster2's pod cannot reach $hello_ip"

# ---- podreach, as docs/kind-istio.md deploys it ----------------------------------------------
cp_ip() { docker inspect -f "{{.NetworkSettings.Networks.$K8S_NET.IPAddress}}" "$1-control-plane"; }
deploy() {
    local c other
    for c in cluster1 cluster2; do
        kubectl --context "kind-$c" apply -k "$root/manifests/remote-reader" >/dev/null || return 1
    done
    for c in cluster1 cluster2; do
        other=cluster1
        [[ $c == cluster1 ]] && other=cluster2
        "$root/manifests/create-remote-secret.sh" --context "kind-$c" --name "$c" \
            --server "https://$(cp_ip "$c"):6443" | kubectl --context "kind-$other" apply -f - >/dev/null ||
            return 1
    done
    for c in cluster1 cluster2; do
        kubectl --context "kind-$c" apply -k "${K8S_E2E_OVERLAYS:-$root/manifests/overlays}/$c" >/dev/null ||
            return 1
    done
}
t_deploy=$SECONDS
stage "deploy" deploy

routes_of() { docker exec "$1" ip -4 route show proto 152; }
# converged — every cluster2 node routes every cluster1 pod CIDR via its node, and back.
converged() {
    local c o n line cidr ip
    for c in cluster1 cluster2; do
        o=cluster2
        [[ $c == cluster2 ]] && o=cluster1
        for n in $(kl_nodes "$c"); do
            while read -r line; do
                read -r _ cidr ip <<<"$line"
                [[ $'\n'$(routes_of "$n") == *$'\n'"$cidr via $ip dev eth0"* ]] || return 1
            done < <(kl_pod_cidrs "$o")
        done
    done
}
converge() {
    local c
    for c in cluster1 cluster2; do
        k "$c" -n podreach rollout status ds/podreach --timeout 180s >/dev/null || return 1
    done
    kl_wait 120 "routes between the clusters" converged || return 1
    wait_until 60 curl_ok
}
curl_ok() { curl_hello 3 | grep -q 'HTTP 200'; }
stage "convergence" converge
convergence_s=$((SECONDS - t_deploy))

out=$(curl_hello 5) || fail "curl after podreach: $out"
assert_contains "$out" "Hello version: v1, instance: helloworld-v1-" "cluster2's pod reaches helloworld"
assert_contains "$out" "HTTP 200" "... with 200"
for n in $(kl_nodes cluster2); do
    assert_contains "$(routes_of "$n")" "10.244." "$n: podreach's routes (proto 152) to cluster1's pods"
done

# ---- the agent's endpoint from this host, and its RSS in the pod -----------------------------
w_ip=$(docker inspect -f "{{.NetworkSettings.Networks.$K8S_NET.IPAddress}}" cluster2-worker)
out=$(curl -sS -m 5 "http://$w_ip:9750/") || fail "curl http://$w_ip:9750/ from the host"
assert_contains "$out" "podreach" "the report from http://$w_ip:9750/"
assert_contains "$out" "cluster2" "... of cluster2's node"
out=$(curl -sS -m 5 "http://$w_ip:9750/v1/status") || fail "curl /v1/status"
assert_contains "$out" '"cluster1"' "/v1/status knows cluster1"
assert_contains "$out" '"kubernetes"' "/v1/status: clusters from the Kubernetes APIs"
out=$(curl -sS -m 5 "http://$w_ip:9750/metrics") || fail "curl /metrics"
assert_contains "$out" "podreach_build_info" "/metrics from the host"
# Every agent's log at once, as the docs say (`logs ds/podreach` shows one pod only).
out=$(k cluster2 logs -n podreach -l app.kubernetes.io/name=podreach --prefix 2>&1) || fail "kubectl logs: $out"
assert_contains "$out" "cluster1" "kubectl logs -n podreach -l app.kubernetes.io/name=podreach tells of cluster1"
for p in $(k cluster2 -n podreach get pods -l app.kubernetes.io/name=podreach -o name); do
    assert_contains "$out" "[$p/podreach]" "... with ${p#pod/}'s lines"
done
# podreach itself in the pod (an image without a shell): what the fix hints tell a user to run.
p=$(k cluster2 -n podreach get pods -l app.kubernetes.io/name=podreach \
    --field-selector spec.nodeName=cluster2-worker -o name)
out=$(k cluster2 exec -n podreach "${p#pod/}" -- podreach version 2>&1) || fail "kubectl exec podreach version: $out"
assert_contains "$out" "podreach 0.1.0" "kubectl exec -n podreach ${p#pod/} -- podreach version"
rc=0
out=$(k cluster2 exec -n podreach "${p#pod/}" -- podreach check --mode report \
    --remote "$(kl_pod_cidrs cluster1 | while read -r n c ip; do printf '%s=%s,' "$ip" "$c"; done | sed 's/,$//')" 2>&1) || rc=$?
((rc <= 1)) || fail "kubectl exec podreach check: exit $rc: $out"
echo "$out" | sed 's/^/#   /'
assert_contains "$out" "cluster cluster2, node cluster2-worker" "kubectl exec -n podreach ${p#pod/} -- podreach check: the node's report"
assert_contains "$out" "firewall (what nftables does to each flow)" "... with the firewall's verdicts"
# ---- probes and the matrix, from the Kubernetes APIs alone ------------------------------------
# Every remote Node on its agent, the remote pods on PODREACH_PROBE_PORT (5000 in the base
# manifests): helloworld answers, the other pods refuse (RST: the path works).
probe_of() { # IP:PORT — cluster2-worker's last result for it
    curl -sS -m 5 "http://$w_ip:9750/v1/status" | python3 -c 'import json,sys; t=sys.argv[1]
print(next((p["result"] for p in json.load(sys.stdin)["probes"] if p["target"] == t), "none"))' "$1"
}
wait_until 90 eval '[[ $(probe_of "$hello_ip:5000") == open ]]' ||
    fail "cluster2-worker does not probe helloworld $hello_ip:5000 open: $(probe_of "$hello_ip:5000")"
pass_check "cluster2-worker probes cluster1's helloworld pod $hello_ip:5000: open"
# full — "ok" once cluster2-worker's /v1/matrix has 4 nodes, every row fetched, and a result,
# none failing, for every cross-cluster pair; else the matrix.
full() {
    curl -sS -m 5 "http://$w_ip:9750/v1/matrix" | python3 -c 'import json,sys; j=json.load(sys.stdin); n=j["nodes"]
cross=[n[a]["result"][b] for a in range(len(n)) for b in range(len(n)) if n[a]["cluster"] != n[b]["cluster"]]
ok=len(n) == 4 and all(x["row"] in ("self", "ok") for x in n) and all(cross) and not j["failures"]
print("ok" if ok else json.dumps(j))'
}
wait_until 90 eval '[[ $(full) == ok ]]' || fail "cluster2-worker's matrix is not full: $(full)"
m=$(curl -sS -m 5 "http://$w_ip:9750/v1/matrix")
echo "# cluster2-worker's /v1/matrix:"
python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print("#   " + j["summary"])
for x in j["nodes"]: print("#   %-24s %-5s %s" % (x["node"], x["row"], x["result"]))' "$m"
assert_contains "$m" '"summary":"0 of 8 probed pairs failing"' "8 cross-cluster pairs probed, none failing"
pass_check "/v1/matrix on cluster2-worker: 4x4, every row fetched, every cross-cluster pair open"

# ---- where is it dropped: the receiving node, the sender's matrix, podreach why ----------------
# A drop on helloworld's node of what arrives for the pods on 5000 (docs/kind-istio.md, 5.).
hello_node=$(k cluster1 -n sample get pods -l app=helloworld -o jsonpath='{.items[0].spec.nodeName}')
h_ip=$(docker inspect -f "{{.NetworkSettings.Networks.$K8S_NET.IPAddress}}" "$hello_node")
drop=(FORWARD -d 10.244.0.0/16 -p tcp --dport 5000 -j DROP)
docker exec "$hello_node" iptables-nft -I "${drop[@]}" || fail "iptables-nft on $hello_node"
named() { # "handle" of the inbound drop on 5000 in $hello_node's own report, "" when none
    curl -sS -m 5 "http://$h_ip:9750/v1/status" | python3 -c 'import json,sys
print(" ".join(sorted(set(str(f["handle"]) for f in json.load(sys.stdin)["firewall"] if f.get("direction") == "in" and f["verdict"] == "drop" and f["dport"] == 5000))))'
}
wait_until 30 eval '[[ -n $(named) ]]' || fail "$hello_node does not name its drop"
handle=$(named)
pass_check "$hello_node's own report: ip filter FORWARD handle $handle drops what arrives on 5000"
cause() {
    curl -sS -m 5 "http://$w_ip:9750/v1/matrix" | python3 -c 'import json,sys; j=json.load(sys.stdin); n=j["nodes"]
print(next((str(f["cause"]) for f in j["failures"] if n[f["from"]]["node"] == "cluster2-worker" and n[f["to"]]["node"] == sys.argv[1]), "none"))' "$hello_node"
}
wait_until 60 eval '[[ $(cause) == "$hello_node: ip filter FORWARD handle $handle drops it (forward)" ]]' ||
    fail "cluster2-worker's matrix: $(cause)"
pass_check "cluster2-worker's /v1/matrix: the pair's cause names $hello_node and handle $handle"
rc=0
out=$(k cluster2 exec -n podreach "${p#pod/}" -- podreach why "$hello_ip:5000" 2>&1) || rc=$?
echo "$out" | sed 's/^/#   /'
assert_eq 1 "$rc" "podreach why $hello_ip:5000 in cluster2-worker's pod: exit 1"
assert_contains "$(head -n1 <<<"$out")" "blocked at $hello_node (cluster1): firewall forward ip filter FORWARD handle $handle" \
    "... its first line names $hello_node and handle $handle"
docker exec "$hello_node" iptables-nft -D "${drop[@]}" || fail "removing the drop"
wait_until 30 eval 'k cluster2 exec -n podreach "${p#pod/}" -- podreach why "$hello_ip:5000" >/dev/null 2>&1' ||
    fail "podreach why does not clear"
pass_check "the rule removed: podreach why $hello_ip:5000 exits 0"

# ---- what the agents cost: RSS and CPU from /proc on this host ---------------------------------
# The agents are processes of this kernel (in the nodes' nested containers): found by their
# executable (/usr/bin/podreach, the image's; the netns lab's agents are build/podreach) and named
# by the NODE_NAME the DaemonSet gives them. Prints "node rss_kB hwm_kB cpu_ticks start_ticks".
agents_proc() {
    local pid exe node
    for pid in $(pgrep -x podreach); do
        exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || continue
        [[ $exe == /usr/bin/podreach ]] || continue
        node=$(tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | sed -n 's/^NODE_NAME=//p')
        [[ -n $node ]] || continue
        # utime + stime, and the start, in clock ticks (stat fields 14, 15, 22)
        echo "$node $(awk '/^VmRSS:/ { r = $2 } /^VmHWM:/ { h = $2 } END { print r, h }' "/proc/$pid/status") $(awk '{ print $14 + $15, $22 }' "/proc/$pid/stat")"
    done | sort
}
res0=$(agents_proc)
[[ $(wc -l <<<"$res0") == 4 ]] || fail "not 4 agents found in /proc: $res0"
sleep 60
res1=$(agents_proc)
hz=$(getconf CLK_TCK)
limit_mi=$(sed -n 's/.*limits: { *memory: *\([0-9]*\)Mi *}.*/\1/p' "$root/manifests/base/daemonset.yaml")
[[ $limit_mi =~ ^[0-9]+$ ]] || fail "no memory limit in manifests/base/daemonset.yaml"
res=()
up_ticks=$(awk -v hz="$hz" '{ printf "%d", $1 * hz }' /proc/uptime)
while read -r n r h c st; do
    c0=$(awk -v n="$n" '$1 == n { print $4 }' <<<"$res0")
    [[ -n $c0 ]] || fail "$n's agent changed during the measurement"
    res+=("$n: $(awk -v r="$r" -v h="$h" -v c="$c" -v c0="$c0" -v st="$st" -v up="$up_ticks" 'BEGIN {
        printf "RSS %.1f MiB, peak %.1f MiB; CPU %.1f millicores over 60 s steady, %.1f over its %d s life",
            r / 1024, h / 1024, (c - c0) * 1000 / 60 / '"$hz"', c * 1000 / (up - st), (up - st) / '"$hz"' }')")
    ((h < limit_mi * 1024)) || fail "$n's agent peaked at $h kB, over the DaemonSet's ${limit_mi}Mi limit"
done <<<"$res1"
pass_check "every agent's peak RSS is under the DaemonSet's ${limit_mi}Mi memory limit"

# ---- rollout restart changes no route ---------------------------------------------------------
declare -A snap=()
for c in cluster1 cluster2; do for n in $(kl_nodes "$c"); do snap[$n]=$(routes_of "$n"); done; done
mon=$(mktemp)
docker exec cluster2-worker timeout 300 ip -4 monitor route >"$mon" 2>&1 &
mon_pid=$!
restart() {
    local c
    for c in cluster1 cluster2; do
        k "$c" -n podreach rollout restart ds/podreach >/dev/null || return 1
    done
    for c in cluster1 cluster2; do
        k "$c" -n podreach rollout status ds/podreach --timeout 180s >/dev/null || return 1
    done
}
stage "rollout restart" restart
# The new agents adopt the routes: give them a reconcile to (not) change anything.
sleep 3
kill "$mon_pid" 2>/dev/null
wait "$mon_pid" 2>/dev/null || true
for c in cluster1 cluster2; do for n in $(kl_nodes "$c"); do
    assert_eq "${snap[$n]}" "$(routes_of "$n")" "$n: routes after the rollout restart as before"
done; done
assert_eq "" "$(grep -E '10\.24[45]\.' "$mon" || true)" "cluster2-worker: no route event during the restart"
rm -f -- "$mon"
out=$(curl_hello 5)
assert_contains "$out" "HTTP 200" "curl still answered after the restart"

# ---- a deleted Node loses its route in the other cluster --------------------------------------
gone_cidr=$(k cluster1 get node cluster1-worker -o jsonpath='{.spec.podCIDR}')
gone_ip=$(docker inspect -f "{{.NetworkSettings.Networks.$K8S_NET.IPAddress}}" cluster1-worker)
assert_contains "$(routes_of cluster2-worker)" "$gone_cidr via $gone_ip" "cluster2 routes $gone_cidr before"
k cluster1 delete node cluster1-worker >/dev/null || fail "kubectl delete node"
route_gone() { [[ $'\n'$(routes_of "$1") != *$'\n'"$gone_cidr "* ]]; }
for n in $(kl_nodes cluster2); do
    wait_until 30 route_gone "$n" || fail "$n still routes $gone_cidr: $(routes_of "$n")"
    pass_check "$n: the route to deleted node cluster1-worker ($gone_cidr) is gone"
done
cp1=$(kl_pod_cidrs cluster1 | awk '$1 == "cluster1-control-plane" { print $2 }')
assert_contains "$(routes_of cluster2-worker)" "$cp1 via" "cluster1-control-plane's route stays"

echo "# ---- measurements"
for s in "${STAGES[@]}"; do echo "# stage ${s% *}: ${s##* } s"; done
echo "# deploy -> curl 200 (convergence incl. image pulls from the node cache): $convergence_s s"
echo "# total: $((SECONDS - t_all)) s"
for r in "${res[@]}"; do echo "# agent $r"; done

trap - EXIT
kl_down
docker_down
assert_eq "$before" "$(host_state)" "host iptables, sysctls, routes and docker0 as before"
