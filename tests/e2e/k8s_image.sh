#!/usr/bin/env bash
# e2e-timeout: 900
# k8s_image — the project's Dockerfile builds with docker on this machine (FROM debian:12 made
# locally by tests/k8s/base-image.sh when no registry answers) into an image of at most 25 MB
# holding podreach and the libraries it loads, no shell and no package manager, leaving no
# untagged image behind (tests/k8s/image.sh), and the image runs the way the DaemonSet runs it:
# --cap-drop ALL --cap-add NET_ADMIN --read-only. Then docker is stopped and the host's
# iptables, ip_forward and docker0 must be exactly as they were before.
# Skipped (exit 77) where docker cannot be installed or started.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
root=$(repo_root)
# shellcheck source=tests/k8s/docker.sh
source "$root/tests/k8s/docker.sh"
# shellcheck source=tests/k8s/image.sh
source "$root/tests/k8s/image.sh"

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
# Every image but podreach:0.1.0 (tagged or not): the build must add none, nor leave the one it
# replaced.
others() { docker images --format '{{.ID}} {{.Repository}}:{{.Tag}}' | grep -v ' podreach:0\.1\.0$' | sort; }
podreach_image_clean_stages
others_before=$(others)
start=$SECONDS
podreach_image_build podreach:0.1.0 "$root" || fail "docker build . failed"
size=$(podreach_image_size podreach:0.1.0)
echo "# image built in $((SECONDS - start)) s, $size bytes ($(awk -v s="$size" 'BEGIN { printf "%.1f", s / 1e6 }') MB)"
((size <= 25000000)) || fail "the image is $size bytes, more than 25 MB"
pass_check "the image is at most 25 MB"
assert_eq "$others_before" "$(others)" "no image left by the build but podreach:0.1.0 (the build stage removed)"

# What is in it: podreach, the ELF interpreter, shared libraries, nsswitch.conf; nothing to run
# but podreach (no shell, no package manager).
cid=$(docker create podreach:0.1.0) || fail "docker create failed"
files=$(docker export "$cid" | tar -t | grep -v '/$' | sort)
docker rm "$cid" >/dev/null
echo "# $(wc -l <<<"$files") files in the image"
other=$(grep -Ev '^(usr/bin/podreach|etc/nsswitch\.conf|lib64/ld-linux-x86-64\.so\.2|(usr/)?lib/x86_64-linux-gnu/lib[^/]*\.so[.0-9]*|\.dockerenv|etc/(hosts|hostname|mtab|resolv\.conf)|dev/[a-z/]*|proc/[a-z/]*|sys/[a-z/]*)$' <<<"$files" || true)
assert_eq "" "$other" "nothing but podreach, ld.so, libraries and nsswitch.conf in the image"
for f in bin/sh usr/bin/sh bin/bash usr/bin/apt-get usr/bin/dpkg; do
    grep -qx "$f" <<<"$files" && fail "$f is in the image"
done
pass_check "no shell, no apt, no dpkg"
assert_exit 127 docker run --rm --network none --entrypoint /bin/sh podreach:0.1.0 -c true
pass_check "no /bin/sh to run"

run() { docker run --rm --network none --cap-drop ALL --cap-add NET_ADMIN --read-only podreach:0.1.0 "$@"; }
assert_exit 0 run version
assert_contains "$OUT" "podreach " "the image runs podreach version"
# No cluster, no CNI config: a configuration error (2), named, never a crash.
assert_exit 2 run check --cluster c1
assert_contains "$ERR" "podreach: error: " "check in a bare container says what is missing"
# Enough to get past configuration: netlink works with NET_ADMIN on a read-only root and the
# empty namespace is reported (nothing remote: no-probe-targets, exit 1), not a runtime failure (3).
assert_exit 1 run check --cluster c1 --pod-cidr 10.244.0.0/24 --node-ip 127.0.0.1 --node-name n1
assert_contains "$OUT" "cluster c1" "the report of a check inside the container"
assert_contains "$OUT" "no-probe-targets" "... which says that no remote node is known"
# Names resolve in the image (glibc's files and dns are in libc.so.6; nsswitch.conf says the
# order) and libcurl, its resolver thread and OpenSSL run: the API named in /etc/hosts is
# reached (refused on port 1), a name nobody knows is said so. The service account is made
# here: a throwaway CA and token, mounted read-only.
sa=$(mktemp -d)
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$sa/key" -out "$sa/ca.crt" -subj /CN=podreach-test \
    -days 1 2>/dev/null || fail "openssl req failed"
echo token >"$sa/token"
chmod -R a+rX "$sa"
api() {
    docker run --rm --network none --cap-drop ALL --cap-add NET_ADMIN --read-only \
        --add-host api.podreach.test:127.0.0.1 -v "$sa:/sa:ro" -e PODREACH_KUBE_SA_DIR=/sa \
        -e KUBERNETES_SERVICE_HOST="$1" -e KUBERNETES_SERVICE_PORT=1 podreach:0.1.0 \
        check --cluster c1 --node-name n1 --node-ip 127.0.0.1 --cni-conf-dir /sa
}
assert_exit 2 api api.podreach.test
assert_contains "$ERR" "https://api.podreach.test:1/api/v1/nodes/n1: Failed to connect to api.podreach.test port 1" \
    "a name from /etc/hosts resolves in the image, and libcurl connects"
assert_exit 2 api nosuch.podreach.invalid
assert_contains "$ERR" "Could not resolve host: nosuch.podreach.invalid" "an unknown name is said so"
rm -rf -- "$sa"
# The entrypoint is the agent by default.
assert_eq '["agent"]' "$(docker image inspect -f '{{json .Config.Cmd}}' podreach:0.1.0)" "CMD is agent"

trap - EXIT
docker_down
after=$(host_state)
assert_eq "$before" "$after" "host iptables, nft tables, ip_forward and docker0 as before"
