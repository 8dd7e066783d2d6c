/*
 * A cluster as the report shows it (podreach(8)'s clusters[]): where its nodes come
 * from and whether that source answers.  Filled by the daemon's discovery;
 * read by the diagnosis (api-unreachable, api-forbidden) and the renderers.
 */
#ifndef PODREACH_CLUSTERS_H
#define PODREACH_CLUSTERS_H

#include <stdbool.h>
#include <stddef.h>

/* What one remote cluster may route (README, "Bounds").  A Kubernetes Node
 * has one IPv4 pod CIDR; a Node claiming more than CLUSTERS_NODE_CIDRS is
 * not routed at all.  A cluster gets at most CLUSTERS_ROUTES routes (twice
 * what 5,000 Nodes of one CIDR need) and all clusters together
 * CLUSTERS_ROUTES_TOTAL; Nodes past a bound are not routed, in the order the
 * API listed them, and the cluster's problem says how many. */
#define CLUSTERS_NODE_CIDRS 4
#define CLUSTERS_ROUTES 10000
#define CLUSTERS_ROUTES_TOTAL 65536
#define CLUSTERS_STR_(x) #x
#define CLUSTERS_STR(x) CLUSTERS_STR_(x)

enum clusters_bound { BOUND_OK, BOUND_NODE, BOUND_CLUSTER, BOUND_TOTAL, BOUND_COUNT };

/* Routes taken so far: of the cluster at hand (reset per cluster), of all. */
struct clusters_budget {
	size_t cluster, total;
};

struct report_cluster {
	char name[64];
	const char *source;	/* "kubernetes", "peers", "static" */
	char api[512];		/* the API server; "" for peers and static */
	const char *state;	/* "synced", "syncing", "unreachable", "forbidden", "invalid" */
	size_t nodes;
	char error[512];	/* "" when none */
	bool local;		/* this node's own cluster */
	char origin[320];	/* where its kubeconfig came from: a flag, a file, a Secret */
	char identity[256];	/* who the API sees */
	size_t unrouted[BOUND_COUNT];	/* Nodes not routed, by the bound they met */
	size_t unrouted_cidrs;		/* their pod CIDRs */
};

struct cfg;

/* The --remote nodes as one clusters[] entry (source "static", no name: the
 * flag does not say), into out when max allows and there are any.  Returns
 * 0 or 1. */
size_t clusters_static(const struct cfg *c, struct report_cluster *out, size_t max);

/* Whether a Node with n pod CIDRs is routed: BOUND_OK charges b; otherwise
 * the bound it meets, and b is unchanged. */
enum clusters_bound clusters_take(struct clusters_budget *b, size_t n);

/* "more than 4 pod CIDRs per Node", ...: why a Node is not routed. */
const char *clusters_bound_name(enum clusters_bound why);

#endif
