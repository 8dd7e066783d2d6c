#!/usr/bin/env bash
# tests/k8s/base-image.sh — make sure `debian:12` and `debian:12-slim` exist in the local docker,
# for the project's Dockerfile and the lab's node image. No registry is reachable on these
# machines, so by default they are made here: `debootstrap --variant=minbase bookworm` from the
# Debian mirror apt already uses (about 30 s), imported with `docker import`. Both tags name the
# same minbase image (slim is what Debian's official slim image is: minbase without docs).
# Images already present (pulled, or made by an earlier run) are used as they are.
#
#   bash tests/k8s/base-image.sh           (needs a running docker: tests/k8s/docker.sh up)
#   PODREACH_BASE_PULL=1 bash ...          try `docker pull` first (where a registry answers)
#
# The Dockerfile does not know any of this: `FROM debian:12` is satisfied either way.
set -euo pipefail

say() { echo "base-image: $*"; }

# shellcheck source=tests/k8s/mirror.sh
source "$(dirname "${BASH_SOURCE[0]}")/mirror.sh"

have() { docker image inspect "$1" >/dev/null 2>&1; }

ROOT_TMP=
main() {
    local m start
    if have debian:12 && have debian:12-slim; then
        say "debian:12 and debian:12-slim present; nothing to do"
        return 0
    fi
    if [[ ${PODREACH_BASE_PULL:-0} == 1 ]] && timeout 120 docker pull -q debian:12 >/dev/null 2>&1 &&
        timeout 120 docker pull -q debian:12-slim >/dev/null 2>&1; then
        say "pulled debian:12 and debian:12-slim"
        return 0
    fi
    command -v debootstrap >/dev/null || { say "debootstrap missing (apt-get install debootstrap)"; return 1; }
    m=$(mirror)
    ROOT_TMP=$(mktemp -d /var/tmp/podreach-debian12.XXXXXX)
    root=$ROOT_TMP
    trap 'rm -rf -- "$ROOT_TMP"' EXIT
    start=$SECONDS
    say "no debian:12 image here: debootstrap --variant=minbase bookworm from $m (about 30 s)"
    debootstrap --variant=minbase bookworm "$root" "$m" >"$root.log" 2>&1 ||
        { tail -n 20 "$root.log" >&2; rm -f -- "$root.log"; return 1; }
    rm -f -- "$root.log"
    # apt inside the image uses the same mirror; no caches or lists ship in the image.
    echo "deb $m bookworm main" >"$root/etc/apt/sources.list"
    rm -rf -- "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    tar -C "$root" --numeric-owner -c . |
        docker import --change 'CMD ["bash"]' --change 'LABEL org.podreach.base=debootstrap' - debian:12 >/dev/null
    docker tag debian:12 debian:12-slim
    say "made debian:12 and debian:12-slim in $((SECONDS - start)) s"
}

main "$@"
