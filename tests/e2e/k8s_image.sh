#!/usr/bin/env bash
# e2e-timeout: 900
# k8s_image — the project's Dockerfile builds with docker on this machine (FROM debian:12 made
# locally by tests/k8s/base-image.sh when no registry answers) and the image runs the way the
# DaemonSet runs it: --cap-drop ALL --cap-add NET_ADMIN --read-only. Then docker is stopped and
# the host's iptables, ip_forward and docker0 must be exactly as they were before.
# Skipped (exit 77) where docker cannot be installed or started.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
root=$(repo_root)
# shellcheck source=tests/k8s/docker.sh
source "$root/tests/k8s/docker.sh"

host_state() {
    iptables -S 2>/dev/null
    iptables -t nat -S 2>/dev/null
    nft list tables 2>/dev/null
    cat /proc/sys/net/ipv4/ip_forward
    ip -o link show docker0 2>/dev/null | cut -d: -f2 || true
}

docker_lock 600 || { echo "skipped: another test has used docker here for 10 minutes"; exit 77; }
before=$(host_state)
trap 'docker_down' EXIT
# Not in $(...): docker_up records in this shell that the dockerd is ours to stop.
uplog=$(mktemp)
if ! docker_up 2>"$uplog"; then
    echo "skipped: docker cannot run here: $(tail -n1 "$uplog")"
    rm -f -- "$uplog"
    exit 77
fi
cat "$uplog"
rm -f -- "$uplog"

bash "$root/tests/k8s/base-image.sh" || fail "no debian:12 base image"
start=$SECONDS
log=$(mktemp)
docker build -t podreach:0.1.0 "$root" >"$log" 2>&1 || fail "docker build . failed: $(tail -n 20 "$log")"
rm -f -- "$log"
# The image a rebuild replaced is left untagged: drop those, not to fill the disk run by run.
docker image prune -f >/dev/null 2>&1
echo "# image built in $((SECONDS - start)) s, $(docker image inspect -f '{{.Size}}' podreach:0.1.0 | awk '{ printf "%.0f MB", $1 / 1e6 }')"

run() { docker run --rm --network none --cap-drop ALL --cap-add NET_ADMIN --read-only podreach:0.1.0 "$@"; }
assert_exit 0 run version
assert_contains "$OUT" "podreach " "the image runs podreach version"
# No cluster, no CNI config: a configuration error (2), named, never a crash.
assert_exit 2 run check --cluster c1
assert_contains "$ERR" "podreach: error: " "check in a bare container says what is missing"
# Enough to get past configuration: netlink works with NET_ADMIN on a read-only root and the
# empty namespace is reported (nothing remote: no error), not a runtime failure (3).
assert_exit 0 run check --cluster c1 --pod-cidr 10.244.0.0/24 --node-ip 127.0.0.1 --node-name n1
assert_contains "$OUT" "cluster c1" "the report of a check inside the container"
# The entrypoint is the agent by default.
assert_eq '["agent"]' "$(docker image inspect -f '{{json .Config.Cmd}}' podreach:0.1.0)" "CMD is agent"

trap - EXIT
docker_down
after=$(host_state)
assert_eq "$before" "$after" "host iptables, nft tables, ip_forward and docker0 as before"
