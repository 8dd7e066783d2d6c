/*
 * The flows of podreach(8)'s firewall section: from the local pod CIDR to each
 * remote pod CIDR, forwarded (prerouting, forward, postrouting), and the
 * node's own probe (output, postrouting), once per probe port.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/core/cfg.h"
#include "agent/core/flows.h"
#include "agent/core/fw.h"
#include "agent/core/plan.h"
#include "agent/core/report.h"
#include "agent/core/strpool.h"

uint32_t
flows_probe_source(const struct cfg *c, const struct kview *kv, bool *is_pod)
{
	uint32_t src = kview_local_in(kv, c->pod_cidrs.v, c->pod_cidrs.n);

	*is_pod = src != 0;
	if (!src && kview_is_local(kv, c->node_ip))
		src = c->node_ip;
	return src;
}

uint32_t
flows_local_pod(const struct cfg *c, const struct kview *kv, int *iif)
{
	*iif = 0;
	for (size_t i = 0; i < kv->nroutes; i++) {
		const struct route4 *r = &kv->routes[i];

		if (r->dst.len == 32 && !r->gw && r->oif &&
		    cidr_contains_ip(&c->pod_cidrs.v[0], r->dst.addr) && !kview_is_local(kv, r->dst.addr)) {
			*iif = r->oif;
			return r->dst.addr;
		}
	}
	return c->pod_cidrs.v[0].addr + 2;
}

static bool
to_report_fw(struct strpool *pool, const struct fw_result *res, const char *src, const char *dst,
	     uint16_t dport, bool from_node, struct report_fw *out)
{
	out->dport = dport;
	out->from_node = from_node;
	snprintf(out->src, sizeof(out->src), "%s", src);
	snprintf(out->dst, sizeof(out->dst), "%s", dst);
	snprintf(out->hook, sizeof(out->hook), "%s", fw_hook_name(res->hook));
	snprintf(out->verdict, sizeof(out->verdict), "%s", fw_verdict_name(res->verdict));
	out->handle = res->handle;
	out->table = strpool_intern(pool, res->table);
	out->chain = strpool_intern(pool, res->chain);
	out->rule = strpool_intern(pool, res->rule);
	out->reason = strpool_intern(pool, res->reason);
	return out->table && out->chain && out->rule && out->reason;
}

/* Where a flow's packets come from and go to, for the evaluator. */
struct flow_ends {
	const struct kview *kv;
	const struct nft_ruleset *rs;
	struct strpool *pool;
	struct fw_trace *trace;
	bool nomem;
	uint32_t pod, probe_src, daddr;
	int iif, oif;
	char src[CIDR_STRLEN], self[CIDR_STRLEN + 3], dst[CIDR_STRLEN];
};

/* Both flows of one remote CIDR on one port; returns the results written. */
static size_t
flows_port(struct flow_ends *e, uint16_t port, struct report_fw *out)
{
	struct fw_ctx ctx = { e->kv->addrs, e->kv->naddrs, e->trace };
	struct fw_result res[3];
	struct fw_flow f;
	char dev[IF_NAMESIZE + 8];
	size_t n = 0, got;

	fw_flow_init(&f, e->pod, e->daddr, port);
	f.iif = e->iif;
	f.oif = e->oif;
	if (e->iif)
		snprintf(f.iifname, sizeof(f.iifname), "%s", kview_ifname(e->kv, e->iif, dev));
	snprintf(f.oifname, sizeof(f.oifname), "%s", kview_ifname(e->kv, e->oif, dev));
	got = fw_eval_forward(e->rs, &ctx, &f, res);
	for (size_t k = 0; k < got; k++)
		e->nomem |= !to_report_fw(e->pool, &res[k], e->src, e->dst, port, false, &out[n++]);
	fw_flow_init(&f, e->probe_src, e->daddr, port);
	f.oif = e->oif;
	snprintf(f.oifname, sizeof(f.oifname), "%s", kview_ifname(e->kv, e->oif, dev));
	got = fw_eval_local(e->rs, &ctx, &f, res);
	for (size_t k = 0; k < got; k++)
		e->nomem |= !to_report_fw(e->pool, &res[k], e->self, e->dst, port, true, &out[n++]);
	return n;
}

/* Where packets from remote nodes arrive and what they go to here. */
struct in_ends {
	const struct kview *kv;
	const struct nft_ruleset *rs;
	struct strpool *pool;
	struct fw_trace *trace;
	bool nomem;
	uint32_t pod, node_ip;		/* the local destinations */
	int pod_oif;			/* the pod's veth, 0 without a pod */
	int iif;			/* the bridge the remote node is on */
	uint32_t saddr, from_ip;	/* the source, the remote node it stands for */
	bool keep_accept;		/* also keep flows every hook accepts */
	char src[CIDR_STRLEN + 3], pods[CIDR_STRLEN], self[CIDR_STRLEN + 3];
};

/* Copies one inbound flow's results unless they are all accept and only
 * the drops of this source are wanted; returns the results written. */
static size_t
keep_in(struct in_ends *e, const struct fw_result *res, size_t got, const char *dst,
	uint16_t port, struct report_fw *out)
{
	bool plain = true;

	for (size_t k = 0; k < got; k++)
		plain = plain && res[k].verdict == FW_ACCEPT;
	if (plain && !e->keep_accept)
		return 0;
	for (size_t k = 0; k < got; k++) {
		e->nomem |= !to_report_fw(e->pool, &res[k], e->src, dst, port, false, &out[k]);
		out[k].inbound = true;
		out[k].from_ip = e->from_ip;
	}
	return got;
}

/* What arrives from one remote source on one port: for a pod here
 * (prerouting, forward, postrouting) and for the node itself (prerouting,
 * input), as the kernel sees it coming in on the bridge. */
static size_t
flows_in_port(struct in_ends *e, uint16_t port, struct report_fw *out)
{
	struct fw_ctx ctx = { e->kv->addrs, e->kv->naddrs, e->trace };
	struct fw_result res[3];
	struct fw_flow f;
	char dev[IF_NAMESIZE + 8];
	size_t n;

	fw_flow_init(&f, e->saddr, e->pod, port);
	f.iif = e->iif;
	snprintf(f.iifname, sizeof(f.iifname), "%s", kview_ifname(e->kv, e->iif, dev));
	f.oif = e->pod_oif;
	if (e->pod_oif)
		snprintf(f.oifname, sizeof(f.oifname), "%s", kview_ifname(e->kv, e->pod_oif, dev));
	n = keep_in(e, res, fw_eval_forward(e->rs, &ctx, &f, res), e->pods, port, out);
	f.daddr = e->node_ip;
	f.oif = 0;
	f.oifname[0] = '\0';
	return n + keep_in(e, res, fw_eval_input(e->rs, &ctx, &f, res), e->self, port, out + n);
}

/* Whether accepted inbound flows of route i are shown: for the first node
 * of each cluster (the others' only when something is not accept, so that
 * a thousand healthy nodes do not make a thousand lines). */
static bool
first_of_cluster(const struct plan *p, const struct plan_remote *rm, size_t i)
{
	const char *a, *b;

	if (i == 0)
		return true;
	if (p->routes[i - 1].remote == p->routes[i].remote)
		return false;
	a = rm[p->routes[i - 1].remote].cluster;
	b = rm[p->routes[i].remote].cluster;
	return !a || !b || strcmp(a, b);
}

/* Both sources of remote CIDR i (its pods; its node IP, what masquerade
 * leaves, once per node) on every probe port. */
static size_t
flows_in_route(struct in_ends *e, const struct cfg *c, const struct plan *p,
	       const struct plan_remote *rm, size_t i, struct report_fw *out)
{
	const struct plan_route *pr = &p->routes[i];
	char ip[CIDR_STRLEN];
	size_t n = 0;

	e->iif = pr->oif;
	e->from_ip = pr->via;
	e->keep_accept = first_of_cluster(p, rm, i);
	for (int node = 0; node < 2; node++) {
		if (node && i > 0 && p->routes[i - 1].via == pr->via)
			break;
		e->saddr = node ? pr->via : pr->dst.addr + (pr->dst.len < 31 ? 2 : 0);
		if (node)
			snprintf(e->src, sizeof(e->src), "%s/32", cidr_fmt_ip(pr->via, ip));
		else
			cidr_fmt(&pr->dst, e->src);
		for (size_t k = 0; k < c->nprobe_ports && k < FLOWS_MAX_PORTS; k++)
			n += flows_in_port(e, c->probe_ports[k], out + n);
	}
	return n;
}

int
flows_evaluate(const struct cfg *c, const struct kview *kv, const struct plan *p,
	       const struct plan_remote *rm, const struct nft_ruleset *rs,
	       struct report_fw **out, size_t *nout, struct strpool **pool,
	       struct fw_trace *trace)
{
	struct flow_ends e = { .kv = kv, .rs = rs, .trace = trace };
	struct in_ends in = { .kv = kv, .rs = rs, .trace = trace, .node_ip = c->node_ip };
	struct report_fw *fw;
	char ip[CIDR_STRLEN];
	bool is_pod;
	size_t n = 0;

	*out = NULL;
	*nout = 0;
	*pool = NULL;
	if (trace)
		memset(trace, 0, sizeof(*trace));
	if (!rs || p->n == 0 || c->pod_cidrs.n == 0)
		return 0;
	/* Sized for the worst case; only the pages written are ever touched.
	 * Out: 3 + 2 per port; in: (3 + 2) per source, two sources. */
	fw = calloc(p->n * FLOWS_MAX_PORTS * 15, sizeof(*fw));
	if (!fw || !(e.pool = strpool_new())) {
		free(fw);
		return -ENOMEM;
	}
	e.pod = flows_local_pod(c, kv, &e.iif);
	in.pod = e.pod;
	in.pod_oif = e.iif;
	in.pool = e.pool;
	e.probe_src = flows_probe_source(c, kv, &is_pod);
	if (!e.probe_src)
		e.probe_src = c->node_ip;
	cidr_fmt(&c->pod_cidrs.v[0], e.src);
	snprintf(e.self, sizeof(e.self), "%s/32", cidr_fmt_ip(e.probe_src, ip));
	cidr_fmt(&c->pod_cidrs.v[0], in.pods);
	snprintf(in.self, sizeof(in.self), "%s/32", cidr_fmt_ip(c->node_ip, ip));
	for (size_t i = 0; i < p->n; i++) {
		const struct plan_route *pr = &p->routes[i];

		if (pr->state == PLAN_REJECTED || !pr->oif)
			continue;
		e.oif = pr->oif;
		e.daddr = pr->dst.addr + (pr->dst.len < 31 ? 2 : 0);
		cidr_fmt(&pr->dst, e.dst);
		for (size_t k = 0; k < c->nprobe_ports && k < FLOWS_MAX_PORTS; k++)
			n += flows_port(&e, c->probe_ports[k], fw + n);
		n += flows_in_route(&in, c, p, rm, i, fw + n);
	}
	if (e.nomem || in.nomem) {
		free(fw);
		strpool_free(e.pool);
		return -ENOMEM;
	}
	*out = fw;
	*nout = n;
	*pool = e.pool;
	return 0;
}
