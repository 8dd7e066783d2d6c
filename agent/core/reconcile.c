#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/core/cfg.h"
#include "agent/core/diag.h"
#include "agent/core/flows.h"
#include "agent/core/reconcile.h"
#include "agent/core/report.h"
#include "agent/core/strpool.h"

/* Enforce: add what is missing, replace our own wrong routes, remove our
 * own stale ones.  An add the kernel answers EEXIST found the route there
 * already: the view had not yet read the notification of it (ours, from a
 * change just made).  That is done, not refused: retrying it would only meet
 * EEXIST again, and the notification now queued reconciles once more, with
 * the route as it really is. */
static int
enforce(const struct rc_kernel *k, struct plan *p, size_t max, size_t *deferred)
{
	size_t tried = 0;
	int failed = 0;

	for (size_t i = 0; i < p->n; i++) {
		struct plan_route *pr = &p->routes[i];
		struct route4 want = plan_route4(pr);
		int err;

		if (pr->action == ACT_NONE)
			continue;
		if (max && tried++ >= max) {
			++*deferred;	/* left as planned: the next run does it */
			continue;
		}
		err = k->apply(k->ctx, pr->action == ACT_ADD ? RC_ADD : RC_REPLACE, &want);
		if (err == -EEXIST && pr->action == ACT_ADD) {
			pr->state = PLAN_OK;
			pr->action = ACT_NONE;
			pr->owned = true;
			pr->exists = true;
			continue;
		}
		if (err) {
			pr->apply_err = err;
			failed++;
			continue;
		}
		pr->state = pr->action == ACT_ADD ? PLAN_INSTALLED : PLAN_REPAIRED;
		pr->owned = true;
	}
	for (size_t i = 0; i < p->nstale; i++) {
		struct plan_stale *s = &p->stale[i];
		int err;

		if (max && tried++ >= max) {
			++*deferred;
			continue;
		}
		err = k->apply(k->ctx, RC_DEL, &s->route);
		/* ESRCH: gone already (a person, a link that went down, or our
		 * own removal whose notification is still queued). */
		s->apply_err = err;
		if (err && err != -ESRCH)
			failed++;
		else
			s->removed = true;
	}
	return failed;
}

/* `ip route get` a representative address of each CIDR not found right
 * (or just changed): the report says where its packets go now. */
static void
lookup_fib(const struct rc_kernel *k, struct plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		struct plan_route *pr = &p->routes[i];

		if (pr->state == PLAN_REJECTED || pr->state == PLAN_OK)
			continue;
		pr->has_fib = true;
		pr->fib_err = k->lookup(k->ctx, pr->dst.addr + (pr->dst.len < 31), &pr->fib);
	}
}

static void
bridge_dev(const struct kview *kv, uint32_t node_ip, char dev[static IF_NAMESIZE + 8])
{
	dev[0] = '\0';
	for (size_t i = 0; i < kv->naddrs; i++)
		if (kv->addrs[i].local == node_ip)
			kview_ifname(kv, kv->addrs[i].ifindex, dev);
}

int
rc_run(const struct rc_input *in, const struct rc_kernel *k, struct rc_result *res)
{
	static const struct prefix4 kind_services = { RC_KIND_SERVICES, 12 };
	const struct cfg *c = in->cfg;
	struct plan_input pin = {
		.kv = in->kv, .node_ip = c->node_ip,
		.pod_cidrs = c->pod_cidrs.v, .npod = c->pod_cidrs.n,
		.cluster_cidrs = c->cluster_cidrs.v, .ncluster = c->cluster_cidrs.n,
		/* Without --service-cidr, kind's default serviceSubnet is taken
		 * as ours: a remote range there would hijack ClusterIPs. */
		.service_cidr = c->has_service_cidr ? &c->service_cidr : &kind_services,
		.service_assumed = !c->has_service_cidr,
		.allow = c->allow_cidrs.v, .nallow = c->allow_cidrs.n,
		.remotes = in->remotes, .nremotes = in->nremotes,
		.find = in->find, .find_ctx = in->find_ctx,
		.withdrawn = in->withdrawn, .nwithdrawn = in->nwithdrawn, .prune = in->prune,
	};
	int err;

	memset(res, 0, sizeof(*res));
	if ((err = plan_build(&pin, &res->plan)) < 0)
		return err;
	if (c->mode == CFG_MODE_ENFORCE)
		res->failed = enforce(k, &res->plan, in->max_changes, &res->deferred);
	if (res->deferred)
		return 0;
	lookup_fib(k, &res->plan);
	bridge_dev(in->kv, c->node_ip, res->bridge_dev);
	k->settings(k->ctx, res->bridge_dev, &res->sysctl);
	/* Routes may have changed by now: a firewall view we cannot afford is
	 * reported, not a reason to lose the rest. */
	res->fw_err = flows_evaluate(c, in->kv, &res->plan, in->remotes, in->rules, &res->fw,
				     &res->nfw, &res->fw_pool, &res->fw_trace);
	return 0;
}

void
rc_result_free(struct rc_result *res)
{
	if (!res)
		return;
	plan_free(&res->plan);
	free(res->fw);
	strpool_free(res->fw_pool);
	res->fw_pool = NULL;
	res->fw = NULL;
	res->nfw = 0;
}

void
rc_report(struct report *r, const struct rc_input *in, const struct rc_result *res)
{
	r->cfg = in->cfg;
	r->kv = in->kv;
	r->plan = &res->plan;
	r->remotes = in->remotes;
	r->nremotes = in->nremotes;
	r->has_sysctl = true;
	r->sysctl = res->sysctl;
	snprintf(r->bridge_dev, sizeof(r->bridge_dev), "%s", res->bridge_dev);
	r->fw = res->fw;
	r->nfw = res->nfw;
	diag_run(r);
}
