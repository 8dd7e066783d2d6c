#!/usr/bin/env bash
# tests/deps.sh — install the Debian 12 packages podreach needs to build, test and demo,
# only those missing. Run as root. Used by tests/demo.sh, tests/test.sh and .ci/run.
set -euo pipefail

PKGS=(
    gcc make pkg-config                       # build
    libnl-3-dev libnl-route-3-dev             # rtnetlink
    libmnl-dev libnftnl-dev                   # nfnetlink / nftables
    libcurl4-openssl-dev libmicrohttpd-dev libjansson-dev libyaml-dev libssl-dev
    libcmocka-dev                             # unit tests
    clang libclang-rt-14-dev                  # tests/fuzz: libFuzzer, ASan, UBSan
    iproute2 nftables iptables procps         # the lab: ip netns, nft, iptables-nft, sysctl
    curl python3 coreutils openssl            # the lab's clients, servers and a fake API's cert
    prometheus                                # promtool, to check /metrics
    python3-yaml                              # e2e/manifests: the rendered manifests, parsed
    groff-base man-db                         # podreach(8) checked with groff -ww and man
    chromium                                  # /ui rendered in a real browser (e2e ui_matrix)
)

missing=()
# kubectl, for `kubectl kustomize` of the manifests: Debian's kubernetes-client, unless some
# other kubectl is there already.
command -v kubectl >/dev/null || PKGS+=(kubernetes-client)
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    if [[ $EUID -ne 0 ]]; then
        echo "tests/deps.sh: missing packages (${missing[*]}); run as root to install them" >&2
        exit 1
    fi
    echo "tests/deps.sh: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
