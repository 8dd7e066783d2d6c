#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/rtnetlink.h>

#include "agent/core/cidr.h"
#include "agent/core/plan.h"

const char *
plan_state_name(enum plan_state s)
{
	static const char *names[] = {
		[PLAN_OK] = "ok", [PLAN_MISSING] = "missing",
		[PLAN_WRONG_GW] = "wrong-gateway", [PLAN_CONFLICT] = "conflict",
		[PLAN_REJECTED] = "rejected", [PLAN_INSTALLED] = "installed",
		[PLAN_REPAIRED] = "repaired",
	};
	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

struct route4
plan_route4(const struct plan_route *pr)
{
	struct route4 r = {
		.dst = pr->dst, .gw = pr->via, .oif = pr->oif,
		.table = RT_TABLE_MAIN, .protocol = PODREACH_RTPROT,
		.scope = RT_SCOPE_UNIVERSE, .type = RTN_UNICAST,
	};

	/* Replace matches on (dst, tos, priority): keep the metric we found. */
	if (pr->action == ACT_REPLACE && pr->has_observed)
		r.priority = pr->observed.priority;
	return r;
}

static bool
overlaps_any(const struct prefix4 *p, const struct prefix4 *set, size_t n,
	     struct prefix4 *clash)
{
	for (size_t i = 0; i < n; i++) {
		if (cidr_overlaps(p, &set[i])) {
			*clash = set[i];
			return true;
		}
	}
	return false;
}

static bool
inside_any(const struct prefix4 *p, const struct prefix4 *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (cidr_contains(&set[i], p))
			return true;
	return false;
}

/* Any local address or interface subnet inside, or around, p. */
static bool
overlaps_iface(const struct kview *kv, const struct prefix4 *p, struct plan_route *pr)
{
	for (size_t i = 0; i < kv->naddrs; i++) {
		const struct addr4 *a = &kv->addrs[i];
		struct prefix4 net = { a->local & cidr_mask(a->len), a->len };

		if (cidr_overlaps(p, &net)) {
			pr->clash = net;
			pr->clash_ifindex = a->ifindex;
			return true;
		}
	}
	return false;
}

/* A route's place in address order: by start, the wider first, then by
 * gateway and by position (so the first of equals comes first). */
struct plan_key {
	uint32_t addr;
	uint8_t len;
	uint32_t via;
	size_t i;
};

static int
plan_key_cmp(const void *x, const void *y)
{
	const struct plan_key *a = x, *b = y;

	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	if (a->via != b->via)
		return a->via < b->via ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

static uint64_t
plan_end(const struct plan_key *k)
{
	return (uint64_t)k->addr + (1ULL << (32 - k->len));
}

/* The routes that pass the rails (or, with want_all, every route), in
 * address order; NULL when out of memory. */
static struct plan_key *
plan_sorted(const struct plan_route *r, size_t n, bool want_all, size_t *nk)
{
	struct plan_key *k = malloc((n ? n : 1) * sizeof(*k));

	*nk = 0;
	for (size_t i = 0; k && i < n; i++)
		if (want_all || r[i].why == WHY_NONE)
			k[(*nk)++] = (struct plan_key){ r[i].dst.addr, r[i].dst.len, r[i].via, i };
	if (k)
		qsort(k, *nk, sizeof(*k), plan_key_cmp);
	return k;
}

/* The same range via the same node is one route, however often it is
 * claimed: the first claim stays, in order.  Sorted, so that 65,536 claims
 * cost n log n, not n squared. */
static int
plan_dedupe(struct plan *p)
{
	size_t nk, n = 0;
	struct plan_key *k = plan_sorted(p->routes, p->n, true, &nk);
	bool *dup = calloc(p->n ? p->n : 1, sizeof(*dup));

	if (!k || !dup) {
		free(k);
		free(dup);
		return -ENOMEM;
	}
	for (size_t j = 1; j < nk; j++)
		dup[k[j].i] = k[j].addr == k[j - 1].addr && k[j].len == k[j - 1].len &&
			      k[j].via == k[j - 1].via;
	for (size_t i = 0; i < p->n; i++)
		if (!dup[i])
			p->routes[n++] = p->routes[i];
	p->n = n;
	free(k);
	free(dup);
	return 0;
}

/* Another remote node claiming an overlapping range makes both ambiguous.
 * Only ranges that passed the other rails count: a hostile 0.0.0.0/0 must
 * not take the good routes of every other node down with it.  Prefixes
 * overlap only by nesting, so in address order what a range overlaps
 * follows it until its end: each route is compared with what it holds,
 * not with every other.  The clash named is the first in plan order. */
static int
remote_overlaps(struct plan *p)
{
	size_t nk, nf = 0;
	struct plan_key *k = plan_sorted(p->routes, p->n, false, &nk);
	bool *flag = calloc(p->n ? p->n : 1, sizeof(*flag));
	size_t *f = malloc((p->n ? p->n : 1) * sizeof(*f));

	if (!k || !flag || !f) {
		free(k);
		free(flag);
		free(f);
		return -ENOMEM;
	}
	for (size_t x = 0; x < nk; x++)
		for (size_t y = x + 1; y < nk && k[y].addr < plan_end(&k[x]); y++)
			if (k[y].via != k[x].via)
				flag[k[x].i] = flag[k[y].i] = true;
	for (size_t i = 0; i < p->n; i++)
		if (flag[i])
			f[nf++] = i;
	for (size_t x = 0; x < nf; x++) {
		struct plan_route *a = &p->routes[f[x]];

		for (size_t y = 0; y < nf; y++) {
			const struct plan_route *b = &p->routes[f[y]];

			if (x == y || a->via == b->via || !cidr_overlaps(&a->dst, &b->dst))
				continue;
			a->clash = b->dst;
			a->clash_node = b->via;
			break;
		}
		a->why = WHY_REMOTE_OVERLAP;
	}
	free(k);
	free(flag);
	free(f);
	return 0;
}

/* A gateway at its subnet's network or broadcast address: the kernel
 * refuses such a route (EINVAL), and no node can hold the address. */
static bool
gw_special(const struct kview *kv, uint32_t ip)
{
	const struct addr4 *a = kview_onlink(kv, ip);
	uint32_t host;

	if (!a || a->len >= 31)
		return false;
	host = ip & ~cidr_mask(a->len);
	return host == 0 || host == ~cidr_mask(a->len);
}

/* The rails of podreach(8): returns the reason to refuse pr, or WHY_NONE. */
static enum plan_why
rails(const struct plan_input *in, size_t ri, struct plan_route *pr)
{
	const struct plan_remote *rm = &in->remotes[ri];

	if (pr->dst.len == 0)
		return WHY_DEFAULT;
	if (!inside_any(&pr->dst, in->allow, in->nallow))
		return WHY_NOT_ALLOWED;
	if (overlaps_any(&pr->dst, in->pod_cidrs, in->npod, &pr->clash) ||
	    overlaps_any(&pr->dst, in->cluster_cidrs, in->ncluster, &pr->clash))
		return WHY_POD_OVERLAP;
	if (in->service_cidr && overlaps_any(&pr->dst, in->service_cidr, 1, &pr->clash)) {
		pr->clash_assumed = in->service_assumed;
		return WHY_SERVICE_OVERLAP;
	}
	if (overlaps_iface(in->kv, &pr->dst, pr))
		return WHY_IFACE_OVERLAP;
	if (rm->node_ip == in->node_ip || kview_is_local(in->kv, rm->node_ip))
		return WHY_SELF;
	if (!pr->oif)
		return WHY_NOT_ONLINK;
	if (gw_special(in->kv, rm->node_ip))
		return WHY_GW_SPECIAL;
	return WHY_NONE;
}

/* The route the kernel uses for exactly dst: the lowest metric wins. */
static const struct route4 *
find_route(const struct kview *kv, const struct prefix4 *dst)
{
	const struct route4 *best = NULL;

	for (size_t i = 0; i < kv->nroutes; i++) {
		const struct route4 *r = &kv->routes[i];

		if (!cidr_equal(&r->dst, dst))
			continue;
		if (!best || r->priority < best->priority)
			best = r;
	}
	return best;
}

static void
decide(const struct plan_input *in, struct plan_route *pr)
{
	const struct route4 *r = in->find ? in->find(in->find_ctx, &pr->dst) : find_route(in->kv, &pr->dst);
	uint32_t prev = in->remotes[pr->remote].prev_via;
	bool right;

	if (!r) {
		pr->state = PLAN_MISSING;
		pr->action = ACT_ADD;
		return;
	}
	pr->has_observed = true;
	pr->observed = *r;
	pr->owned = r->protocol == PODREACH_RTPROT;
	right = r->type == RTN_UNICAST && r->gw == pr->via && r->oif == pr->oif;
	if (right)
		pr->state = PLAN_OK;
	else if (pr->owned) {
		pr->state = PLAN_WRONG_GW;
		pr->action = ACT_REPLACE;
		/* The node moved: following it is not a repair. */
		pr->moved = prev && r->gw == prev;
	} else
		pr->state = PLAN_CONFLICT;	/* not ours: never touched */
}

/* Every destination some remote claims, sorted for bsearch; NULL with *n
 * 0 when none (or on -ENOMEM, returned in *err). */
static struct prefix4 *
claimed_dsts(const struct plan_input *in, size_t *n, int *err)
{
	struct prefix4 *v;
	size_t total = 0, k = 0;

	*n = 0;
	for (size_t i = 0; i < in->nremotes; i++)
		total += in->remotes[i].ncidrs;
	if (total == 0)
		return NULL;
	if (!(v = malloc(total * sizeof(*v)))) {
		*err = -ENOMEM;
		return NULL;
	}
	for (size_t i = 0; i < in->nremotes; i++)
		for (size_t j = 0; j < in->remotes[i].ncidrs; j++)
			v[k++] = in->remotes[i].cidrs[j];
	qsort(v, k, sizeof(*v), cidr_cmp);
	*n = k;
	return v;
}

static int
withdrawn_cmp(const void *a, const void *b)
{
	const struct plan_withdrawn *const *x = a, *const *y = b;
	int c = cidr_cmp(&(*x)->dst, &(*y)->dst);

	/* Equal destinations in input order: the first one names it. */
	return c ? c : *x < *y ? -1 : *x > *y;
}

/* The withdrawn destinations sorted for bsearch (5,000 Nodes of a removed
 * cluster against 5,000 owned routes: n log n, not n^2); NULL when none or
 * on -ENOMEM (in *err). */
static const struct plan_withdrawn **
withdrawn_sorted(const struct plan_input *in, int *err)
{
	const struct plan_withdrawn **v;

	if (!in->nwithdrawn)
		return NULL;
	if (!(v = malloc(in->nwithdrawn * sizeof(*v)))) {
		*err = -ENOMEM;
		return NULL;
	}
	for (size_t i = 0; i < in->nwithdrawn; i++)
		v[i] = &in->withdrawn[i];
	qsort(v, in->nwithdrawn, sizeof(*v), withdrawn_cmp);
	return v;
}

/* Why an owned route for dst must go: the withdrawal naming it, "" when
 * only pruning says so, NULL when it stays. */
static const char *
stale_why(const struct plan_input *in, const struct plan_withdrawn **wd,
	  const struct prefix4 *dst)
{
	size_t lo = 0, hi = wd ? in->nwithdrawn : 0;

	while (lo < hi) {	/* the first one not below dst */
		size_t mid = lo + (hi - lo) / 2;

		if (cidr_cmp(&wd[mid]->dst, dst) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (wd && lo < in->nwithdrawn && cidr_equal(&wd[lo]->dst, dst))
		return wd[lo]->why;
	return in->prune ? "" : NULL;
}

/* The owned routes nothing stands behind (plan_input.withdrawn, .prune).
 * One pass over the routes: a byte compare for each that is not ours. */
static int
plan_stale(const struct plan_input *in, struct plan *out)
{
	const struct kview *kv = in->kv;
	const struct plan_withdrawn **wd;
	struct prefix4 *claimed;
	size_t nclaimed, cap = 0;
	int err = 0;

	if (!in->prune && !in->nwithdrawn)
		return 0;
	claimed = claimed_dsts(in, &nclaimed, &err);
	wd = withdrawn_sorted(in, &err);
	for (size_t i = 0; i < kv->nroutes && !err; i++) {
		const struct route4 *r = &kv->routes[i];
		const char *why;

		if (r->protocol != PODREACH_RTPROT || r->table != RT_TABLE_MAIN ||
		    (nclaimed && bsearch(&r->dst, claimed, nclaimed, sizeof(*claimed), cidr_cmp)) ||
		    !(why = stale_why(in, wd, &r->dst)))
			continue;
		if (out->nstale == cap) {
			struct plan_stale *ns = realloc(out->stale, (cap = cap ? cap * 2 : 8) * sizeof(*ns));

			if (!ns) {
				err = -ENOMEM;
				break;
			}
			out->stale = ns;
		}
		out->stale[out->nstale++] = (struct plan_stale){ .route = *r,
								 .why = why[0] ? why : NULL };
	}
	free(claimed);
	free(wd);
	return err;
}

int
plan_build(const struct plan_input *in, struct plan *out)
{
	size_t total = 0, n = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < in->nremotes; i++)
		total += in->remotes[i].ncidrs;
	if (total && !(out->routes = calloc(total, sizeof(*out->routes))))
		return -ENOMEM;
	for (size_t i = 0; i < in->nremotes; i++) {
		const struct plan_remote *rm = &in->remotes[i];
		const struct addr4 *a = kview_onlink(in->kv, rm->node_ip);

		for (size_t k = 0; k < rm->ncidrs; k++) {
			struct plan_route *pr = &out->routes[n++];

			pr->remote = i;
			pr->dst = rm->cidrs[k];
			pr->via = rm->node_ip;
			pr->oif = a ? a->ifindex : 0;
			pr->why = rails(in, i, pr);
		}
	}
	out->n = n;
	if (plan_dedupe(out) < 0 || remote_overlaps(out) < 0) {
		plan_free(out);
		return -ENOMEM;
	}
	for (size_t i = 0; i < out->n; i++) {
		struct plan_route *pr = &out->routes[i];

		if (pr->why != WHY_NONE)
			pr->state = PLAN_REJECTED;
		else
			decide(in, pr);
	}
	if (plan_stale(in, out) < 0) {
		plan_free(out);
		return -ENOMEM;
	}
	return 0;
}

void
plan_free(struct plan *p)
{
	if (!p)
		return;
	free(p->routes);
	free(p->stale);
	p->routes = NULL;
	p->stale = NULL;
	p->n = p->nstale = 0;
}
