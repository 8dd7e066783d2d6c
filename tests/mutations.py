#!/usr/bin/env python3
"""tests/mutations.py — each mutation below must make a unit test fail.

Applies one mutation at a time to the source, rebuilds the named unit test
(the ASan build), runs it, and restores the file, whatever happens. Prints
"killed" or "SURVIVED" per mutation; exits 1 if any survived.
    python3 tests/mutations.py            all
    python3 tests/mutations.py plan       those whose name contains "plan"
"""
import subprocess, sys, os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# (name, file, from, to, unit test)
MUTATIONS = [
    ("plan: service CIDR rail 'contains' instead of 'overlaps'", "agent/core/plan.c",
     "if (in->service_cidr && overlaps_any(&pr->dst, in->service_cidr, 1, &pr->clash))",
     "if (in->service_cidr && cidr_contains(in->service_cidr, &pr->dst))", "test_plan"),
    ("plan: drop the 'one of our own addresses' check", "agent/core/plan.c",
     "if (rm->node_ip == in->node_ip || kview_is_local(in->kv, rm->node_ip))",
     "if (rm->node_ip == in->node_ip)", "test_plan"),
    ("plan: a route is right whatever its interface", "agent/core/plan.c",
     "r->gw == pr->via && r->oif == pr->oif", "r->gw == pr->via", "test_plan"),
    ("plan: the same claim twice planned twice", "agent/core/plan.c",
     "dup[k[j].i] = k[j].addr == k[j - 1].addr", "dup[k[j].i] = 0 && k[j].addr == k[j - 1].addr",
     "test_plan"),
    ("plan: an overlap looked for only among equal ranges", "agent/core/plan.c",
     "y < nk && k[y].addr < plan_end(&k[x]); y++)", "y < nk && k[y].addr == k[x].addr; y++)",
     "test_plan"),
    ("reconcile: enforce replaces with add", "agent/core/reconcile.c",
     "pr->action == ACT_ADD ? RC_ADD : RC_REPLACE", "RC_ADD", "test_reconcile"),
    ("reconcile: a refused change is not counted", "agent/core/reconcile.c",
     "\t\t\tfailed++;\n", "\n", "test_reconcile"),
    ("reconcile: an add met by EEXIST counted as refused", "agent/core/reconcile.c",
     "if (err == -EEXIST && pr->action == ACT_ADD) {", "if (0) {", "test_reconcile"),
    ("strpool: an equal string copied again", "agent/core/strpool.c",
     "while (slot[i] && strcmp(slot[i], s))", "while (slot[i])", "test_scale"),
    ("clusters: the per-Node bound off by one", "agent/core/clusters.c",
     "if (n > CLUSTERS_NODE_CIDRS)", "if (n > CLUSTERS_NODE_CIDRS + 1)", "test_scale"),
    ("clusters: a Node may cross the cluster bound", "agent/core/clusters.c",
     "if (b->cluster + n > CLUSTERS_ROUTES)", "if (b->cluster >= CLUSTERS_ROUTES)", "test_scale"),
    ("clusters: no bound over all clusters", "agent/core/clusters.c",
     "if (b->total + n > CLUSTERS_ROUTES_TOTAL)", "if (0)", "test_scale"),
    ("diag: Nodes past a bound not reported", "agent/core/diag.c",
     "\tdiag_unrouted(r, c);\n", "\n", "test_scale"),
    ("reconcile: enforce in report mode", "agent/core/reconcile.c",
     "if (c->mode == CFG_MODE_ENFORCE)", "if (1)", "test_reconcile"),
    ("diag: a policy drop's fix deletes a rule (handle 0)", "agent/core/diag.c",
     "\t\tif (f->handle)\n\t\t\tsnprintf(cmd", "\t\tif (1)\n\t\t\tsnprintf(cmd", "test_report"),
    ("diag: the node's own masqueraded probe is a problem", "agent/core/diag.c",
     "&& !from_node)", ")", "test_reconcile"),
    ("view: a deleted route stays", "agent/core/view.c",
     "\t\tremove_route(v, (uint32_t)i);\n\t\treturn 1;\n\t}\n\tif (i >= 0)\n",
     "\t\treturn 1;\n\t}\n\tif (i >= 0)\n", "test_view"),
    ("view: replace appends instead", "agent/core/view.c",
     "if (i < 0 && replace)", "if (0)", "test_view"),
    ("view: a deleted link keeps its addresses", "agent/core/view.c",
     "if (kv->addrs[k].ifindex == l->index)", "if (0)", "test_view"),
    ("view: a deletion matches any route of the key first", "agent/core/view.c",
     "long i = find_key(v, r, true);", "long i = find_key(v, r, false);", "test_view"),
    ("view: the lowest metric is not preferred", "agent/core/view.c",
     "(!best || r->priority < best->priority)", "(!best)", "test_view"),
    ("view: growth of a one-route seed by half (nothing)", "agent/core/view.c",
     "size_t cap = v->route_cap + v->route_cap / 2 + 256;",
     "size_t cap = v->route_cap ? v->route_cap + v->route_cap / 2 : 256;", "test_view"),
    ("node: rp_filter of the device ignored", "agent/io/node.c",
     "out->rp_dev = read_int(path);", "out->rp_dev = 0; (void)path;", "test_node"),
    ("log: a line without its time", "agent/io/log.c",
     "\t\tfprintf(stderr, \"%s podreach: %s: %s\\n\", stamp, names[lvl], msg);",
     "\t\tfprintf(stderr, \"podreach: %s: %s\\n\", names[lvl], msg);", "test_log"),
    ("pdiff: a changed detail is a new problem", "agent/core/pdiff.c",
     "end = strstr(p->message, \": \");", "end = NULL;", "test_log"),
    ("pdiff: a cleared problem not said", "agent/core/pdiff.c",
     "\t\t\tcb(&before->k[i++], false, arg);", "\t\t\ti++;", "test_log"),
    ("httpd: timers freed before MHD stops (use after free)", "agent/io/httpd.c",
     "\tif (h->d)\n\t\tMHD_stop_daemon(h->d);\n\tev_timer_free(h->timer);\n\tev_timer_free(h->sweep);\n",
     "\tev_timer_free(h->timer);\n\tev_timer_free(h->sweep);\n\tif (h->d)\n\t\tMHD_stop_daemon(h->d);\n",
     "test_httpd"),
    ("httpd: the per-address high-water mark not kept", "agent/io/httpd.c",
     "\t\th->st.per_ip_max = p.same + 1 - (victim && victim->ip == ip);", "", "test_httpd"),
    ("httpd: the per-address cap refuses the newcomer", "agent/io/httpd.c",
     "\t\tvictim = p.oldest_same;", "\t\tvictim = NULL;", "test_httpd"),
    ("matrix: the first node holding a target, not the most specific", "agent/daemon/matrix.c",
     "if (len > best_len) {", "if (len >= 0 && best < 0) {", "test_matrix"),
    ("matrix: two claims of one node both kept", "agent/daemon/matrix.c",
     "\t\t\tdup = true;\n", "\t\t\tdup = v[i].self && 0;\n", "test_matrix"),
    ("matrix: the first failure's words lost", "agent/daemon/matrix.c",
     "} else if (acc[j].fail < 0)", "} else if (acc[j].fail < -1)", "test_matrix"),
    ("matrix: a row's reached may exceed probed", "agent/daemon/matrix.c",
     "probed < 1 || reached > probed)", "probed < 1)", "test_matrix"),
    ("matrix: a result that contradicts its counts", "agent/daemon/matrix.c",
     "else if ((reached == probed) != probe_result_reached(r))", "else if (0)", "test_matrix"),
    ("matrix: a row's text unsanitized", "agent/daemon/matrix.c",
     "if (*c < 0x20 || *c > 0x7e)", "if (*c == 0x7f)", "test_matrix"),
    ("matrix: nothing probed shown as 0 failing", "agent/daemon/matrix.c",
     "\tif (probed)\n", "\tif (1)\n", "test_matrix"),
    ("remotes: a Node's pods probed wherever its agent says", "agent/core/remotes.c",
     "if (!inside(c->pod_cidrs, c->npod, ip) ||\n\t\t    !remotes_probe_ok(c, ip, r->allow, r->nallow, r->deny, r->ndeny)) {",
     "if (remotes_special_ip(ip)) {", "test_remotes"),
    ("diag: nothing to probe said nowhere", "agent/core/diag.c",
     "\tif (!r->no_probe_targets)\n\t\treturn;\n", "\treturn;\n", "test_report"),
    ("matrix: a row's text unbounded", "agent/daemon/matrix.c",
     "json_string_length(v) > max ||", "", "test_matrix"),
    ("matrix: a row's depth unchecked", "agent/daemon/matrix.c",
     "jscan_bounded(body, len, MX_MAX_DEPTH,", "jscan_bounded(body, len, 99,", "test_matrix"),
    ("matrix: a row's cells uncounted", "agent/daemon/matrix.c",
     "json_array_size(a) > MX_MAX_NODES) {", "json_array_size(a) > 100000) {", "test_matrix"),
    ("matrix: one destination given twice", "agent/daemon/matrix.c",
     "if (out->cells[k].to_ip == c->to_ip) {", "if (0) {", "test_matrix"),
    ("matrix: failures detailed without a cap", "agent/daemon/matrix.c",
     "if (json_array_size(fails) < MX_MAX_DETAILS)", "if (1)", "test_matrix"),
    ("matrix: an unknown row's old cells shown", "agent/daemon/matrix.c",
     "w->state == MX_ROW_SELF || w->state == MX_ROW_OK ? w->row : NULL", "w->row", "test_matrix"),
    ("kobj: an event decoded whatever its shape", "agent/core/kobj.c",
     "if (!jscan_bounded(buf, len, KOBJ_MAX_DEPTH + 1, KOBJ_MAX_VALUES, what, err, errlen))",
     "if (0)", "test_kobj"),
    ("kobj: a page's items unbounded", "agent/core/kobj.c",
     "if (!jscan_bounded(l->body + a, b - a, KOBJ_MAX_DEPTH, KOBJ_MAX_VALUES, \"an item\",",
     "if (0 && !jscan_bounded(l->body + a, b - a, KOBJ_MAX_DEPTH, KOBJ_MAX_VALUES, \"an item\",",
     "test_kobj"),
    ("jscan: a scalar counted per byte", "agent/core/jscan.c",
     "else if (!scalar && js_starts_value(c)) {", "else if (js_starts_value(c)) {", "test_jscan"),
    ("jscan: an escaped quote ends a string", "agent/core/jscan.c",
     "\t\t\telse if (c == '\\\\')\n\t\t\t\tesc = true;\n", "\n", "test_jscan"),
    ("kubeconfig: YAML loaded whatever its nesting", "agent/core/kubeconfig.c",
     "if (!kc_shallow(yaml, len, err, errlen))", "if (0)", "test_kubeconfig"),
    ("kubeconfig: depth counted on sequences only", "agent/core/kubeconfig.c",
     "ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT",
     "ev.type == YAML_SEQUENCE_START_EVENT", "test_kubeconfig"),
    ("dsecrets: Secret DELETED ignored", "agent/daemon/dsecrets.c",
     "if (t == KOBJ_DELETED || !s.labelled)", "if (!s.labelled)", "test_discovery"),
    ("dsecrets: a DELETED Secret with unreadable data ignored", "agent/daemon/dsecrets.c",
     "if (t == KOBJ_DELETED && s.name[0]) {", "if (0) {", "test_discovery"),
    ("dsecrets: secrets missing from a relist kept", "agent/daemon/dsecrets.c",
     "d->c[i]->kind == DC_SECRET && d->c[i]->sgen != d->sec_gen", "0", "test_discovery"),
    ("dsecrets: a changed Secret not restarting its cluster", "agent/daemon/dsecrets.c",
     "c->hash == h && !e->error[0]", "!e->error[0]", "test_discovery"),
    ("dsecrets: a changed Secret drops the cluster and its routes", "agent/daemon/dsecrets.c",
     "if (disc_cluster_rewatch(d, c, ok ? &kc : NULL, why) < 0)",
     "disc_cluster_remove(d, c), c = NULL;\n\t\tif (0)", "test_discovery"),
    ("discovery: a relist that does not remove Nodes it did not see", "agent/daemon/discovery.c",
     "if (c->nodes[i].gen != c->gen) {", "if (0) {", "test_discovery"),
    ("discovery: routes planned before the local cluster is listed", "agent/daemon/discovery.c",
     "d->c[0]->listed && i < d->nc", "i < d->nc", "test_discovery"),
    ("discovery: Nodes with a parse error or no InternalIP routed", "agent/daemon/discovery.c",
     "if (nd->ip && nd->cidrs.n && !nd->error[0])", "if (nd->cidrs.n)", "test_discovery"),
    ("kubeconfig: a refused server with credentials repeated", "agent/core/kubeconfig.c",
     "if (strpbrk(out->server, \"@?#\"))", "if (0)", "test_kubeconfig"),
    ("curlev: the system's CA directory still trusted", "agent/io/curlev.c",
     "curl_easy_setopt(e, CURLOPT_CAPATH, NULL)", "curl_easy_setopt(e, CURLOPT_VERBOSE, 0L)",
     "test_kwatch"),
    ("kwatch: curl's words in the state (open, closed, filtered told apart)", "agent/io/kwatch.c",
     "kw_state(w, KW_UNREACHABLE, \"%s: %s\", w->server, KW_NO_ANSWER);",
     "kw_state(w, KW_UNREACHABLE, \"%s: %s\", w->server, why);", "test_kwatch"),
    ("kwatch: an HTTP 410 that does not relist", "agent/io/kwatch.c",
     "\t\tw->relist = true;\n\t\tkw_start(w);", "\t\tkw_start(w);", "test_kwatch"),
    ("kwatch: an ERROR 410 in the stream that does not relist", "agent/io/kwatch.c",
     "w->relist = true;\t/* our version is too old: relist */", ";", "test_kwatch"),
    ("kwatch: backoff that never grows", "agent/io/kwatch.c",
     "w->backoff = w->backoff ? w->backoff * 2 : KW_BACKOFF_MIN;",
     "w->backoff = KW_BACKOFF_MIN;", "test_kwatch"),
    ("kwatch: a watch resumed from an empty resourceVersion", "agent/io/kwatch.c",
     "KW_WATCH_SECONDS, w->rv,", "KW_WATCH_SECONDS, \"\",", "test_kwatch"),
    ("kwatch: a watch resumed from the list, not the last event", "agent/io/kwatch.c",
     "\t\tsnprintf(w->rv, sizeof(w->rv), \"%s\", ev.rv);\n", "\n", "test_kwatch"),
    ("remotes: the pod-prefix bound /16 loosened to /15", "agent/core/remotes.h",
     "#define REMOTES_MAX_POD_PREFIX 16", "#define REMOTES_MAX_POD_PREFIX 15", "test_remotes"),
    ("flows: inbound from the remote node IP (masquerade's source) not evaluated",
     "agent/core/flows.c", "for (int node = 0; node < 2; node++) {",
     "for (int node = 0; node < 1; node++) {", "test_fw"),
    ("flows: inbound to the node itself goes through forward", "agent/core/flows.c",
     "keep_in(e, res, fw_eval_input(e->rs, &ctx, &f, res), e->self, port, out + n)",
     "keep_in(e, res, fw_eval_forward(e->rs, &ctx, &f, res), e->self, port, out + n)", "test_fw"),
    ("diag: an inbound drop does not name this node", "agent/core/diag.c",
     "\"on %.80s: %s -> %s port", "\"at %.80s: %s -> %s port", "test_fw"),
    ("why: the replies always established (ct invalid never seen)", "agent/core/why.c",
     "in->back.oif == in->iif ? FW_CT_ESTABLISHED : FW_CT_INVALID", "FW_CT_ESTABLISHED", "test_fw"),
    ("why: strict rp_filter lets an asymmetric source in", "agent/core/why.c",
     "else if (in->rp == 1 && asym)", "else if (in->rp == 3 && asym)", "test_why"),
    ("why: a refused probe counts as open", "agent/core/why.c",
     "!t->probe.done || strcmp(t->probe.result, \"open\")", "!t->probe.done", "test_why"),
    ("why: another agent's hop stage not checked", "agent/core/why_fmt.c",
     "!one_of(h->stage, stages, NELEM(stages))", "0", "test_why"),
    ("why: more hops than WHY_MAX_HOPS taken", "agent/core/why_fmt.c",
     "json_array_size(hops) > WHY_MAX_HOPS", "json_array_size(hops) > 4 * WHY_MAX_HOPS", "test_why"),
    ("view: view_diff ignoring entries left on the second side", "agent/core/view.c",
     "return d + (long)(na - i) + (long)(nb - j);", "return d + (long)(na - i);", "test_view"),
    ("view: view_diff ignoring entries left on the first side", "agent/core/view.c",
     "return d + (long)(na - i) + (long)(nb - j);", "return d + (long)(nb - j);", "test_view"),
]

def run(cmd):
    return subprocess.run(cmd, cwd=ROOT, shell=True, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode

def main():
    pick = sys.argv[1] if len(sys.argv) > 1 else ""
    survived = 0
    for name, path, old, new, test in MUTATIONS:
        if pick not in name:
            continue
        full = os.path.join(ROOT, path)
        orig = open(full).read()
        if orig.count(old) != 1:
            print(f"STALE     {name}: the original text is not in {path} exactly once")
            survived += 1
            continue
        try:
            open(full, "w").write(orig.replace(old, new))
            built = run(f"make -s SAN=1 build/asan/tests/{test}") == 0
            killed = not built or run(f"build/asan/tests/{test}") != 0
        finally:
            open(full, "w").write(orig)
        print(("killed   " if killed else "SURVIVED ") + f" {name} ({test})")
        survived += not killed
    run("make -s SAN=1 tests")
    sys.exit(1 if survived else 0)

main()
