# tests/k8s/mirror.sh — sourced by build-k8s.sh and base-image.sh.
# shellcheck shell=bash

# mirror — the Debian mirror the system already uses (deb822 or one-line sources).
mirror() {
    local m
    m=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null |
        grep -v -e security -e nodesource | head -n1 || true)
    if [[ -z $m && -r /etc/apt/sources.list ]]; then
        m=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }' \
            /etc/apt/sources.list)
    fi
    echo "${m:-http://deb.debian.org/debian}"
}
