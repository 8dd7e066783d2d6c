/*
 * The agent's kernel view kept in sync (agent/core/view.c does the data):
 * each rtnetlink notification applied as it is read, a reconcile scheduled
 * when it touches what podreach cares about, and a full dump to re-seed the
 * view after lost notifications or a flush the kernel did not announce, and
 * to check it at every --resync.
 */
#include <net/if.h>
#include <stdlib.h>

#include "agent/core/view.h"
#include "agent/daemon/agent.h"
#include "agent/daemon/ksync.h"
#include "agent/io/ev.h"
#include "agent/io/log.h"
#include "netlink/route.h"
#include "netlink/watch.h"

enum check_outcome { CHECK_RESEED, CHECK_KEEP, CHECK_REDUMP };

/* The spans of the current plan; false when they cannot be had. */
static bool
plan_spans(struct agent *a)
{
	const struct plan *p = &a->res.plan;
	struct prefix4 *v;
	struct cidr_span *s;

	if (a->spans_gen == a->m.reconciles + 1)
		return true;
	v = malloc((p->n ? p->n : 1) * sizeof(*v));
	s = malloc((p->n ? p->n : 1) * sizeof(*s));
	if (!v || !s) {
		free(v);
		free(s);
		return false;
	}
	for (size_t i = 0; i < p->n; i++)
		v[i] = p->routes[i].dst;
	free(a->spans);
	a->spans = s;
	a->nspans = cidr_spans(v, p->n, s);
	a->spans_gen = a->m.reconciles + 1;
	free(v);
	return true;
}

static bool
route_relevant(struct agent *a, const struct route4 *r)
{
	if (r->protocol == PODREACH_RTPROT)
		return true;
	if (plan_spans(a))
		return cidr_spans_overlap(a->spans, a->nspans, &r->dst);
	for (size_t i = 0; i < a->res.plan.n; i++)	/* out of memory: the walk */
		if (cidr_overlaps(&a->res.plan.routes[i].dst, &r->dst))
			return true;
	return false;
}

/* A notification after which the kernel may have removed routes without a
 * word (a link down or gone, an address gone, a nexthop object changed):
 * the view is re-seeded from a dump.  Rare next to route and pod churn. */
static bool
flushes_silently(const struct agent *a, const struct watch_event *ev)
{
	if (ev->kind == WATCH_NEXTHOP)
		return true;
	if (ev->kind == WATCH_ADDR)
		return ev->deleted;
	if (ev->kind != WATCH_LINK)
		return false;
	if (ev->deleted)
		return true;
	for (size_t i = 0; i < a->kv.nlinks; i++)	/* up -> down */
		if (a->kv.links[i].index == ev->link.index)
			return (a->kv.links[i].flags & IFF_UP) && !(ev->link.flags & IFF_UP);
	return false;
}

/* Applies one notification to the view at once (O(1) whatever the table's
 * size), then reconciles if it touches what podreach cares about. */
static void
apply_event(struct agent *a, const struct watch_event *ev)
{
	int changed = 0;

	if (ev->kind == WATCH_RESYNC || !a->view.kv || flushes_silently(a, ev)) {
		a->lost |= ev->kind == WATCH_RESYNC;
		a->m.resyncs += ev->kind == WATCH_RESYNC;
		a->need_dump = true;
		agent_schedule(a, ev->kind == WATCH_RESYNC ? "lost notifications" : "kernel flush");
		if (ev->kind != WATCH_LINK && ev->kind != WATCH_ADDR)
			return;
	}
	switch (ev->kind) {
	case WATCH_ROUTE:
		changed = view_route(&a->view, &ev->route, ev->deleted, ev->replace);
		if (changed > 0 && route_relevant(a, &ev->route)) {
			if (ev->deleted && ev->route.protocol == PODREACH_RTPROT)
				a->deleted_at = ev_now();
			agent_schedule(a, "route change");
		}
		break;
	case WATCH_LINK:
		changed = a->view.kv ? view_link(&a->view, &ev->link, ev->deleted) : 0;
		break;
	case WATCH_ADDR:
		changed = a->view.kv ? view_addr(&a->view, &ev->addr, ev->deleted) : 0;
		break;
	default:
		break;
	}
	if (changed < 0) {
		a->need_dump = true;	/* out of memory: start over from a dump */
		agent_schedule(a, "view out of memory");
	} else if (changed && ev->kind != WATCH_ROUTE)
		agent_schedule(a, "link or address change");
}

static void
on_watch_event(const struct watch_event *ev, void *arg)
{
	struct agent *a = arg;

	a->m.events++;
	apply_event(a, ev);
}

void
ksync_on_watch(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct agent *a = arg;
	int n = watch_read(a->watch, on_watch_event, a);

	if (n < 0)
		log_errc(n, "reading rtnetlink notifications");
}

const struct route4 *
ksync_find(const void *ctx, const struct prefix4 *dst)
{
	return view_find(ctx, dst);
}

/* Applies every queued notification, at most 1,024 reads of up to 64
 * messages: the notifications of a burst of 65,536 route changes (the
 * planner's bound) fit.  Returns how many there were. */
int
ksync_drain(struct agent *a)
{
	int n, total = 0;

	for (int i = 0; i < 1024 && (n = watch_read(a->watch, on_watch_event, a)) > 0; i++)
		total += n;
	return total;
}

/* --resync: the view (caught up with every queued notification) against a
 * dump after which no notification came, so that a difference is the
 * view's, not a race; counted in podreach_view_divergences_total.
 * CHECK_RESEED: compared, fresh replaces the view.  CHECK_KEEP: changes came
 * during the dump; the view has them applied and is current, fresh is not.
 * CHECK_REDUMP: what came says the view is no longer trusted (a silent
 * flush, lost notifications) and fresh may predate it: dump again. */
static enum check_outcome
self_check(struct agent *a, const struct kview *fresh)
{
	long d;

	if (ksync_drain(a) > 0) {
		if (a->need_dump || a->lost)
			return CHECK_REDUMP;
		a->m.view_checks_skipped++;	/* busy: compared next time */
		return CHECK_KEEP;
	}
	a->m.view_checks++;
	if ((d = view_diff(&a->kv, fresh)) != 0) {
		a->m.divergences += d > 0 ? (uint64_t)d : 0;
		log_warnx("the incremental view differed from the kernel in %ld entries: replaced", d);
	}
	return CHECK_RESEED;
}

/* Re-seeds the view from a full dump: at start, after lost notifications
 * (what was queued then is dropped: the dump says it all), after a silent
 * kernel flush, and at --resync after comparing.  Notifications queued
 * after the dump are applied on top as usual: each says the last state of
 * its route, so the view converges. */
int
ksync_redump(struct agent *a)
{
	struct kview fresh = { 0 };
	bool check = a->self_check && a->watch;
	enum check_outcome o = CHECK_RESEED;
	int err;

	a->self_check = false;
	if (check)
		ksync_drain(a);
	for (int attempt = 0; attempt < 3; attempt++) {
		if (a->lost && a->watch)
			watch_discard(a->watch);
		a->lost = false;
		a->need_dump = false;
		kview_free(&fresh);
		if ((err = route_dump(a->rs, &fresh)) < 0) {
			a->need_dump = true;
			return err;
		}
		if (!check || (o = self_check(a, &fresh)) != CHECK_REDUMP)
			break;
		check = false;	/* the view is not trusted: no comparison */
	}
	if (o == CHECK_KEEP) {
		kview_free(&fresh);
		return 0;
	}
	if ((err = view_seed(&a->view, &a->kv, &fresh)) < 0) {
		a->need_dump = true;
		return err;
	}
	return 0;
}
