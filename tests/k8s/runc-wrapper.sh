#!/bin/sh
# tests/k8s/runc-wrapper.sh — docker's default runtime where the capability bounding set lacks
# CAP_SYS_RESOURCE (this sandbox). runc would fail to grant it (`docker run --privileged`:
# "unable to apply caps") and to set a negative oom_score_adj (the kubelet asks -998 for pod
# sandboxes), because raising either needs the capability. So before exec'ing runc, drop
# CAP_SYS_RESOURCE from the OCI bundle's config.json (create/run) and from a `--process` file
# (exec), and clamp a negative oomScoreAdj to 0. Nothing else changes. Installed by
# tests/k8s/docker.sh only where /proc/self/status CapBnd really lacks bit 24.
RUNC=${PODREACH_RUNC:-/usr/sbin/runc}
FILTER='def nores: if type == "array" then map(select(. != "CAP_SYS_RESOURCE")) else . end;
  def fixcaps: if .capabilities then .capabilities |= with_entries(.value |= nores) else . end;
  def fixoom: if (.oomScoreAdj // 0) < 0 then .oomScoreAdj = 0 else . end;'

fix() { # fix FILE JQ-EXPR — rewrite a JSON file in place (same directory, then rename)
    [ -f "$1" ] || return 0
    jq -c "$FILTER $2" "$1" >"$1.podreach.$$" && mv -f "$1.podreach.$$" "$1" || rm -f "$1.podreach.$$"
}

bundle=. process= cmd= prev=
for a in "$@"; do
    case "$prev" in
        --bundle | -b) bundle=$a ;;
        --process | -p) process=$a ;;
    esac
    case "$a" in
        --bundle=*) bundle=${a#--bundle=} ;;
        --process=*) process=${a#--process=} ;;
        create | run | exec) [ -z "$cmd" ] && cmd=$a ;;
    esac
    prev=$a
done
case "$cmd" in
    create | run) fix "$bundle/config.json" '.process |= fixcaps | .process |= fixoom' ;;
    exec) [ -n "$process" ] && fix "$process" 'fixcaps' ;;
esac
exec "$RUNC" "$@"
