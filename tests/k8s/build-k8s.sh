#!/usr/bin/env bash
# tests/k8s/build-k8s.sh — build the Kubernetes server binaries the real-API tests need, from
# Debian's own `kubernetes` SOURCE package (1.20.2 with vendor/, builds offline with Debian's
# golang-go), into a cache outside the checkout: $PODREACH_K8S_PREFIX/bin (default
# /opt/podreach-k8s/bin). Also installs etcd-server (etcd 3.4) and the build's packages.
#
#   bash tests/k8s/build-k8s.sh        build once; later runs find the cache and do nothing
#   K8S_BUILD_FORCE=1 bash ...         rebuild even if the cache is there
#
# The cache is keyed by version: bin/VERSION holds the upstream version, the Debian source
# version and the list of binaries; a run whose K8S_VERSION and binary list match it does
# nothing. A cold build takes about 7 minutes on 2 cores (go compiles ~390 s).
#
# No Debian package ships kube-apiserver or kubelet, and no other registry is reachable here;
# the deb-src line is given to apt with -o Dir::Etc::SourceList=<temp file> and a private lists
# directory, so the system's apt sources and lists stay as they were.
#
# Binaries: kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy, plus
# `pause` (the pod sandbox's init, build/pause/linux/pause.c compiled static) for the lab's
# locally made pause image.
set -euo pipefail

K8S_VERSION=${K8S_VERSION:-1.20.2}
PREFIX=${PODREACH_K8S_PREFIX:-/opt/podreach-k8s}
BIN=$PREFIX/bin
WHAT=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy)
EXTRA=(pause)
PKGS=(golang-go etcd-server rsync jq dpkg-dev make gcc libc6-dev)

say() { echo "build-k8s: $*"; }
die() { echo "build-k8s: error: $*" >&2; exit 1; }

# cached — the stamp names this version and every binary is there and executable.
cached() {
    local want="$K8S_VERSION ${WHAT[*]} ${EXTRA[*]}" have b
    [[ -r $BIN/VERSION ]] || return 1
    have=$(sed -n 's/^key: //p' "$BIN/VERSION")
    [[ $have == "$want" ]] || return 1
    for b in "${WHAT[@]}" "${EXTRA[@]}"; do [[ -x $BIN/$b ]] || return 1; done
}

# install_pkgs — only what is missing, from the system's own sources. etcd-server's postinst
# may start etcd through its init script where no policy-rc.d forbids it: stop what it started,
# the tests run their own etcd on their own ports.
install_pkgs() {
    local missing=() p before after
    for p in "${PKGS[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    ((${#missing[@]})) || return 0
    [[ $EUID -eq 0 ]] || die "missing packages (${missing[*]}); run as root"
    say "installing ${missing[*]}"
    before=$(pgrep -x etcd || true)
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    after=$(pgrep -x etcd || true)
    if [[ -n $after && $after != "$before" && -x /etc/init.d/etcd ]]; then
        say "etcd-server's install started etcd; stopping it (/etc/init.d/etcd stop)"
        /etc/init.d/etcd stop >/dev/null 2>&1 || true
    fi
}

# shellcheck source=tests/k8s/mirror.sh
source "$(dirname "${BASH_SOURCE[0]}")/mirror.sh"

# fetch_source DIR — apt-get source kubernetes into DIR with a private source list and lists.
fetch_source() {
    local dir=$1 apt=$1/apt m
    m=$(mirror)
    mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/parts"
    echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $m bookworm main" >"$apt/sources.list"
    APT=(-o "Dir::Etc::SourceList=$apt/sources.list" -o "Dir::Etc::SourceParts=$apt/parts"
        -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache")
    say "fetching the source list of $m bookworm main (private lists in $apt)"
    apt-get "${APT[@]}" update -qq
    SRCVER=$(apt-cache "${APT[@]}" showsrc kubernetes | sed -n 's/^Version: //p' | head -n1)
    [[ -n $SRCVER ]] || die "no kubernetes source package on $m"
    [[ $SRCVER == *"$K8S_VERSION"* ]] || die "Debian's kubernetes source is $SRCVER, not $K8S_VERSION"
    say "apt-get source kubernetes=$SRCVER (~35 MB)"
    (cd "$dir" && apt-get "${APT[@]}" source -qq "kubernetes=$SRCVER" >/dev/null 2>&1) ||
        die "apt-get source kubernetes=$SRCVER failed"
}

build() {
    local work tree start b targets=()
    work=$PREFIX/build
    rm -rf -- "$work"
    mkdir -p "$work"
    fetch_source "$work"
    tree=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'kubernetes-*' | head -n1)
    [[ -n $tree ]] || die "no source tree after apt-get source"
    for b in "${WHAT[@]}"; do targets+=("cmd/$b"); done
    say "building ${WHAT[*]} in $tree (cold: about 7 minutes on 2 cores)"
    start=$SECONDS
    # Debian's tree carries vendor/; make (not plain go build) runs the openapi generators.
    # GOPROXY=off: everything comes from the tree, nothing is fetched.
    (cd "$tree" && env GOPATH="$tree/.go" GOPROXY=off \
        CGO_ENABLED=0 make WHAT="${targets[*]}" >"$work/make.log" 2>&1) ||
        { tail -n 40 "$work/make.log" >&2; die "make failed (log: $work/make.log)"; }
    say "go build took $((SECONDS - start)) s"
    mkdir -p "$BIN.new"
    for b in "${WHAT[@]}"; do
        install -m 0755 "$tree/_output/bin/$b" "$BIN.new/$b" ||
            install -m 0755 "$tree/_output/local/bin/linux/amd64/$b" "$BIN.new/$b"
    done
    gcc -Os -static -o "$BIN.new/pause" "$tree/build/pause/linux/pause.c" -DVERSION="\"podreach-$K8S_VERSION\"" ||
        gcc -Os -static -o "$BIN.new/pause" "$tree/build/pause/linux/pause.c"
    {
        echo "key: $K8S_VERSION ${WHAT[*]} ${EXTRA[*]}"
        echo "source: kubernetes $SRCVER (Debian bookworm)"
        echo "go: $(go version)"
        echo "built: $(date -u +%FT%TZ) in $((SECONDS - start)) s"
    } >"$BIN.new/VERSION"
    rm -rf -- "$BIN"
    mv "$BIN.new" "$BIN"
    rm -rf -- "$work"
}

main() {
    mkdir -p "$PREFIX"
    # Two runs at once (two test suites, two helpers) build once: the second waits here.
    exec 9>"$PREFIX/.lock"
    flock 9
    install_pkgs
    if [[ ${K8S_BUILD_FORCE:-0} != 1 ]] && cached; then
        say "cached: Kubernetes $K8S_VERSION in $BIN ($(sed -n 's/^source: //p' "$BIN/VERSION")); nothing to do"
        return 0
    fi
    say "no cache for Kubernetes $K8S_VERSION in $BIN: building it once (a cold build takes ~7 minutes)"
    build
    say "done: $(sed -n 's/^built: //p' "$BIN/VERSION"); binaries in $BIN"
    "$BIN/kube-apiserver" --version
}

main "$@"
