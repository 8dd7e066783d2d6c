#include <string.h>

#include "agent/core/plan.h"
#include "agent/core/remotes.h"

static bool
same_node(const struct node_claim *a, const struct node_claim *b)
{
	return !strcmp(a->cluster, b->cluster) && !strcmp(a->node, b->node);
}

bool
remotes_routable(const struct node_claim *c, size_t n, size_t i, const char *local)
{
	if (!strcmp(c[i].cluster, local))
		return false;	/* same cluster: routes are the CNI's job */
	for (size_t j = 0; j < n; j++)
		if (j != i && same_node(&c[j], &c[i]) && c[j].seen > c[i].seen)
			return false;
	return true;
}

bool
remotes_service_carrier(const struct node_claim *c, size_t n, size_t i, const char *local)
{
	const struct node_claim *p = &c[i];

	if (!p->service_cidr || !p->up || !strcmp(p->cluster, local))
		return false;
	for (size_t j = 0; j < n; j++) {
		const struct node_claim *q = &c[j];

		if (j != i && q->up && q->service_cidr && !strcmp(q->cluster, p->cluster) &&
		    q->node_ip < p->node_ip)
			return false;
	}
	return true;
}

size_t
remotes_build(const struct node_claim *c, size_t n, const char *local, bool route_services,
	      struct plan_remote *out, size_t max)
{
	size_t k = 0;

	for (size_t i = 0; i < n && k < max; i++)
		if (remotes_routable(c, n, i, local))
			out[k++] = (struct plan_remote){ .node_ip = c[i].node_ip,
				.cidrs = c[i].pod_cidrs, .ncidrs = c[i].npod,
				.cluster = c[i].cluster, .node = c[i].node };
	for (size_t i = 0; route_services && i < n && k < max; i++)
		if (remotes_service_carrier(c, n, i, local))
			out[k++] = (struct plan_remote){ .node_ip = c[i].node_ip,
				.cidrs = c[i].service_cidr, .ncidrs = 1,
				.cluster = c[i].cluster, .node = c[i].node };
	return k;
}
