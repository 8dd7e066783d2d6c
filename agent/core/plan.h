/*
 * The planner: remote nodes + the kernel view -> one decision per remote pod
 * CIDR.  Pure: no I/O, so every rule of podreach(8)'s "Routes" section is a unit test.
 */
#ifndef PODREACH_PLAN_H
#define PODREACH_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netlink/kview.h"

enum plan_state {
	PLAN_OK,
	PLAN_MISSING,
	PLAN_WRONG_GW,
	PLAN_CONFLICT,
	PLAN_REJECTED,
	PLAN_INSTALLED,		/* enforce added it */
	PLAN_REPAIRED,		/* enforce replaced its own wrong route */
};

enum plan_why {
	WHY_NONE,
	WHY_DEFAULT,		/* 0.0.0.0/0 */
	WHY_NOT_ALLOWED,	/* outside every --allow-cidr */
	WHY_POD_OVERLAP,	/* overlaps a local pod CIDR or the cluster CIDR */
	WHY_IFACE_OVERLAP,	/* overlaps a local interface subnet or address */
	WHY_SERVICE_OVERLAP,	/* overlaps the local service CIDR */
	WHY_REMOTE_OVERLAP,	/* two remote nodes claim overlapping ranges */
	WHY_SELF,		/* the remote node IP is one of ours */
	WHY_NOT_ONLINK,		/* no local subnet holds the remote node IP */
	WHY_GW_SPECIAL,		/* the remote node IP is its subnet's network or broadcast */
};

enum plan_action { ACT_NONE, ACT_ADD, ACT_REPLACE };

struct plan_remote {
	uint32_t node_ip;
	const struct prefix4 *cidrs;
	size_t ncidrs;
	const char *cluster;	/* NULL when unknown (static --remote) */
	const char *node;	/* NULL when unknown */
	uint32_t prev_via;	/* the node's address before it moved; 0: none */
};

/* A destination whose Node (or cluster) went: its owned routes go. */
struct plan_withdrawn {
	struct prefix4 dst;
	const char *why;		/* "node N of cluster C" */
};

struct plan_input {
	const struct kview *kv;
	uint32_t node_ip;
	const struct prefix4 *pod_cidrs;
	size_t npod;
	const struct prefix4 *cluster_cidrs;
	size_t ncluster;
	const struct prefix4 *service_cidr;	/* NULL when none */
	bool service_assumed;	/* service_cidr is kind's default, --service-cidr not given */
	const struct prefix4 *allow;
	size_t nallow;
	const struct plan_remote *remotes;
	size_t nremotes;
	/* The route the kernel uses for exactly dst, when the caller has an
	 * index (the agent's view); NULL: a scan of kv->routes. */
	const struct route4 *(*find)(const void *ctx, const struct prefix4 *dst);
	const void *find_ctx;
	/* Owned routes that nothing stands behind: those of withdrawn
	 * destinations, and with prune (every source of remote nodes listed in
	 * this run and answering) every one whose destination no remote claims.
	 * A destination some remote claims is never stale, whatever the rails
	 * say of it. */
	const struct plan_withdrawn *withdrawn;
	size_t nwithdrawn;
	bool prune;
};

struct plan_route {
	size_t remote;			/* index into plan_input.remotes */
	struct prefix4 dst;
	uint32_t via;
	int oif;			/* where via is on-link; 0 when not */
	enum plan_state state;
	enum plan_why why;
	struct prefix4 clash;		/* what it overlaps (WHY_*_OVERLAP) */
	int clash_ifindex;		/* WHY_IFACE_OVERLAP */
	uint32_t clash_node;		/* WHY_REMOTE_OVERLAP: the other node */
	bool clash_assumed;		/* WHY_SERVICE_OVERLAP: with kind's default range */
	bool has_observed;		/* a route for dst is in the kernel */
	struct route4 observed;		/* the one the kernel uses for dst */
	bool owned;			/* observed carries PODREACH_RTPROT */
	enum plan_action action;	/* what enforce would do */
	int apply_err;			/* -errno from enforce, 0 */
	bool exists;			/* enforce's add met EEXIST: there already */
	bool moved;			/* our route via the node's previous address */
	bool has_fib;			/* filled by the caller: `ip route get` */
	int fib_err;
	struct route4 fib;
};

/* An owned route (main table) that enforce removes. */
struct plan_stale {
	struct route4 route;		/* as the kernel holds it */
	const char *why;		/* the withdrawal's reason; NULL: no remote claims it */
	bool removed;			/* enforce deleted it, or it was gone already */
	int apply_err;			/* -errno from enforce (-ESRCH: gone already), 0 */
};

struct plan {
	struct plan_route *routes;
	size_t n;
	struct plan_stale *stale;
	size_t nstale;
};

/* Fills out; returns 0 or -ENOMEM (out is then empty).  Free with plan_free. */
int plan_build(const struct plan_input *in, struct plan *out);
/* NULL-safe. */
void plan_free(struct plan *p);

/* The route enforce would write for pr (dst via oif, main table). */
struct route4 plan_route4(const struct plan_route *pr);

/* Stable names used in reports and JSON. */
const char *plan_state_name(enum plan_state s);

#endif
