#include <stdlib.h>
#include <string.h>

#include "agent/core/plan.h"
#include "agent/core/remotes.h"

#define UNJUDGED ((enum remotes_verdict)-1)

static bool
same_node(const struct node_claim *a, const struct node_claim *b)
{
	return !strcmp(a->cluster, b->cluster) && !strcmp(a->node, b->node);
}

/* a is older than b: first claimed earlier, the lower index on a tie. */
static bool
older(const struct node_claim *c, size_t a, size_t b)
{
	return c[a].since < c[b].since || (c[a].since == c[b].since && a < b);
}

/* Whether one of a's pod CIDRs overlaps one of b's; which of a's in *hit. */
static bool
pods_overlap(const struct node_claim *a, const struct node_claim *b, struct prefix4 *hit)
{
	for (size_t i = 0; i < a->npod; i++)
		for (size_t k = 0; k < b->npod; k++)
			if (cidr_overlaps(&a->pod_cidrs[i], &b->pod_cidrs[k])) {
				*hit = a->pod_cidrs[i];
				return true;
			}
	return false;
}

/* Claim i on its own: what it says about itself. */
static bool
judge_alone(const struct node_claim *p, const char *local, struct remotes_judgement *out)
{
	if (!strcmp(p->cluster, local))
		out->v = RV_LOCAL;
	else if (p->addr && p->node_ip != p->addr)
		out->v = RV_NOT_SELF;
	else if (p->service_cidr && p->service_cidr->len < REMOTES_MAX_SVC_PREFIX) {
		out->v = RV_TOO_BROAD;
		out->cidr = *p->service_cidr;
	} else {
		for (size_t k = 0; k < p->npod; k++)
			if (p->pod_cidrs[k].len < REMOTES_MAX_POD_PREFIX) {
				out->v = RV_TOO_BROAD;
				out->cidr = p->pod_cidrs[k];
				return true;
			}
		return false;
	}
	return true;
}

/* Claim i against the older claims already routed. */
static void
judge_one(const struct node_claim *c, size_t n, size_t i, const char *local,
	  struct remotes_judgement *out)
{
	struct remotes_judgement *o = &out[i];

	*o = (struct remotes_judgement){ .v = RV_ROUTE };
	if (judge_alone(&c[i], local, o))
		return;
	for (size_t j = 0; j < n; j++)
		if (j != i && out[j].v == RV_ROUTE && same_node(&c[j], &c[i])) {
			o->v = RV_CONFLICT;
			o->other = j;
			return;
		}
	for (size_t j = 0; j < n; j++)
		if (j != i && out[j].v == RV_ROUTE && pods_overlap(&c[i], &c[j], &o->cidr)) {
			o->v = RV_OVERLAP;
			o->other = j;
			return;
		}
}

void
remotes_judge(const struct node_claim *c, size_t n, const char *local,
	      struct remotes_judgement *out)
{
	for (size_t i = 0; i < n; i++)
		out[i].v = UNJUDGED;
	/* Oldest first, so that only older claims can stand in a claim's way. */
	for (size_t step = 0; step < n; step++) {
		size_t best = n;

		for (size_t i = 0; i < n; i++)
			if (out[i].v == UNJUDGED && (best == n || older(c, i, best)))
				best = i;
		judge_one(c, n, best, local, out);
	}
}

bool
remotes_routable(const struct node_claim *c, size_t n, size_t i, const char *local)
{
	struct remotes_judgement *j = calloc(n ? n : 1, sizeof(*j));
	bool ok;

	if (!j)
		return false;
	remotes_judge(c, n, local, j);
	ok = i < n && j[i].v == RV_ROUTE;
	free(j);
	return ok;
}

bool
remotes_service_carrier(const struct node_claim *c, size_t n, size_t i,
			const struct remotes_judgement *j)
{
	const struct node_claim *p = &c[i];

	if (!p->service_cidr || !p->up || j[i].v != RV_ROUTE)
		return false;
	for (size_t k = 0; k < n; k++) {
		const struct node_claim *q = &c[k];

		if (k != i && q->up && q->service_cidr && j[k].v == RV_ROUTE &&
		    !strcmp(q->cluster, p->cluster) && q->node_ip < p->node_ip)
			return false;
	}
	return true;
}

/* A carrier's service CIDR must not take a routed pod range down with it
 * (the planner refuses both of two overlapping ranges). */
static bool
service_clashes(const struct node_claim *c, size_t n, size_t i, const struct remotes_judgement *j)
{
	for (size_t k = 0; k < n; k++)
		for (size_t m = 0; j[k].v == RV_ROUTE && m < c[k].npod; m++)
			if (cidr_overlaps(c[i].service_cidr, &c[k].pod_cidrs[m]))
				return true;
	return false;
}

size_t
remotes_build(const struct node_claim *c, size_t n, const char *local, bool route_services,
	      struct plan_remote *out, size_t max)
{
	struct remotes_judgement *j = calloc(n ? n : 1, sizeof(*j));
	size_t k = 0;

	if (!j)
		return 0;
	remotes_judge(c, n, local, j);
	for (size_t i = 0; i < n && k < max; i++)
		if (j[i].v == RV_ROUTE)
			out[k++] = (struct plan_remote){ .node_ip = c[i].node_ip,
				.cidrs = c[i].pod_cidrs, .ncidrs = c[i].npod,
				.cluster = c[i].cluster, .node = c[i].node };
	for (size_t i = 0; route_services && i < n && k < max; i++)
		if (remotes_service_carrier(c, n, i, j) && !service_clashes(c, n, i, j))
			out[k++] = (struct plan_remote){ .node_ip = c[i].node_ip,
				.cidrs = c[i].service_cidr, .ncidrs = 1,
				.cluster = c[i].cluster, .node = c[i].node };
	free(j);
	return k;
}

bool
remotes_special_ip(uint32_t ip)
{
	return (ip >> 24) == 0 || (ip >> 24) == 127 || (ip >> 16) == 0xa9fe ||
	       (ip >> 28) >= 0xe;
}

static bool
inside(const struct prefix4 *set, size_t n, uint32_t ip)
{
	for (size_t i = 0; i < n; i++)
		if (cidr_contains_ip(&set[i], ip))
			return true;
	return false;
}

bool
remotes_probe_ok(const struct node_claim *c, uint32_t ip, const struct prefix4 *allow,
		 size_t nallow, const struct prefix4 *deny, size_t ndeny)
{
	if (remotes_special_ip(ip) || inside(deny, ndeny, ip))
		return false;
	if (ip == c->node_ip)
		return true;
	return inside(c->pod_cidrs, c->npod, ip) && inside(allow, nallow, ip);
}

/* Appends ip:port unless out is full or (dedup) holds it already. */
static void
target_add(struct remotes_target *out, bool dedup, size_t *k, size_t max, uint32_t ip,
	   uint16_t port)
{
	for (size_t i = 0; dedup && i < *k; i++)
		if (out[i].ip == ip && out[i].port == port)
			return;
	if (*k < max)
		out[(*k)++] = (struct remotes_target){ ip, port };
}

size_t
remotes_node_targets(const struct node_claim *c, const struct remotes_said *said,
		     const struct remotes_probe_rules *r, struct remotes_target *out, size_t max,
		     size_t *refused)
{
	size_t k = 0, bad = 0;

	if (remotes_probe_ok(c, c->node_ip, r->allow, r->nallow, r->deny, r->ndeny))
		target_add(out, false, &k, max, c->node_ip, r->agent_port);
	for (size_t i = 0; said && i < said->npod_ips; i++) {
		uint32_t ip = said->pod_ips[i];

		/* The agent names its pods; the record says where they may be. */
		if (!inside(c->pod_cidrs, c->npod, ip) ||
		    !remotes_probe_ok(c, ip, r->allow, r->nallow, r->deny, r->ndeny)) {
			bad++;
			continue;
		}
		for (size_t j = 0; j < r->nports; j++)
			target_add(out, false, &k, max, ip, r->ports[j]);
	}
	for (size_t i = 0; said && i < said->naddrs; i++) {
		uint32_t ip = said->addrs[i].ip;

		/* the node IP or inside its pod CIDRs: remotes_probe_ok's rule */
		if (!remotes_probe_ok(c, ip, r->allow, r->nallow, r->deny, r->ndeny)) {
			bad++;
			continue;
		}
		/* its agent on the node IP and gateway: the first target may be one */
		target_add(out, true, &k, max, ip, said->addrs[i].port);
	}
	if (refused)
		*refused = bad;
	return k;
}
