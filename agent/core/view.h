/*
 * The agent's incremental kernel view: a struct kview kept up to date from
 * rtnetlink notifications themselves, so that an event costs O(1) whatever
 * the size of the routing table, with routes indexed by destination.  A full
 * dump seeds it (at start, after lost notifications) and checks it
 * (view_diff at every --resync).
 *
 * What the kernel does without telling — routes flushed when a link goes
 * down or away, when an address goes, when a nexthop object is deleted; a
 * multipath route's dead hop — the view does not try to imitate: the caller
 * re-seeds it from a dump on those (rare) events.
 */
#ifndef PODREACH_VIEW_H
#define PODREACH_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netlink/kview.h"

struct view {
	struct kview *kv;	/* the view itself, in the caller's storage */
	size_t route_cap;
	uint32_t *head;		/* bucket -> first route index + 1 (0: empty) */
	uint32_t *next;		/* route index -> next index + 1 in its bucket */
	size_t nbuckets;	/* a power of two */
};

/* Frees what v held, then makes *kv the view: it takes over dump's arrays
 * (dump is left empty) and indexes them.  Returns 0, or -ENOMEM with v and
 * *kv empty.  v must be zeroed or seeded before. */
int view_seed(struct view *v, struct kview *kv, struct kview *dump);
/* Frees the index and what *v->kv holds; NULL-safe, idempotent. */
void view_free(struct view *v);

/* Applies a route notification (main table only).  replace: RTM_NEWROUTE
 * with NLM_F_REPLACE, which takes the place of the route with the same
 * destination and metric.  Returns 1 when the view changed, 0 when not,
 * -ENOMEM (the caller must reseed from a dump). */
int view_route(struct view *v, const struct route4 *r, bool deleted, bool replace);
/* Applies a link or address notification to the tables of links and
 * addresses (routes are the caller's concern, see above).  Returns 1 when
 * the view changed, 0 when not, -ENOMEM. */
int view_link(struct view *v, const struct link *l, bool deleted);
int view_addr(struct view *v, const struct addr4 *a, bool deleted);

/* The route the kernel uses for exactly dst (the lowest metric), or NULL. */
const struct route4 *view_find(const struct view *v, const struct prefix4 *dst);

/* How many links, addresses and routes differ between a and b (each in one
 * and not the other counts once).  Returns -ENOMEM when it cannot tell. */
long view_diff(const struct kview *a, const struct kview *b);

#endif
