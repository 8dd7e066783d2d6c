/*
 * Discovery from the Kubernetes API servers (--discovery kubernetes): the
 * local cluster's Nodes (cluster CIDR, this node's pod CIDR) and every
 * remote cluster's Nodes, each cluster through its own list+watch
 * (agent/io/kwatch.c); remote clusters from --remote-kubeconfig and from
 * Secrets labelled istio/multiCluster=true, followed at run time.  It keeps
 * one node table per cluster and turns them into the planner's remotes.
 */
#ifndef PODREACH_DISCOVERY_H
#define PODREACH_DISCOVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/core/cfg.h"

#define DISC_MAX_NODES 5000		/* per cluster; more is refused */
#define DISC_MAX_CLUSTERS 64

struct discovery;
struct ev_loop;
struct plan;
struct plan_remote;
struct plan_withdrawn;
struct report_cluster;

/* Reads --kubeconfig and --remote-kubeconfig files and starts the watches;
 * cfg's cluster CIDR and pod CIDRs are updated from the local Nodes as they
 * come.  changed(arg) is called (coalesced) after anything changed.  Returns
 * NULL with a message naming the option and file in err (exit 2). */
struct discovery *discovery_new(struct ev_loop *loop, struct cfg *cfg, void (*changed)(void *),
				void *arg, char err[static CFG_ERR_MAX]);
/* NULL-safe. */
void discovery_free(struct discovery *d);

/* The planner's remote nodes: every valid Node of every remote cluster (once
 * the local cluster is listed: its CIDRs guard the overlap checks), then the
 * static --remote ones.  Owned by d, valid until the next call. */
const struct plan_remote *discovery_remotes(struct discovery *d, size_t *n);

/* The destinations whose Node (or cluster, or Secret key) went and whose
 * owned routes may still be there, for rc_input.withdrawn: none until the
 * local cluster is listed.  Owned by d, valid until the next call. */
const struct plan_withdrawn *discovery_withdrawn(struct discovery *d, size_t *n);
/* After a reconcile over discovery_withdrawn(): forgets the withdrawals
 * whose routes p removed, or did not find, or saw claimed again; keeps the
 * ones the kernel refused (retried by the next reconcile) and, in report
 * mode, the ones still there. */
void discovery_withdrawn_done(struct discovery *d, const struct plan *p);

/* Every cluster, and the Secrets that name them, listed in this run and
 * answering now: an owned route no Node claims may then go (prune).  While
 * one is syncing, unreachable, forbidden or invalid: false. */
bool discovery_listed(const struct discovery *d);
/* Every watch has listed once or failed: a one-shot check has seen all it
 * will see. */
bool discovery_settled(const struct discovery *d);

/* One Node as its API server lists it: a read-only view into discovery's
 * tables, valid until the next event. */
struct disc_node {
	const char *cluster;
	const char *name;
	uint32_t ip;			/* its InternalIP */
	const struct prefix4 *cidrs;	/* spec.podCIDRs, as the API gives them */
	size_t ncidrs;
	bool local;			/* of this agent's own cluster */
};

/* Fills out (at most max) with every valid Node that has an InternalIP: the
 * local cluster's (with_local), then (once the local cluster is listed, as
 * for routes) every remote cluster's.  Returns the count. */
size_t discovery_nodes(const struct discovery *d, bool with_local, struct disc_node *out,
		       size_t max);

/* Fills out (at most max) with every cluster; returns the count. */
size_t discovery_clusters(const struct discovery *d, struct report_cluster *out, size_t max);

#endif
