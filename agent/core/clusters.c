#include "agent/core/cfg.h"
#include "agent/core/clusters.h"

size_t
clusters_static(const struct cfg *c, struct report_cluster *out, size_t max)
{
	if (!c->nremotes || !max)
		return 0;
	/* Nothing is watched: what --remote says is what there is. */
	*out = (struct report_cluster){ .source = "static", .state = "synced",
					.nodes = c->nremotes };
	return 1;
}

enum clusters_bound
clusters_take(struct clusters_budget *b, size_t n)
{
	if (n > CLUSTERS_NODE_CIDRS)
		return BOUND_NODE;
	if (b->cluster + n > CLUSTERS_ROUTES)
		return BOUND_CLUSTER;
	if (b->total + n > CLUSTERS_ROUTES_TOTAL)
		return BOUND_TOTAL;
	b->cluster += n;
	b->total += n;
	return BOUND_OK;
}

const char *
clusters_bound_name(enum clusters_bound why)
{
	static const char *const names[BOUND_COUNT] = {
		[BOUND_OK] = "within the bounds",
		[BOUND_NODE] = "more than " CLUSTERS_STR(CLUSTERS_NODE_CIDRS) " pod CIDRs per Node",
		[BOUND_CLUSTER] = "past " CLUSTERS_STR(CLUSTERS_ROUTES) " routes per cluster",
		[BOUND_TOTAL] = "past " CLUSTERS_STR(CLUSTERS_ROUTES_TOTAL) " routes of all clusters",
	};

	return (unsigned)why < BOUND_COUNT ? names[why] : "?";
}
