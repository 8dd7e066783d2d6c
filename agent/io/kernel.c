#include <linux/rtnetlink.h>
#include <stdio.h>

#include "agent/core/reconcile.h"
#include "agent/core/report.h"
#include "agent/io/kernel.h"
#include "agent/io/log.h"
#include "agent/io/node.h"
#include "netlink/route.h"

static int
seam_apply(void *ctx, enum rc_op op, const struct route4 *r)
{
	static const enum route_op ops[] = { [RC_ADD] = ROUTE_ADD, [RC_REPLACE] = ROUTE_REPLACE,
					     [RC_DEL] = ROUTE_DEL };

	return route_apply(ctx, ops[op], r);
}

static int
seam_lookup(void *ctx, uint32_t dst, struct route4 *out)
{
	return route_get(ctx, dst, out);
}

static void
seam_settings(void *ctx, const char *dev, struct node_sysctl *out)
{
	node_read("/proc", dev, out);
}

void
kernel_seam(struct rc_kernel *k, struct route_sock *rs)
{
	*k = (struct rc_kernel){ .apply = seam_apply, .lookup = seam_lookup,
				 .settings = seam_settings, .ctx = rs };
}

uint32_t
kernel_default_source(struct route_sock *rs, const struct kview *kv)
{
	const struct route4 *def = NULL;
	struct route4 got;

	for (size_t i = 0; i < kv->nroutes; i++) {
		const struct route4 *r = &kv->routes[i];

		if (r->dst.len == 0 && r->type == RTN_UNICAST && (!def || r->priority < def->priority))
			def = r;
	}
	if (!def)
		return 0;
	if (def->prefsrc)
		return def->prefsrc;
	if (def->gw && route_get(rs, def->gw, &got) == 0)
		return got.prefsrc;
	return 0;
}

/* A burst (a cluster listed, a relist) changes thousands of routes at once:
 * up to this many are logged one by one, more as one line per kind. */
#define KERNEL_LOG_BURST 4

struct log_tally {
	size_t n[2];				/* [0] done, [1] refused */
	const struct plan_route *first[2], *last[2];
	size_t added, moved, exists;
};

/* Report mode plans the same actions but applies none: only what enforce
 * did or was refused is news. */
static bool
kernel_changed(const struct plan_route *pr)
{
	return pr->action != ACT_NONE && (pr->apply_err || pr->state == PLAN_INSTALLED ||
					  pr->state == PLAN_REPAIRED);
}

static void
log_one(const struct kview *kv, const struct plan_route *pr)
{
	struct route4 want = plan_route4(pr);
	bool add = pr->action == ACT_ADD;
	char line[160];

	report_fmt_route(kv, &want, line, sizeof(line));
	if (pr->apply_err)
		log_errc(pr->apply_err, "%s %s", add ? "adding" : "replacing", line);
	else if (pr->moved)
		log_info("moved %s (its node's address changed)", line);
	else
		log_info("%s %s (was %s)", add ? "added" : "replaced", line,
			 plan_state_name(add ? PLAN_MISSING : PLAN_WRONG_GW));
}

static void
log_burst(const struct kview *kv, const struct log_tally *t)
{
	char a[160], b[160];

	if (t->n[0]) {
		struct route4 f = plan_route4(t->first[0]), l = plan_route4(t->last[0]);

		report_fmt_route(kv, &f, a, sizeof(a));
		report_fmt_route(kv, &l, b, sizeof(b));
		log_info("added %zu, replaced %zu and moved %zu routes (first %s, last %s)", t->added,
			 t->n[0] - t->added - t->moved, t->moved, a, b);
	}
	if (t->n[1]) {
		struct route4 f = plan_route4(t->first[1]);

		report_fmt_route(kv, &f, a, sizeof(a));
		log_errc(t->first[1]->apply_err, "the kernel refused %zu route changes (first: %s %s)",
			 t->n[1], t->first[1]->action == ACT_ADD ? "adding" : "replacing", a);
	}
}

/* Stale routes removed or refused: one line each, the first
 * KERNEL_LOG_BURST of them, then how many more. */
static void
kernel_log_stale(const struct plan *p, const struct kview *kv)
{
	size_t n = 0;

	for (size_t i = 0; i < p->nstale; i++) {
		const struct plan_stale *s = &p->stale[i];
		const char *why = s->why ? s->why : "stale, no remote node claims it";
		char line[160];

		if (!s->apply_err == !s->removed)
			continue;	/* report mode, or gone already */
		if (n++ >= KERNEL_LOG_BURST)
			continue;
		report_fmt_route(kv, &s->route, line, sizeof(line));
		if (s->apply_err)
			log_errc(s->apply_err, "removing %s (%s%s)", line, why, s->why ? " deleted" : "");
		else
			log_info("removed %s: %s%s", line, why, s->why ? " deleted" : "");
	}
	if (n > KERNEL_LOG_BURST)
		log_info("%zu more stale routes removed or refused (not each logged)",
			 n - KERNEL_LOG_BURST);
}

void
kernel_log_changes(const struct rc_result *res, const struct kview *kv)
{
	struct log_tally t = { 0 };

	if (res->fw_err)
		log_errc(res->fw_err, "evaluating the firewall");
	for (size_t i = 0; i < res->plan.n; i++) {
		const struct plan_route *pr = &res->plan.routes[i];
		int k = pr->apply_err != 0;

		t.exists += pr->exists;
		if (!kernel_changed(pr))
			continue;
		if (!t.n[k]++)
			t.first[k] = pr;
		t.last[k] = pr;
		t.added += !k && pr->action == ACT_ADD;
		t.moved += !k && pr->moved;
	}
	if (t.n[0] + t.n[1] > KERNEL_LOG_BURST)
		log_burst(kv, &t);
	else
		for (size_t i = 0; i < res->plan.n; i++)
			if (kernel_changed(&res->plan.routes[i]))
				log_one(kv, &res->plan.routes[i]);
	if (t.exists)
		log_info("%zu routes were in the kernel already (added before their notification "
			 "was read): taken as done", t.exists);
	kernel_log_stale(&res->plan, kv);
}
