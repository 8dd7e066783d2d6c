#!/usr/bin/env python3
"""Checks of the rendered manifests for tests/e2e/manifests.sh.

usage: manifests_check.py FILE overlay CLUSTER
       manifests_check.py FILE env                      (prints the ConfigMap as K=V lines)
       manifests_check.py FILE reader
       manifests_check.py KIND1 kind KIND2 OVERLAY1 OVERLAY2
       manifests_check.py FILE secret NAME SERVER

Prints "ok <what>" per check passed and "FAIL <what>" per check failed.
"""
import base64
import re
import sys

import yaml

NODES_READ = [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list", "watch"]}]
SECRETS_READ = [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "watch"]}]
IPV4 = re.compile(r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b(?!/)")


def check(ok, what):
    print(("ok " if ok else "FAIL ") + what)


def docs(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d]


def one(objs, kind, name=None):
    found = [o for o in objs if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]
    return found[0] if len(found) == 1 else None


def overlay(objs, cluster):
    ns = one(objs, "Namespace", "podreach")
    check(ns is not None, f"{cluster}: namespace podreach")
    ds = one(objs, "DaemonSet", "podreach")
    check(ds is not None and ds["metadata"].get("namespace") == "podreach",
          f"{cluster}: the DaemonSet in namespace podreach")
    spec = ds["spec"]["template"]["spec"]
    check(spec.get("hostNetwork") is True, f"{cluster}: on the host network")
    check(spec.get("serviceAccountName") == "podreach", f"{cluster}: its service account")
    ctr = spec["containers"][0]
    sc = ctr.get("securityContext", {})
    check(sc.get("capabilities") == {"add": ["NET_ADMIN"], "drop": ["ALL"]},
          f"{cluster}: capabilities: NET_ADMIN only")
    check(sc.get("readOnlyRootFilesystem") is True, f"{cluster}: read-only root")
    env = {e["name"]: e for e in ctr.get("env", [])}
    check(env.get("POD_NAMESPACE", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath")
          == "metadata.namespace", f"{cluster}: POD_NAMESPACE from the downward API")
    check(ctr.get("readinessProbe", {}).get("httpGet", {}).get("path") == "/readyz",
          f"{cluster}: readiness on /readyz")
    # RBAC: exactly nodes cluster-wide and secrets in podreach, bound to podreach/podreach.
    crs = [o for o in objs if o["kind"] == "ClusterRole"]
    check(len(crs) == 1 and crs[0]["rules"] == NODES_READ,
          f"{cluster}: the only ClusterRole reads nodes, nothing else")
    roles = [o for o in objs if o["kind"] == "Role"]
    check(len(roles) == 1 and roles[0]["rules"] == SECRETS_READ
          and roles[0]["metadata"].get("namespace") == "podreach",
          f"{cluster}: the only Role reads Secrets, in namespace podreach only")
    sa = {"kind": "ServiceAccount", "name": "podreach", "namespace": "podreach"}
    for kind in ("ClusterRoleBinding", "RoleBinding"):
        bs = [o for o in objs if o["kind"] == kind]
        check(len(bs) == 1 and bs[0]["subjects"] == [sa], f"{cluster}: the {kind} is for podreach/podreach")
    cm = one(objs, "ConfigMap")
    data = cm["data"] if cm else {}
    check(data.get("PODREACH_CLUSTER") == cluster, f"{cluster}: PODREACH_CLUSTER={cluster}")
    check(not any(k in data for k in ("PODREACH_PEERS", "PODREACH_REMOTE", "PODREACH_DISCOVERY")),
          f"{cluster}: no peers, no static remotes: discovery from the Kubernetes APIs")
    check(not any(IPV4.search(str(v)) for v in data.values()),
          f"{cluster}: no node address in the ConfigMap (CIDRs only)")


def env(objs):
    cm = one(objs, "ConfigMap")
    for k, v in (cm["data"] if cm else {}).items():
        print(f"{k}={v}")


def reader(objs):
    crs = [o for o in objs if o["kind"] == "ClusterRole"]
    check(len(crs) == 1 and crs[0]["rules"] == NODES_READ,
          "remote reader: its ClusterRole reads nodes, nothing else")
    check(not any(o["kind"] == "Role" for o in objs), "remote reader: no Role (no Secrets)")
    sa = one(objs, "ServiceAccount", "podreach-reader")
    check(sa is not None and sa["metadata"].get("namespace") == "podreach", "remote reader: podreach/podreach-reader")
    b = one(objs, "ClusterRoleBinding")
    check(b is not None and b["subjects"] == [{"kind": "ServiceAccount", "name": "podreach-reader",
                                               "namespace": "podreach"}], "remote reader: bound to it alone")
    tok = one(objs, "Secret", "podreach-reader-token")
    check(tok is not None and tok.get("type") == "kubernetes.io/service-account-token"
          and tok["metadata"]["annotations"].get("kubernetes.io/service-account.name") == "podreach-reader",
          "remote reader: a service-account token Secret for it")


def kind(k1, k2, o1, o2):
    c1, c2 = docs(k1)[0], docs(k2)[0]
    n1, n2 = c1["networking"], c2["networking"]
    check(n1["podSubnet"] != n2["podSubnet"] and n1["serviceSubnet"] != n2["serviceSubnet"],
          "kind configs: distinct podSubnet and serviceSubnet")
    for cfg, path in ((n1, o1), (n2, o2)):
        data = one(docs(path), "ConfigMap")["data"]
        check(data.get("PODREACH_CLUSTER_CIDR") == cfg["podSubnet"]
              and data.get("PODREACH_SERVICE_CIDR") == cfg["serviceSubnet"],
              f"overlay {data.get('PODREACH_CLUSTER')}: the CIDRs of its kind config")


def secret(objs, name, server):
    s = objs[0] if len(objs) == 1 else {}
    md = s.get("metadata", {})
    check(s.get("kind") == "Secret" and md.get("namespace") == "podreach", "secret: a Secret in podreach")
    check(md.get("labels") == {"istio/multiCluster": "true"}, "secret: labelled istio/multiCluster=true")
    check(md.get("annotations") == {"networking.istio.io/cluster": name},
          "secret: annotated networking.istio.io/cluster")
    data = s.get("stringData", {})
    check(list(data) == [name], f"secret: one key, the cluster name {name}")
    kc = yaml.safe_load(data.get(name, "")) or {}
    cl = (kc.get("clusters") or [{}])[0].get("cluster", {})
    user = (kc.get("users") or [{}])[0].get("user", {})
    check(cl.get("server") == server, "secret: the kubeconfig's server")
    check(base64.b64decode(cl.get("certificate-authority-data", "")).startswith(b"-----BEGIN CERTIFICATE"),
          "secret: certificate-authority-data is the CA, base64")
    check(user.get("token", "").startswith("eyJ") and list(user) == ["token"], "secret: a bearer token, decoded")
    check(kc.get("current-context") == name, "secret: current-context is the cluster")


def main():
    path, what, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    if what == "kind":
        kind(path, *args)
    else:
        {"overlay": overlay, "env": env, "reader": reader, "secret": secret}[what](docs(path), *args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
