#include <errno.h>
#include <jansson.h>
#include <linux/rtnetlink.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "agent/core/report.h"

static const char *
report_sev_name(enum severity sev)
{
	return sev == SEV_ERROR ? "error" : sev == SEV_WARNING ? "warning" : "info";
}

/* Adds one problem (deduplicated on code and message); false when full. */
static bool __attribute__((format(printf, 6, 7)))
report_add(struct report *r, const char *code, enum severity sev, int route,
	   const char *fix, const char *fmt, ...)
{
	struct problem *p;
	char msg[sizeof(p->message)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < r->nproblems; i++)
		if (!strcmp(r->problems[i].code, code) && !strcmp(r->problems[i].message, msg))
			return true;
	if (r->nproblems == REPORT_MAX_PROBLEMS)
		return false;
	p = &r->problems[r->nproblems++];
	p->code = code;
	p->sev = sev;
	p->route = route;
	snprintf(p->message, sizeof(p->message), "%s", msg);
	snprintf(p->fix, sizeof(p->fix), "%s", fix ? fix : "");
	return true;
}

size_t
report_count(const struct report *r, enum severity sev)
{
	size_t n = 0;

	for (size_t i = 0; i < r->nproblems; i++)
		n += r->problems[i].sev == sev;
	return n;
}

static const char *
proto_name(uint8_t p, char buf[static 8])
{
	switch (p) {
	case RTPROT_REDIRECT: return "redirect";
	case RTPROT_KERNEL: return "kernel";
	case RTPROT_BOOT: return "boot";
	case RTPROT_STATIC: return "static";
	case RTPROT_DHCP: return "dhcp";
	case 11: return "zebra";
	case 12: return "bird";
	}
	snprintf(buf, 8, "%u", p);
	return buf;
}

void
report_fmt_route(const struct kview *kv, const struct route4 *rt, char *buf, size_t len)
{
	static const char *types[] = {
		[RTN_BLACKHOLE] = "blackhole ", [RTN_UNREACHABLE] = "unreachable ",
		[RTN_PROHIBIT] = "prohibit ", [RTN_THROW] = "throw ", [RTN_LOCAL] = "local ",
	};
	char d[CIDR_STRLEN], g[CIDR_STRLEN], dev[IF_NAMESIZE + 8], pb[8];
	const char *type = rt->type < sizeof(types) / sizeof(types[0]) && types[rt->type]
			   ? types[rt->type] : "";
	int n;

	n = snprintf(buf, len, "%s%s", type, rt->dst.len ? cidr_fmt(&rt->dst, d) : "default");
	if (rt->gw && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, " via %s", cidr_fmt_ip(rt->gw, g));
	if (rt->oif && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, " dev %s", kview_ifname(kv, rt->oif, dev));
	if (rt->protocol && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, " proto %s", proto_name(rt->protocol, pb));
	if (rt->priority && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " metric %u", rt->priority);
}

/* "node 172.18.0.2" or "node c1n1 (172.18.0.2) of cluster1" */
static void
who(const struct report *r, const struct plan_route *pr, char *buf, size_t len)
{
	const struct plan_remote *rm = &r->remotes[pr->remote];
	char ip[CIDR_STRLEN];

	cidr_fmt_ip(rm->node_ip, ip);
	if (rm->node && rm->cluster)
		snprintf(buf, len, "node %s (%s) of %s", rm->node, ip, rm->cluster);
	else
		snprintf(buf, len, "node %s", ip);
}

/* Where packets for dst go now, from the FIB lookup: "; packets for X now go ...". */
static void
where_now(const struct report *r, const struct plan_route *pr, char *buf, size_t len)
{
	char ip[CIDR_STRLEN], gw[CIDR_STRLEN], dev[IF_NAMESIZE + 8];
	const struct route4 *f = &pr->fib;

	buf[0] = '\0';
	if (!pr->has_fib)
		return;
	cidr_fmt_ip(pr->dst.addr + (pr->dst.len < 31), ip);
	if (pr->fib_err)
		snprintf(buf, len, "; packets for %s are refused here: %s", ip, strerror(-pr->fib_err));
	else if (f->type != RTN_UNICAST)
		snprintf(buf, len, "; packets for %s are %s here", ip,
			 f->type == RTN_LOCAL ? "delivered locally" : "dropped (blackhole/unreachable)");
	else if (f->gw)
		snprintf(buf, len, "; packets for %s now go via %s dev %s", ip, cidr_fmt_ip(f->gw, gw),
			 kview_ifname(r->kv, f->oif, dev));
	else
		snprintf(buf, len, "; packets for %s now go out dev %s as if on-link", ip,
			 kview_ifname(r->kv, f->oif, dev));
}

#define KIND_FIX "give each kind cluster its own range: networking.podSubnet in the kind config " \
		 "(e.g. 10.244.0.0/16 and 10.245.0.0/16), then recreate the cluster"

static void
diag_rejected(struct report *r, int i, const struct plan_route *pr, const char *by)
{
	char d[CIDR_STRLEN], c[CIDR_STRLEN], dev[IF_NAMESIZE + 8], o[CIDR_STRLEN];

	cidr_fmt(&pr->dst, d);
	cidr_fmt(&pr->clash, c);
	switch (pr->why) {
	case WHY_DEFAULT:
		report_add(r, "cidr-rejected", SEV_ERROR, i, "a remote node must advertise only its pod CIDRs",
			   "%s advertises %s, a default route: refused", by, d);
		break;
	case WHY_NOT_ALLOWED:
		report_add(r, "cidr-rejected", SEV_ERROR, i,
			   "if it really is a pod range, allow it with --allow-cidr",
			   "%s advertises %s, outside --allow-cidr: refused", by, d);
		break;
	case WHY_POD_OVERLAP:
		report_add(r, "pod-cidr-overlap", SEV_ERROR, i, KIND_FIX,
			   "%s has pod CIDR %s, which overlaps this cluster's %s: those pod IPs are "
			   "local here, so no route can reach them", by, d, c);
		break;
	case WHY_SERVICE_OVERLAP:
		report_add(r, "cidr-rejected", SEV_ERROR, i,
			   "give the clusters distinct networking.serviceSubnet values",
			   "%s advertises %s, which overlaps this cluster's service CIDR %s: refused",
			   by, d, c);
		break;
	case WHY_IFACE_OVERLAP:
		report_add(r, "cidr-rejected", SEV_ERROR, i,
			   "a pod range must not overlap the node's networks; check the remote's podSubnet",
			   "%s advertises %s, which overlaps %s on %s, a network of this node: refused",
			   by, d, c, kview_ifname(r->kv, pr->clash_ifindex, dev));
		break;
	case WHY_REMOTE_OVERLAP:
		report_add(r, "pod-cidr-overlap", SEV_ERROR, i, KIND_FIX,
			   "%s has pod CIDR %s, which overlaps %s of node %s: two remote clusters share "
			   "pod IPs, so neither can be routed", by, d, c, cidr_fmt_ip(pr->clash_node, o));
		break;
	case WHY_SELF:
		report_add(r, "peer-invalid", SEV_ERROR, i,
			   "list only other nodes in --remote / --peers",
			   "%s is this node's own address; %s refused", by, d);
		break;
	case WHY_NOT_ONLINK:
		report_add(r, "peer-not-on-link", SEV_ERROR, i,
			   "podreach routes only to nodes on a network shared with this node "
			   "(the docker bridge of kind): check the node IP",
			   "%s is on no network of this node, so %s cannot be routed via it", by, d);
		break;
	case WHY_NONE:
		break;
	}
}

static void
diag_route(struct report *r, int i, const struct plan_route *pr)
{
	char d[CIDR_STRLEN], v[CIDR_STRLEN], dev[IF_NAMESIZE + 8], by[96], now[160], fix[384];
	char seen[160], err[96] = "";

	cidr_fmt(&pr->dst, d);
	cidr_fmt_ip(pr->via, v);
	kview_ifname(r->kv, pr->oif, dev);
	who(r, pr, by, sizeof(by));
	where_now(r, pr, now, sizeof(now));
	if (pr->apply_err)
		snprintf(err, sizeof(err), "; enforce failed: %s", strerror(-pr->apply_err));
	if (pr->has_observed)
		report_fmt_route(r->kv, &pr->observed, seen, sizeof(seen));
	switch (pr->state) {
	case PLAN_MISSING:
		snprintf(fix, sizeof(fix), "podreach check --mode enforce, or: ip route add %s via %s "
			 "dev %s proto %d", d, v, dev, PODREACH_RTPROT);
		report_add(r, "route-missing", SEV_ERROR, i, fix, "no route to %s (pods of %s)%s%s",
			   d, by, now, err);
		break;
	case PLAN_WRONG_GW:
		snprintf(fix, sizeof(fix), "podreach check --mode enforce, or: ip route replace %s via "
			 "%s dev %s proto %d", d, v, dev, PODREACH_RTPROT);
		report_add(r, "route-wrong-gateway", SEV_ERROR, i, fix,
			   "podreach's route \"%s\" should go via %s dev %s (pods of %s)%s", seen, v,
			   dev, by, err);
		break;
	case PLAN_CONFLICT:
		snprintf(fix, sizeof(fix), "find out who added it; if it is stale: ip route del %s "
			 "(podreach never changes a route it does not own)", seen);
		report_add(r, "route-conflict", SEV_ERROR, i, fix,
			   "\"%s\" is in the way of %s via %s (pods of %s) and is not podreach's",
			   seen, d, v, by);
		break;
	case PLAN_REJECTED:
		diag_rejected(r, i, pr, by);
		break;
	default:
		break;
	}
}

static void
diag_node(struct report *r)
{
	const struct node_sysctl *s = &r->sysctl;
	const char *dev = r->bridge_dev[0] ? r->bridge_dev : "all";
	char fix[160];

	if (!r->has_sysctl)
		return;
	if (s->ip_forward == 0)
		report_add(r, "ip-forward-disabled", SEV_ERROR, -1, "sysctl -w net.ipv4.ip_forward=1",
			   "net.ipv4.ip_forward is 0: this node does not forward pod traffic");
	if (node_rp_effective(s) == 1) {
		snprintf(fix, sizeof(fix), "sysctl -w net.ipv4.conf.all.rp_filter=2 "
			 "net.ipv4.conf.%s.rp_filter=2 (loose)", dev);
		report_add(r, "rp-filter-strict", SEV_WARNING, -1, fix,
			   "strict rp_filter on %s: packets from remote pods are dropped unless the "
			   "route back to them leaves through %s", dev, dev);
	}
	if (s->legacy_tables[0])
		report_add(r, "iptables-legacy-rules", SEV_WARNING, -1,
			   "inspect them with iptables-legacy-save; move them to iptables-nft",
			   "iptables-legacy has tables (%s): their rules are invisible to nftables "
			   "and were not evaluated", s->legacy_tables);
}

static void
diag_fw(struct report *r, const struct report_fw *f)
{
	char fix[384], where[600];

	snprintf(where, sizeof(where), "%.60s %.60s handle %llu", f->table, f->chain,
		 (unsigned long long)f->handle);
	if (!strcmp(f->verdict, "drop") || !strcmp(f->verdict, "reject")) {
		snprintf(fix, sizeof(fix), "inspect it: nft -a list chain %.100s %.100s; then delete "
			 "or narrow the rule", f->table, f->chain);
		report_add(r, "firewall-drop", SEV_ERROR, -1, fix, "%s -> %s is %sed at %s by %s: %.200s",
			   f->src, f->dst, !strcmp(f->verdict, "drop") ? "dropp" : "reject", f->hook,
			   where, f->rule);
	} else if ((!strcmp(f->verdict, "masquerade") || !strcmp(f->verdict, "snat")) &&
		   !strstr(f->src, "/32")) {
		/* Only pods lose their identity; the node's own probe (a /32
		 * source) being masqueraded is shown above but is no problem. */
		snprintf(fix, sizeof(fix), "exempt the remote pod range before it (kindnet: iptables -t nat "
			 "-I KIND-MASQ-AGENT -d %s -j RETURN); inspect: nft -a list chain %.80s %.80s",
			 f->dst, f->table, f->chain);
		report_add(r, "firewall-masquerade", SEV_WARNING, -1, fix,
			   "%s -> %s is %s at %s by %s: remote pods see the node IP, so NetworkPolicies "
			   "and logs keyed on pod IPs break", f->src, f->dst,
			   !strcmp(f->verdict, "snat") ? "SNATed" : "masqueraded", f->hook, where);
	}
}

/* What the report already knows about the path to ip: a drop by handle, a
 * route that is not right; "" when nothing. */
static void
probe_cause(const struct report *r, uint32_t ip, char *buf, size_t len)
{
	struct prefix4 dst;
	char why[CFG_ERR_MAX];

	const struct plan_route *best = NULL;

	buf[0] = '\0';
	/* The most specific remote CIDR holding ip is the one its packets use. */
	for (size_t i = 0; ip && r->plan && i < r->plan->n; i++) {
		const struct plan_route *pr = &r->plan->routes[i];

		if (cidr_contains_ip(&pr->dst, ip) && (!best || pr->dst.len > best->dst.len))
			best = pr;
	}
	if (best && best->state != PLAN_OK && best->state != PLAN_INSTALLED &&
	    best->state != PLAN_REPAIRED) {
		snprintf(buf, len, "; likely cause: the route to it is %s", plan_state_name(best->state));
		return;
	}
	for (size_t i = 0; ip && i < r->nfw; i++) {
		const struct report_fw *f = &r->fw[i];

		if ((!strcmp(f->verdict, "drop") || !strcmp(f->verdict, "reject")) &&
		    cidr_parse(f->dst, &dst, why, sizeof(why)) && cidr_contains_ip(&dst, ip)) {
			snprintf(buf, len, "; likely cause: %.60s %.60s handle %llu %ss it", f->table, f->chain,
				 (unsigned long long)f->handle, f->verdict);
			return;
		}
	}
}

static void
diag_probe(struct report *r, const struct report_probe *p)
{
	char cause[200];

	if (!strcmp(p->result, "open") || !strcmp(p->result, "ok") || !strcmp(p->result, "refused"))
		return;
	probe_cause(r, p->ip, cause, sizeof(cause));
	report_add(r, "probe-failed", SEV_ERROR, -1,
		   cause[0] ? "fix that cause first (see above)" :
		   "routes and firewall here look right: check the remote side (its route back to "
		   "our pod CIDR, its firewall) with podreach there",
		   "%s probe of %s: %s%s%s%s", p->kind, p->target, p->result,
		   p->detail[0] ? ", " : "", p->detail, cause);
}

void
report_diagnose(struct report *r)
{
	r->nproblems = 0;
	for (size_t i = 0; r->plan && i < r->plan->n; i++)
		diag_route(r, (int)i, &r->plan->routes[i]);
	diag_node(r);
	for (size_t i = 0; i < r->npeers; i++) {
		const struct report_peer *p = &r->peers[i];

		if (!strcmp(p->state, "unreachable"))
			report_add(r, "peer-unreachable", SEV_WARNING, -1,
				   "check the agent on that node (kubectl logs); its routes stay meanwhile",
				   "peer %s does not answer: %s", p->address, p->error);
		else if (!strcmp(p->state, "invalid"))
			report_add(r, "peer-invalid", SEV_ERROR, -1,
				   "check the agent on that node; nothing it said was used",
				   "peer %s answered something invalid: %s", p->address, p->error);
	}
	for (size_t i = 0; i < r->nfw; i++)
		diag_fw(r, &r->fw[i]);
	for (size_t i = 0; i < r->nprobes; i++)
		diag_probe(r, &r->probes[i]);
}

static void
text_header(const struct report *r, FILE *out)
{
	const struct cfg *c = r->cfg;
	char ip[CIDR_STRLEN], b[CIDR_STRLEN];

	fprintf(out, "podreach %s: cluster %s, node %s (%s), pod CIDR", r->version, c->cluster,
		c->node_name, cidr_fmt_ip(c->node_ip, ip));
	for (size_t i = 0; i < c->pod_cidrs.n; i++)
		fprintf(out, "%s %s", i ? "," : "", cidr_fmt(&c->pod_cidrs.v[i], b));
	fprintf(out, ", mode %s\n", c->mode == CFG_MODE_ENFORCE ? "enforce" : "report");
}

static const struct problem *
route_problem(const struct report *r, size_t i)
{
	for (size_t k = 0; k < r->nproblems; k++)
		if (r->problems[k].route == (int)i)
			return &r->problems[k];
	return NULL;
}

static void
text_routes(const struct report *r, FILE *out)
{
	char d[CIDR_STRLEN], v[CIDR_STRLEN], dev[IF_NAMESIZE + 8], state[32];

	fprintf(out, "\nremote pod CIDRs (%zu)\n", r->plan ? r->plan->n : 0);
	if (!r->plan || r->plan->n == 0)
		fprintf(out, "  none known: give --remote NODEIP=CIDR or --peers\n");
	for (size_t i = 0; r->plan && i < r->plan->n; i++) {
		const struct plan_route *pr = &r->plan->routes[i];
		const struct problem *p = route_problem(r, i);

		snprintf(state, sizeof(state), "%s%s", plan_state_name(pr->state),
			 pr->state == PLAN_OK && !pr->owned ? " (not podreach's)" : "");
		fprintf(out, "  %-18s via %-15s dev %-8s %s\n", cidr_fmt(&pr->dst, d),
			cidr_fmt_ip(pr->via, v), pr->oif ? kview_ifname(r->kv, pr->oif, dev) : "-",
			state);
		if (p) {
			fprintf(out, "      %s %s: %s\n", report_sev_name(p->sev), p->code, p->message);
			fprintf(out, "      fix: %s\n", p->fix);
		}
	}
}

static void
text_rest(const struct report *r, FILE *out)
{
	size_t shown = 0;

	if (r->nfw) {
		size_t quiet = 0;

		/* Hooks where no chain ran and the flow passed say nothing: skip them. */
		fprintf(out, "\nfirewall (what nftables does to each flow)\n");
		for (size_t i = 0; i < r->nfw; i++) {
			const struct report_fw *f = &r->fw[i];

			if (!f->table[0] && !strcmp(f->verdict, "accept")) {
				quiet++;
				continue;
			}
			fprintf(out, "  %s -> %s :%u %-11s %-10s %s %s", f->src, f->dst, f->dport, f->hook,
				f->verdict, f->table, f->chain);
			if (f->handle)
				fprintf(out, " handle %llu: %s", (unsigned long long)f->handle, f->rule);
			else
				fprintf(out, " %s", f->rule);
			fprintf(out, "%s%s\n", f->reason[0] ? " -- not understood: " : "", f->reason);
		}
		if (quiet)
			fprintf(out, "  (%zu more hook%s with no chain: accepted)\n", quiet, quiet == 1 ? "" : "s");
	}
	if (r->nprobes) {
		fprintf(out, "\nprobes\n");
		for (size_t i = 0; i < r->nprobes; i++) {
			const struct report_probe *p = &r->probes[i];

			fprintf(out, "  %-4s %-40s %-11s %8.3f ms %s\n", p->kind, p->target, p->result,
				p->rtt_ms, p->detail);
		}
	}
	for (size_t k = 0; k < r->nproblems; k++) {
		const struct problem *p = &r->problems[k];

		if (p->route >= 0)
			continue;
		if (!shown++)
			fprintf(out, "\nnode and peers\n");
		fprintf(out, "  %s %s: %s\n", report_sev_name(p->sev), p->code, p->message);
		if (p->fix[0])
			fprintf(out, "      fix: %s\n", p->fix);
	}
}

void
report_text(const struct report *r, FILE *out)
{
	size_t e = report_count(r, SEV_ERROR), w = report_count(r, SEV_WARNING);

	text_header(r, out);
	text_routes(r, out);
	text_rest(r, out);
	fprintf(out, "\n%s: %zu error%s, %zu warning%s\n", e ? "FAIL" : "OK", e, e == 1 ? "" : "s",
		w, w == 1 ? "" : "s");
}

static json_t *
json_cidrs(const struct prefix4 *v, size_t n)
{
	json_t *a = json_array();
	char b[CIDR_STRLEN];

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(cidr_fmt(&v[i], b)));
	return a;
}

static json_t *
json_ip(uint32_t ip)
{
	char b[CIDR_STRLEN];

	return ip ? json_string(cidr_fmt_ip(ip, b)) : json_null();
}

static json_t *
json_agent_peers(const struct report *r)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < r->npeers; i++) {
		const struct report_peer *p = &r->peers[i];

		json_array_append_new(a, json_pack("{s:s, s:o, s:o, s:o, s:o, s:s, s:o}",
			"address", p->address,
			"cluster", p->cluster ? json_string(p->cluster) : json_null(),
			"node", p->node ? json_string(p->node) : json_null(),
			"node_ip", json_ip(p->node_ip),
			"pod_cidrs", json_cidrs(p->cidrs, p->ncidrs),
			"state", p->state,
			"error", p->error[0] ? json_string(p->error) : json_null()));
	}
	return a;
}

static json_t *
json_peers(const struct report *r)
{
	json_t *a;

	if (r->peers)
		return json_agent_peers(r);
	a = json_array();

	for (size_t i = 0; a && i < r->nremotes; i++) {
		const struct plan_remote *rm = &r->remotes[i];

		json_array_append_new(a, json_pack("{s:o, s:o, s:o, s:o, s:o, s:s, s:n}",
			"address", json_ip(rm->node_ip),
			"cluster", rm->cluster ? json_string(rm->cluster) : json_null(),
			"node", rm->node ? json_string(rm->node) : json_null(),
			"node_ip", json_ip(rm->node_ip),
			"pod_cidrs", json_cidrs(rm->cidrs, rm->ncidrs),
			"state", "static", "error"));
	}
	return a;
}

static json_t *
json_route(const struct report *r, const struct plan_route *pr)
{
	char d[CIDR_STRLEN], dev[IF_NAMESIZE + 8], seen[160];
	json_t *o;

	o = json_pack("{s:s, s:o, s:o, s:s, s:b}", "dst", cidr_fmt(&pr->dst, d),
		      "via", json_ip(pr->via),
		      "dev", pr->oif ? json_string(kview_ifname(r->kv, pr->oif, dev)) : json_null(),
		      "state", plan_state_name(pr->state), "owned", pr->owned);
	if (!o)
		return NULL;
	if (pr->has_observed) {
		report_fmt_route(r->kv, &pr->observed, seen, sizeof(seen));
		json_object_set_new(o, "kernel", json_string(seen));
	}
	if (pr->has_fib && !pr->fib_err && pr->fib.type == RTN_UNICAST)
		json_object_set_new(o, "fib", json_pack("{s:o, s:o}", "via", json_ip(pr->fib.gw),
			"dev", json_string(kview_ifname(r->kv, pr->fib.oif, dev))));
	return o;
}

static json_t *
json_rest(const struct report *r, json_t *root)
{
	json_t *fw = json_array(), *pb = json_array(), *pr = json_array();

	for (size_t i = 0; fw && i < r->nfw; i++) {
		const struct report_fw *f = &r->fw[i];
		json_t *o = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:I, s:s}",
			"src", f->src, "dst", f->dst, "dport", (int)f->dport, "hook", f->hook,
			"verdict", f->verdict,
			"table", f->table, "chain", f->chain, "handle", (json_int_t)f->handle,
			"rule", f->rule);

		if (o && f->reason[0])
			json_object_set_new(o, "reason", json_string(f->reason));
		json_array_append_new(fw, o);
	}
	for (size_t i = 0; pb && i < r->nprobes; i++) {
		const struct report_probe *p = &r->probes[i];

		json_array_append_new(pb, json_pack("{s:s, s:s, s:s, s:f, s:s}", "target", p->target,
			"kind", p->kind, "result", p->result, "rtt_ms", p->rtt_ms,
			"detail", p->detail));
	}
	for (size_t i = 0; pr && i < r->nproblems; i++) {
		const struct problem *p = &r->problems[i];

		json_array_append_new(pr, json_pack("{s:s, s:s, s:s, s:s}", "code", p->code,
			"severity", report_sev_name(p->sev), "message", p->message, "fix", p->fix));
	}
	json_object_set_new(root, "firewall", fw);
	json_object_set_new(root, "probes", pb);
	json_object_set_new(root, "problems", pr);
	return fw && pb && pr ? root : NULL;
}

char *
report_json(const struct report *r)
{
	const struct cfg *c = r->cfg;
	json_t *root, *routes = json_array();
	char *s = NULL;

	root = json_pack("{s:s, s:s, s:o, s:o, s:s, s:s}", "cluster", c->cluster,
			 "node", c->node_name, "node_ip", json_ip(c->node_ip),
			 "pod_cidrs", json_cidrs(c->pod_cidrs.v, c->pod_cidrs.n),
			 "mode", c->mode == CFG_MODE_ENFORCE ? "enforce" : "report",
			 "version", r->version);
	for (size_t i = 0; routes && r->plan && i < r->plan->n; i++)
		json_array_append_new(routes, json_route(r, &r->plan->routes[i]));
	if (root && routes) {
		json_object_set_new(root, "peers", json_peers(r));
		json_object_set_new(root, "routes", routes);
		routes = NULL;
		if (json_rest(r, root))
			s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	}
	json_decref(routes);
	json_decref(root);
	if (!s)
		errno = ENOMEM;
	return s;
}
