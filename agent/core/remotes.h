/*
 * Which remote nodes get routes: a pure decision over what each source
 * (a peer's answer, a Node from an API server) says about one node.
 *
 * The trust rules of peers mode (README, "Trust model (peers mode)") live
 * here and only here: a claim routes only what its claimant provably is.
 * Claims are judged in the order they were first made (oldest first), so
 * an established claim always beats a newcomer: a node identity held by an
 * address that keeps answering cannot be taken by another address, and a
 * newcomer's range that overlaps an established one is refused, never the
 * established one.
 */
#ifndef PODREACH_REMOTES_H
#define PODREACH_REMOTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/core/cidr.h"

/* A node's share of a cluster's pod range: kube-controller-manager hands
 * each node a /24 by default (--node-cidr-mask-size); a /16 is already a
 * whole kind podSubnet.  Anything broader is not one node's. */
#define REMOTES_MAX_POD_PREFIX 16
/* kube-apiserver refuses service ranges of more than 20 bits (IPv4). */
#define REMOTES_MAX_SVC_PREFIX 12

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
	/* The address the answer came from (an HTTP peer), or 0 for a source
	 * that needs no proof of address (a Kubernetes API server). */
	uint32_t addr;
	/* When this source began claiming this node (cluster/node), without
	 * interruption; the older claim wins.  Ties go to the lower index. */
	double since;
};

enum remotes_verdict {
	RV_ROUTE,		/* routed */
	RV_LOCAL,		/* a node of the local cluster: the CNI routes it */
	RV_NOT_SELF,		/* node_ip is not the address that answered */
	RV_TOO_BROAD,		/* a range broader than one node's share */
	RV_CONFLICT,		/* the node identity is held by an older claim */
	RV_OVERLAP,		/* a range overlaps an older claim's */
};

struct remotes_judgement {
	enum remotes_verdict v;
	size_t other;		/* RV_CONFLICT, RV_OVERLAP: the older claim */
	struct prefix4 cidr;	/* RV_TOO_BROAD, RV_OVERLAP: the offending range */
};

/* Judges every claim (pure): out[i] is claim i's verdict.  Claims of the
 * local cluster are RV_LOCAL and hold nothing. */
void remotes_judge(const struct node_claim *c, size_t n, const char *local,
		   struct remotes_judgement *out);

/* Whether claim i is routed (remotes_judge's RV_ROUTE); O(n^2). */
bool remotes_routable(const struct node_claim *c, size_t n, size_t i, const char *local);

/* Whether claim i carries its cluster's service CIDR: among the routed
 * claims of that cluster that are up and publish one, the lowest node IP,
 * so every node of the local cluster picks the same.  j is remotes_judge's. */
bool remotes_service_carrier(const struct node_claim *c, size_t n, size_t i,
			     const struct remotes_judgement *j);

/* Writes into out (at most max) the pod CIDRs of every routed claim, then,
 * with route_services, each remote cluster's service CIDR via its carrier.
 * The remotes borrow the claims' strings and CIDRs.  Returns the count, 0
 * when out of memory. */
size_t remotes_build(const struct node_claim *c, size_t n, const char *local, bool route_services,
		     struct plan_remote *out, size_t max);

/* Addresses no peer may make us contact or probe: 0/8, loopback,
 * link-local, multicast and above. */
bool remotes_special_ip(uint32_t ip);

/* Whether a routed claim c may have ip probed: its own node IP, or an
 * address inside one of its pod CIDRs that lies inside allow; never a
 * special address nor one inside deny (the local cluster's ranges). */
bool remotes_probe_ok(const struct node_claim *c, uint32_t ip, const struct prefix4 *allow,
		      size_t nallow, const struct prefix4 *deny, size_t ndeny);

/* A TCP probe target. */
struct remotes_target {
	uint32_t ip;
	uint16_t port;
};

/* What a node's own agent says about it (its /v1/node): unverified, so it
 * only names candidates inside what the record of the node allows. */
struct remotes_said {
	const uint32_t *pod_ips;
	size_t npod_ips;
	const struct remotes_target *addrs;	/* its probe_addrs */
	size_t naddrs;
};

/* What is probed and where probes may never go. */
struct remotes_probe_rules {
	const uint16_t *ports;		/* --probe-port: on each pod IP */
	size_t nports;
	uint16_t agent_port;		/* the agents' port: on the node IP */
	const struct prefix4 *allow;
	size_t nallow;
	const struct prefix4 *deny;	/* the local cluster's ranges */
	size_t ndeny;
};

/* The probe targets of one node whose record (c: its node IP and pod CIDRs
 * from an API server) is trusted: its node IP on the agent port, then, from
 * what its agent says (said may be NULL), each pod IP on each port and each
 * probe address.  A pod IP outside c's pod CIDRs is refused, a probe address
 * that is neither the node IP nor inside them too, and everything passes
 * remotes_probe_ok.  Writes at most max (duplicates once); returns the
 * count, and the refused ones in *refused when not NULL. */
size_t remotes_node_targets(const struct node_claim *c, const struct remotes_said *said,
			    const struct remotes_probe_rules *r, struct remotes_target *out,
			    size_t max, size_t *refused);

#endif
