#ifndef PODREACH_CLAIMS_H
#define PODREACH_CLAIMS_H

#include <stddef.h>

struct agent;
struct agent_claims;
struct plan_remote;
struct report_cluster;
struct report_peer;

/* Every peer as the report shows it, refused ones with the reason; rp has
 * room for PEER_MAX.  Returns the count. */
size_t claims_report_peers(const struct agent *a, const struct agent_claims *ac,
			   struct report_peer *rp);
/* The planner's remote nodes (at most max): the claims the trust rules
 * route, service CIDRs with --route-services, Nodes from discovery, then
 * --remote.  Returns the count. */
size_t claims_remotes(struct agent *a, const struct agent_claims *ac, struct plan_remote *out,
		      size_t max);
/* clusters[] in peers discovery: one entry per cluster its peers name
 * (synced while one of them answers), then the --remote entry; at most max.
 * Returns the count. */
size_t claims_clusters(const struct agent *a, struct report_cluster *out, size_t max);

#endif
