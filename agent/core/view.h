/*
 * The agent's incremental kernel view: a struct kview kept up to date from
 * rtnetlink notifications themselves, so that an event costs O(1) whatever
 * the size of the routing table, with routes indexed by destination.  A full
 * dump seeds it (at start, after lost notifications) and checks it
 * (view_diff at every --resync).
 *
 * What the kernel does without telling: when a link is deleted or set down,
 * IPv4 flushes the routes through it with no RTM_DELROUTE; when an address
 * goes, the routes using it as preferred source go too.  view_link and
 * view_addr do the same to the view.
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
/* Applies a link notification; a link deleted or down takes its routes. */
int view_link(struct view *v, const struct link *l, bool deleted);
/* Applies an address notification; an address gone takes the routes that
 * use it as their preferred source. */
int view_addr(struct view *v, const struct addr4 *a, bool deleted);

/* The route the kernel uses for exactly dst (the lowest metric), or NULL. */
const struct route4 *view_find(const struct view *v, const struct prefix4 *dst);

/* How many links, addresses and routes differ between a and b (each in one
 * and not the other counts once).  Returns -ENOMEM when it cannot tell. */
long view_diff(const struct kview *a, const struct kview *b);

#endif
