/*
 * The agent's probe rounds: every --interval (jittered, so agents started
 * together do not probe together), every remote pod IP that peers publish on
 * each --probe-port, each peer's probe_addrs, and the explicit --probe
 * targets.  Results feed the report (probes[], probe-failed) and /metrics.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/core/cfg.h"
#include "agent/daemon/agent.h"
#include "agent/io/ev.h"
#include "agent/io/log.h"
#include "agent/io/mtuprobe.h"

const double api_rtt_buckets[API_RTT_BUCKETS] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1e9,
};

static void on_probe_timer(struct ev_loop *loop, void *arg);

static bool
add_target(struct agent *a, enum probe_kind kind, uint32_t ip, uint16_t port, const char *url)
{
	if (a->ntargets == API_MAX_TARGETS)
		return false;
	a->targets[a->ntargets++] = (struct probe_target){ kind, ip, port, url };
	return true;
}

/* The local cluster's ranges: never a target, whatever a peer says. */
static size_t
local_ranges(const struct cfg *c, struct prefix4 *out)
{
	size_t n = 0;

	for (size_t i = 0; i < c->pod_cidrs.n; i++)
		out[n++] = c->pod_cidrs.v[i];
	for (size_t i = 0; i < c->cluster_cidrs.n; i++)
		out[n++] = c->cluster_cidrs.v[i];
	if (c->has_service_cidr)
		out[n++] = c->service_cidr;
	return n;
}

/* Peers mode: the routed claims of peers (only where the peer owns the
 * target: its node IP or its own pod CIDRs; see remotes_probe_ok). */
static void
claimed_targets(struct agent *a, const struct prefix4 *deny, size_t ndeny)
{
	static struct agent_claims ac;
	const struct cfg *c = a->cfg;

	agent_judge(a, &ac);
	for (size_t k = 0; k < ac.n; k++) {
		const struct peer *p = peers_get(a->peers, ac.peer[k]);
		const struct node_claim *cl = &ac.c[k];

		if (ac.j[k].v != RV_ROUTE)
			continue;
		a->probe_nodes++;
		for (size_t i = 0; i < p->info.npod_ips; i++)
			for (size_t j = 0; j < c->nprobe_ports &&
			     remotes_probe_ok(cl, p->info.pod_ips[i], c->allow_cidrs.v, c->allow_cidrs.n,
					      deny, ndeny); j++)
				add_target(a, PROBE_TCP, p->info.pod_ips[i], c->probe_ports[j], NULL);
		for (size_t i = 0; i < p->info.nprobe_addrs; i++)
			if (remotes_probe_ok(cl, p->info.probe_addrs[i].ip, c->allow_cidrs.v,
					     c->allow_cidrs.n, deny, ndeny))
				add_target(a, PROBE_TCP, p->info.probe_addrs[i].ip,
					   p->info.probe_addrs[i].port, NULL);
	}
}

/* The agent at a node's IP (on our port), with a valid answer for that IP. */
static const struct peer *
agent_at(const struct agent *a, uint32_t ip)
{
	for (size_t i = 0; i < peers_count(a->peers); i++) {
		const struct peer *p = peers_get(a->peers, i);

		if (p->ip == ip && p->port == a->cfg->listen.port && p->has_info &&
		    p->info.node_ip == ip)
			return p;
	}
	return NULL;
}

/* Kubernetes mode: every remote Node the API servers list — its InternalIP
 * on the agent port and, from its own agent's /v1/node (asked at that IP),
 * its pods on each --probe-port and its probe addresses, inside the pod
 * CIDRs the API gives that Node only: the HTTP answer names pods, the API
 * says where they may be. */
static void
discovered_targets(struct agent *a, const struct remotes_probe_rules *rules)
{
	static struct disc_node nd[API_MAX_TARGETS];
	static struct remotes_target t[API_MAX_TARGETS];
	struct remotes_target addrs[PEER_MAX_PROBE_ADDRS];
	size_t n = discovery_nodes(a->disc, false, nd, API_MAX_TARGETS);

	for (size_t i = 0; i < n; i++) {
		const struct peer *p = agent_at(a, nd[i].ip);
		struct node_claim cl = { .cluster = nd[i].cluster, .node = nd[i].name,
					 .node_ip = nd[i].ip, .pod_cidrs = nd[i].cidrs,
					 .npod = nd[i].ncidrs };
		struct remotes_said said = { 0 };
		size_t k, refused;

		a->probe_nodes++;
		if (p) {
			for (size_t j = 0; j < p->info.nprobe_addrs; j++)
				addrs[j] = (struct remotes_target){ p->info.probe_addrs[j].ip,
								    p->info.probe_addrs[j].port };
			said = (struct remotes_said){ p->info.pod_ips, p->info.npod_ips, addrs,
						      p->info.nprobe_addrs };
		}
		k = remotes_node_targets(&cl, &said, rules, t, API_MAX_TARGETS, &refused);
		if (refused)
			log_debug("node %s of cluster %s: %zu addresses its agent names not probed "
				  "(outside the Node's pod CIDRs, or refused by the rails)", nd[i].name,
				  nd[i].cluster, refused);
		for (size_t j = 0; j < k; j++)
			add_target(a, PROBE_TCP, t[j].ip, t[j].port, NULL);
	}
}

/* The remote nodes' targets (from discovery in kubernetes mode, from the
 * peers' routed claims otherwise), then --probe. */
static void
build_targets(struct agent *a)
{
	const struct cfg *c = a->cfg;
	struct prefix4 deny[2 * CIDR_LIST_MAX + 1];
	size_t ndeny = local_ranges(c, deny);
	struct remotes_probe_rules rules = { c->probe_ports, c->nprobe_ports, c->listen.port,
					     c->allow_cidrs.v, c->allow_cidrs.n, deny, ndeny };

	a->ntargets = 0;
	a->probe_nodes = 0;
	if (a->disc)
		discovered_targets(a, &rules);
	else
		claimed_targets(a, deny, ndeny);
	for (size_t i = 0; i < c->nprobes; i++)
		add_target(a, c->probes[i].http ? PROBE_HTTP : PROBE_TCP, c->probes[i].ip,
			   c->probes[i].port, c->probes[i].http ? c->probes[i].url : NULL);
}

static struct agent_series *
series_for(struct agent *a, const char *target)
{
	for (size_t i = 0; i < a->nseries; i++)
		if (!strcmp(a->series[i].target, target))
			return &a->series[i];
	if (a->nseries < API_PROBE_SERIES) {
		struct agent_series *s = &a->series[a->nseries++];

		snprintf(s->target, sizeof(s->target), "%s", target);
		return s;
	}
	/* Past the cap every target shares one series: cardinality stays bounded. */
	snprintf(a->series[API_PROBE_SERIES].target, sizeof(a->series[0].target), "other");
	return &a->series[API_PROBE_SERIES];
}

static void
record(struct agent *a, const struct probe_result *res, const struct report_probe *rp)
{
	double s = (double)res->rtt_us / 1e6;
	size_t b = 0;

	a->m.probe_results[res->kind == PROBE_HTTP][res->result]++;
	if (probe_result_reached(res->result)) {
		while (b < API_RTT_BUCKETS - 1 && s > api_rtt_buckets[b])
			b++;
		a->m.rtt_buckets[b]++;
		a->m.rtt_sum += s;
		a->m.rtt_count++;
	}
	probe_history_add(&series_for(a, rp->target)->h, res->result);
}

static void
on_round(const struct probe_result *res, size_t n, void *arg)
{
	struct agent *a = arg;
	struct report_probe *rp = calloc(n, sizeof(*rp));

	if (!rp) {
		log_errc(ENOMEM, "probe results");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		probe_report(&a->targets[i], &res[i], &a->probe_opts, &rp[i]);
		record(a, &res[i], &rp[i]);
	}
	agent_render_finish(a);		/* it may be writing the old results */
	free(a->probes);
	a->probes = rp;
	a->nprobes = n;
	a->probes_at = ev_now();
	agent_schedule(a, "probe round");
}

/* A round with no target: no result stays from an earlier round (a false
 * all-clear), and the report says so (no-probe-targets) once it starts. */
static void
nothing_to_probe(struct agent *a)
{
	bool was = a->probe_none;

	agent_render_finish(a);
	free(a->probes);
	a->probes = NULL;
	a->nprobes = 0;
	a->probes_at = ev_now();
	a->probe_none = true;
	if (!was)	/* the report's problem says it (and the log, once) */
		agent_schedule(a, "no probe targets");
}

#define MTU_MAX_NODES 128	/* remote nodes DF-probed per round */
/* The kernel answers at most one ICMP error a second per destination (a
 * burst of 6, net.ipv4.icmp_ratelimit): two datagrams every 5 s stay well
 * inside, so a missing answer is the path's doing, not the limit's. */
#define MTU_EVERY_S 5.0

/* The largest MTU of a pod interface here, else the bridge's; 0: unknown. */
static unsigned
pod_mtu(const struct agent *a)
{
	const struct kview *kv = &a->kv;
	unsigned mtu = 0, bridge = 0;

	for (size_t i = 0; i < kv->nlinks; i++)
		for (size_t k = 0; k < kv->naddrs; k++)
			if (kv->addrs[k].ifindex == kv->links[i].index &&
			    kv->addrs[k].local == a->cfg->node_ip)
				bridge = kv->links[i].mtu;
	for (size_t i = 0; i < kv->nroutes; i++) {
		const struct route4 *r = &kv->routes[i];

		if (r->dst.len != 32 || r->gw || !a->cfg->pod_cidrs.n ||
		    !cidr_contains_ip(&a->cfg->pod_cidrs.v[0], r->dst.addr))
			continue;
		for (size_t k = 0; k < kv->nlinks; k++)
			if (kv->links[k].index == r->oif && kv->links[k].mtu > mtu)
				mtu = kv->links[k].mtu;
	}
	return mtu ? mtu : bridge;
}

static void
on_mtu(const struct mtu_result *res, size_t n, void *arg)
{
	struct agent *a = arg;

	bool same = a->nmtu == a->nmtu_next;

	for (size_t i = 0; i + 1 < n; i += 2) {
		struct report_mtu *m = &a->mtu_next[i / 2];

		m->big = mtu_outcome_name(res[i].outcome);
		m->small = mtu_outcome_name(res[i + 1].outcome);
		same = same && m->node_ip == a->mtu_res[i / 2].node_ip &&
		       m->size == a->mtu_res[i / 2].size && m->big == a->mtu_res[i / 2].big &&
		       m->small == a->mtu_res[i / 2].small;
	}
	/* Published whole: the report keeps the last round's until this one is in. */
	memcpy(a->mtu_res, a->mtu_next, a->nmtu_next * sizeof(*a->mtu_res));
	a->nmtu = a->nmtu_next;
	a->mtu_busy = false;
	/* Every 5 s: the report is rebuilt only when an outcome changed. */
	if (!same)
		agent_schedule(a, "mtu probes");
}

/* Every remote node a route goes via, once: a datagram of the pod MTU, then
 * a small one, both with DF (should an answer be rate-limited after all, it
 * is the small one's, and nothing is concluded).  The round before is freed
 * here, not in its own callback. */
static void
mtu_round(struct agent *a)
{
	unsigned mtu = pod_mtu(a);
	size_t n = 0;

	if (a->mtu_busy || mtu <= MTU_PROBE_SMALL || mtu > 65535 || ev_now() - a->mtu_at < MTU_EVERY_S)
		return;
	a->mtu_at = ev_now();
	mtu_round_free(a->mtu);
	a->mtu = NULL;
	for (size_t i = 0; i < a->res.plan.n && n < MTU_MAX_NODES; i++) {
		const struct plan_route *pr = &a->res.plan.routes[i];
		bool seen = false;

		for (size_t k = 0; k < n; k++)
			seen |= a->mtu_next[k].node_ip == pr->via;
		if (pr->state == PLAN_REJECTED || !pr->oif || seen)
			continue;
		a->mtu_next[n] = (struct report_mtu){ .node_ip = pr->via, .size = (uint16_t)mtu };
		a->mtu_targets[2 * n] = (struct mtu_target){ pr->via, (uint16_t)mtu };
		a->mtu_targets[2 * n + 1] = (struct mtu_target){ pr->via, MTU_PROBE_SMALL };
		n++;
	}
	a->nmtu_next = n;
	if (!n) {
		a->nmtu = 0;
		return;
	}
	a->mtu = mtu_round_start(a->loop, a->mtu_targets, 2 * n, a->probe_opts.src,
				 a->cfg->timeout, on_mtu, a);
	a->mtu_busy = a->mtu != NULL;
}

static void
on_probe_timer(struct ev_loop *loop, void *arg)
{
	struct agent *a = arg;
	struct probe_opts o = probe_opts_for(a->cfg, &a->kv);
	int err;

	ev_timer_arm(a->t_probe, probe_jitter(a->cfg->interval, 0.1, (uint32_t)random()));
	if (a->probe && probe_round_busy(a->probe))
		return;	/* the last round still runs: skip, do not pile up */
	if (!a->probe || o.src != a->probe_opts.src) {
		probe_engine_free(a->probe);
		a->probe_opts = o;
		a->probe = probe_engine_new(a->loop, &a->probe_opts);
		if (!a->probe) {
			log_errc(errno, "probe engine");
			return;
		}
	}
	mtu_round(a);
	build_targets(a);
	if (a->ntargets == 0) {
		nothing_to_probe(a);
		return;
	}
	a->probe_none = false;
	if ((err = probe_round_start(a->probe, a->targets, a->ntargets, on_round, a)) < 0)
		log_errc(err, "starting a probe round");
}

int
agent_probe_start(struct agent *a)
{
	a->targets = calloc(API_MAX_TARGETS, sizeof(*a->targets));
	a->mtu_targets = calloc(2 * MTU_MAX_NODES, sizeof(*a->mtu_targets));
	a->mtu_res = calloc(MTU_MAX_NODES, sizeof(*a->mtu_res));
	a->mtu_next = calloc(MTU_MAX_NODES, sizeof(*a->mtu_next));
	a->t_probe = ev_timer_new(a->loop, on_probe_timer, a);
	if (!a->targets || !a->mtu_targets || !a->mtu_res || !a->mtu_next || !a->t_probe)
		return -ENOMEM;
	return ev_timer_arm(a->t_probe, probe_jitter(a->cfg->interval, 0.1, (uint32_t)random()));
}

void
agent_probe_stop(struct agent *a)
{
	probe_engine_free(a->probe);
	a->probe = NULL;
	mtu_round_free(a->mtu);
	a->mtu = NULL;
	free(a->mtu_targets);
	a->mtu_targets = NULL;
	free(a->mtu_res);
	a->mtu_res = NULL;
	free(a->mtu_next);
	a->mtu_next = NULL;
	a->nmtu = 0;
	ev_timer_free(a->t_probe);
	a->t_probe = NULL;
	free(a->targets);
	a->targets = NULL;
	free(a->probes);
	a->probes = NULL;
	a->nprobes = 0;
}
