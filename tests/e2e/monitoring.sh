#!/usr/bin/env bash
# monitoring — what manifests/monitoring/ ships works: promtool accepts the alerting rules and
# the example prometheus.yml, the rules' own tests pass (tests/monitoring/alerts_test.yaml:
# each alert fires after its `for` and not before), every code and metric they use exists,
# the scrape example's pod selector and port name are the DaemonSet's; and a real Prometheus
# scraping a real agent in the lab (route missing, a firewall drop, a failing probe) raises
# exactly the alerts these are about (with `for: 0s`, not to wait minutes).
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
root=$(repo_root)
mon=$root/manifests/monitoring
command -v promtool >/dev/null || fail "promtool missing (tests/deps.sh installs prometheus)"
PY=/usr/bin/python3
"$PY" -c 'import yaml' 2>/dev/null || fail "python3-yaml missing (tests/deps.sh installs it)"

out=$(promtool check rules "$mon/podreach-alerts.yaml" 2>&1) || fail "promtool check rules: $out"
pass_check "promtool check rules manifests/monitoring/podreach-alerts.yaml"
out=$(promtool test rules "$root/tests/monitoring/alerts_test.yaml" 2>&1) || fail "promtool test rules: $out"
pass_check "promtool test rules: each alert fires after its for, and only for its codes"

# Every problem code a rule names is one podreach reports; every metric is one it serves.
codes=$(grep -o '= "[a-z-]*",' "$root/agent/core/report.c" | tr -d '=", ')
used=$(grep -oE 'code=~?"[a-z|-]+"' "$mon/podreach-alerts.yaml" | sed -E 's/.*"(.*)"/\1/' | tr '|' '\n' | sort -u)
[[ -n $used ]] || fail "no code found in the rules"
for c in $used; do grep -qx "$c" <<<"$codes" || fail "the rules use code $c, which podreach does not report"; done
pass_check "the rules' codes are podreach's ($(wc -w <<<"$used"))"

# The scrape example: Debian's promtool has no Kubernetes discovery, so the job is checked with
# a static target in its place, and the discovery block against the DaemonSet by hand.
tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT
"$PY" - "$mon/prometheus.yml" "$root/manifests/base/daemonset.yaml" "$tmp" <<'PYEOF' || fail "the scrape example does not match the DaemonSet"
import sys, yaml
cfg = yaml.safe_load(open(sys.argv[1]))
ds = yaml.safe_load(open(sys.argv[2]))
job = [j for j in cfg["scrape_configs"] if j["job_name"] == "podreach"][0]
sd = job.pop("kubernetes_sd_configs")[0]
pod = ds["spec"]["template"]
label = pod["metadata"]["labels"]["app.kubernetes.io/name"]
ports = [p["name"] for c in pod["spec"]["containers"] for p in c.get("ports", [])]
assert sd["role"] == "pod" and sd["namespaces"]["names"] == ["podreach"], sd
assert sd["selectors"] == [{"role": "pod", "label": "app.kubernetes.io/name=" + label}], sd
keep = [r for r in job["relabel_configs"] if r.get("action") == "keep"][0]
assert keep["source_labels"] == ["__meta_kubernetes_pod_container_port_name"] and keep["regex"] in ports, keep
job["static_configs"] = [{"targets": ["127.0.0.1:9750"]}]
yaml.safe_dump(cfg, open(sys.argv[3] + "/prometheus.yml", "w"))
PYEOF
cp "$mon/podreach-alerts.yaml" "$tmp/"
out=$(promtool check config "$tmp/prometheus.yml" 2>&1) || fail "promtool check config: $out"
pass_check "promtool check config: the example (static target for its pod discovery), with the rules"
pass_check "the example selects the DaemonSet's label in namespace podreach and keeps its port"
rm -rf -- "$tmp"
trap - EXIT

# ---- a real agent, a real Prometheus ------------------------------------------------------------
e2e_setup
# Report mode (nothing installed: routes missing), a drop, a probe that cannot succeed.
lab_node_exec c2n1 nft add table ip user
lab_node_exec c2n1 nft add chain ip user pass '{ type filter hook forward priority 0; policy accept; }'
lab_node_exec c2n1 nft add rule ip user pass ip daddr 10.244.0.0/24 tcp dport 5000 drop
# (pr_agent's, in report mode; lab_down ends it with the namespace)
ip netns exec "$(lab_ns c2n1)" "$PODREACH" agent --cluster cluster2 --node-name c2n1 \
    --cni-conf-dir "$(lab_cni_dir c2n1)" --cluster-cidr "$(lab_cluster_cidr c2n1)" --mode report \
    --remote "$(pr_remotes c2n1)" --interval 1 --timeout 0.5 --probe 10.244.0.9:5000 --probe-port 5000 \
    >>"$LAB_DIR/agent-c2n1.log" 2>&1 </dev/null &
echo $! >"$LAB_DIR/agent-c2n1.pid"
wait_ready c2n1
metrics() { host_curl http://172.18.0.4:9750/metrics; }
has_all() {
    local m
    m=$(metrics)
    grep -q '^podreach_problems{code="route-missing"} [1-9]' <<<"$m" &&
        grep -q '^podreach_problems{code="firewall-drop"} [1-9]' <<<"$m" &&
        grep -q '^podreach_problems{code="probe-failed"} [1-9]' <<<"$m"
}
wait_until 15 has_all || fail "the agent does not report all three: $(metrics | grep podreach_problems)"
m=$(metrics)
promtool check metrics <<<"$m" || fail "promtool check metrics rejects /metrics"
pass_check "promtool check metrics accepts the agent's /metrics"
for name in $(grep -oE '\bpodreach_[a-z_]+' "$mon/podreach-alerts.yaml" | sort -u); do
    grep -q "^$name[{ ]" <<<"$m" || fail "the rules use $name, which /metrics does not serve"
done
pass_check "every metric the rules use is on /metrics"

# Prometheus in the lab's docker-host namespace, scraping c2n1's agent every second, with the
# shipped rules made immediate.
prom=$LAB_DIR/prometheus # lab_down removes $LAB_DIR
mkdir -p "$prom/data"
sed 's/^\( *for:\).*/\1 0s/' "$mon/podreach-alerts.yaml" >"$prom/podreach-alerts.yaml"
cat >"$prom/prometheus.yml" <<PROM
global: { scrape_interval: 1s, evaluation_interval: 1s }
rule_files: [podreach-alerts.yaml]
scrape_configs:
  - job_name: podreach
    static_configs: [{ targets: ["172.18.0.4:9750"], labels: { node: c2n1 } }]
PROM
port=19090
ip netns exec "$(lab_ns host)" prometheus --config.file "$prom/prometheus.yml" \
    --storage.tsdb.path "$prom/data" --web.listen-address "127.0.0.1:$port" \
    >"$LAB_DIR/prometheus.log" 2>&1 </dev/null &
echo $! >"$LAB_DIR/prometheus.pid" # lab_down ends it with the namespace
alerts() { host_curl "http://127.0.0.1:$port/api/v1/alerts"; }
firing() {
    json_get "$(alerts)" '" ".join(sorted(a["labels"]["alertname"] + ":" + a["labels"].get("code", "-") for a in j["data"]["alerts"] if a["state"] == "firing"))' 2>/dev/null
}
want="PodreachFirewallDrop:firewall-drop PodreachProbeFailing:probe-failed PodreachRouteMissing:route-missing"
wait_until 30 eval '[[ $(firing) == "$want" ]]' ||
    fail "alerts firing: '$(firing)', expected '$want' ($(tail -n 5 "$LAB_DIR/prometheus.log"))"
pass_check "Prometheus scraping the agent fires exactly: $want"
assert_contains "$(alerts)" '"node":"c2n1"' "the alerts carry the scrape's node label"
