/*
 * Which remote nodes get routes: a pure decision over what each source
 * (a peer's answer, a Node from an API server) says about one node.
 */
#ifndef PODREACH_REMOTES_H
#define PODREACH_REMOTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/core/cidr.h"

struct plan_remote;

/* One node as a source describes it. */
struct node_claim {
	const char *cluster;
	const char *node;
	uint32_t node_ip;
	const struct prefix4 *pod_cidrs;
	size_t npod;
	const struct prefix4 *service_cidr;	/* NULL when none */
	bool up;			/* its source answers now */
	double seen;			/* when it was last confirmed; larger is newer */
};

/* Whether claim i is a node of another cluster than local that no newer
 * claim for the same cluster/node supersedes (a node whose IP changed). */
bool remotes_routable(const struct node_claim *c, size_t n, size_t i, const char *local);

/* Whether claim i carries its cluster's service CIDR: among the claims of
 * that cluster that are up and publish one, the lowest node IP, so every
 * node of the local cluster picks the same. */
bool remotes_service_carrier(const struct node_claim *c, size_t n, size_t i, const char *local);

/* Writes into out (at most max) the pod CIDRs of every routable claim, then,
 * with route_services, each remote cluster's service CIDR via its carrier.
 * The remotes borrow the claims' strings and CIDRs.  Returns the count. */
size_t remotes_build(const struct node_claim *c, size_t n, const char *local, bool route_services,
		     struct plan_remote *out, size_t max);

#endif
