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

void
kernel_log_changes(const struct rc_result *res, const struct kview *kv)
{
	char line[160];

	if (res->fw_err)
		log_errc(res->fw_err, "evaluating the firewall");
	for (size_t i = 0; i < res->plan.n; i++) {
		const struct plan_route *pr = &res->plan.routes[i];
		struct route4 want = plan_route4(pr);
		bool add = pr->action == ACT_ADD;

		/* Report mode plans the same actions but applies none: only
		 * what enforce did or was refused is news. */
		if (pr->action == ACT_NONE || (!pr->apply_err && pr->state != PLAN_INSTALLED &&
					      pr->state != PLAN_REPAIRED))
			continue;
		report_fmt_route(kv, &want, line, sizeof(line));
		if (pr->apply_err)
			log_errc(pr->apply_err, "%s %s", add ? "adding" : "replacing", line);
		else
			log_info("%s %s (was %s)", add ? "added" : "replaced", line,
				 plan_state_name(add ? PLAN_MISSING : PLAN_WRONG_GW));
	}
}
