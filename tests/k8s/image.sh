#!/usr/bin/env bash
# tests/k8s/image.sh — build the project's image the way its scripts need it, sourced:
#
#   podreach_image_build TAG [ROOT]   docker build -t TAG ROOT, leaving no image behind but TAG
#   podreach_image_size TAG           its size in bytes
#   podreach_image_clean_stages       remove build stages a killed run left (done by _build)
#
# A multi-stage build with the legacy builder keeps the build stage (gcc and every -dev
# package, about 500 MB) as an untagged image, and a rebuild leaves the image it replaced
# untagged too. So the build stage is built under a name of our own first (the full build then
# takes it from the cache), and that name and the replaced image are removed afterwards —
# only these, never other dangling images (`docker image prune` would take anyone's).

# podreach_image_build TAG [ROOT] — the build's log goes to stderr only when it fails.
podreach_image_build() {
    local tag=$1 root=${2:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
    local stage=podreach-build-stage:$$ old new log rc=0
    podreach_image_clean_stages
    old=$(docker image inspect -f '{{.Id}}' "$tag" 2>/dev/null) || old=
    log=$(mktemp)
    docker build --target build -t "$stage" "$root" >"$log" 2>&1 &&
        docker build -t "$tag" "$root" >>"$log" 2>&1 || { rc=1; tail -n 30 "$log" >&2; }
    rm -f -- "$log"
    docker rmi "$stage" >/dev/null 2>&1 || true
    new=$(docker image inspect -f '{{.Id}}' "$tag" 2>/dev/null) || new=
    # The replaced image, unless a container still uses it (then it stays, named by its ID).
    [[ -n $old && $old != "$new" ]] && { docker rmi "$old" >/dev/null 2>&1 || true; }
    return $rc
}

# podreach_image_clean_stages — build stages a killed run left behind (ours by name) removed.
podreach_image_clean_stages() {
    local stages
    stages=$(docker images --format '{{.Repository}}:{{.Tag}}' | grep '^podreach-build-stage:' || true)
    [[ -z $stages ]] || docker rmi $stages >/dev/null 2>&1 || true
}

podreach_image_size() {
    docker image inspect -f '{{.Size}}' "$1"
}
