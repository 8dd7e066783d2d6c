/*
 * What the peers say about their nodes, judged by the trust rules of
 * agent/core/remotes.c: the report's peer list (with why a claim was
 * refused) and the planner's remote nodes.
 */
#include <stdio.h>
#include <string.h>

#include "agent/core/cfg.h"
#include "agent/core/plan.h"
#include "agent/core/remotes.h"
#include "agent/daemon/agent.h"
#include "agent/core/clusters.h"
#include "agent/daemon/claims.h"
#include "agent/daemon/discovery.h"
#include "agent/daemon/peer.h"

/* What each peer with a valid answer says about its node, for the pure
 * decisions of agent/core/remotes.c; ac->peer[k] is the peer behind c[k]. */
void
agent_judge(const struct agent *a, struct agent_claims *ac)
{
	ac->n = 0;
	for (size_t i = 0; i < peers_count(a->peers) && ac->n < PEER_MAX; i++) {
		const struct peer *p = peers_get(a->peers, i);

		if (!p->has_info)
			continue;
		ac->peer[ac->n] = i;
		ac->c[ac->n++] = (struct node_claim){ .cluster = p->info.cluster,
			.node = p->info.node, .node_ip = p->info.node_ip,
			.pod_cidrs = p->info.pod_cidrs.v, .npod = p->info.pod_cidrs.n,
			.service_cidr = p->info.has_service_cidr ? &p->info.service_cidr : NULL,
			.up = p->state == PEER_UP, .seen = p->last_ok, .addr = p->ip,
			.since = p->since };
	}
	remotes_judge(ac->c, ac->n, a->cfg->cluster, ac->j);
}

/* Why claim k was refused, into rp (state "refused"); nothing for a claim
 * that routes, a local one, or one whose peer does not answer now (its
 * state says so already). */
static void
refusal(const struct agent *a, const struct agent_claims *ac, size_t k, struct report_peer *rp)
{
	const struct node_claim *c = &ac->c[k];
	const struct remotes_judgement *j = &ac->j[k];
	const char *other = j->v == RV_CONFLICT || j->v == RV_OVERLAP ?
		peers_get(a->peers, ac->peer[j->other])->address : "";
	char b1[CIDR_STRLEN], b2[CIDR_STRLEN];
	size_t len = sizeof(rp->refused);

	if (!c->up || j->v == RV_ROUTE || j->v == RV_LOCAL)
		return;
	rp->state = "refused";
	rp->error = rp->refused;
	if (j->v == RV_NOT_SELF) {
		rp->refused_code = PC_PEER_INVALID;
		snprintf(rp->refused, len, "peer %s says its node IP is %s, not the address that "
			 "answered: nothing it says is routed", rp->address, cidr_fmt_ip(c->node_ip, b1));
	} else if (j->v == RV_TOO_BROAD) {
		rp->refused_code = PC_CIDR_REJECTED;
		snprintf(rp->refused, len, "peer %s (%s/%s) claims %s, broader than one node's share "
			 "(pod CIDRs /%d at most, the service CIDR /%d): nothing it says is routed",
			 rp->address, c->cluster, c->node, cidr_fmt(&j->cidr, b1),
			 REMOTES_MAX_POD_PREFIX, REMOTES_MAX_SVC_PREFIX);
	} else if (j->v == RV_CONFLICT) {
		rp->refused_code = PC_PEER_CONFLICT;
		snprintf(rp->refused, len, "peer %s claims to be %s/%s, which peer %s answers for "
			 "since earlier: nothing moved, %s is not routed", rp->address, c->cluster,
			 c->node, other, rp->address);
	} else {
		const struct node_claim *o = &ac->c[j->other];

		rp->refused_code = PC_POD_CIDR_OVERLAP;
		snprintf(rp->refused, len, "peer %s (%s/%s) claims %s, which overlaps a range of "
			 "peer %s (%s/%s, %s), established earlier: %s is not routed", rp->address,
			 c->cluster, c->node, cidr_fmt(&j->cidr, b1), other, o->cluster, o->node,
			 o->npod ? cidr_fmt(&o->pod_cidrs[0], b2) : "-", rp->address);
	}
}

/* Every peer as the report shows it: a refused claim says why and who holds
 * what it claimed (diag turns it into peer-conflict, pod-cidr-overlap or
 * cidr-rejected). */
size_t
claims_report_peers(const struct agent *a, const struct agent_claims *ac, struct report_peer *rp)
{
	size_t n = 0;

	for (size_t i = 0; i < peers_count(a->peers); i++) {
		const struct peer *p = peers_get(a->peers, i);

		rp[n] = (struct report_peer){ .cluster = p->has_info ? p->info.cluster : NULL,
			.node = p->has_info ? p->info.node : NULL,
			.node_ip = p->has_info ? p->info.node_ip : 0,
			.cidrs = p->info.pod_cidrs.v, .ncidrs = p->has_info ? p->info.pod_cidrs.n : 0,
			.state = peers_state_name(p->state), .error = p->error };
		snprintf(rp[n++].address, sizeof(rp[0].address), "%s", p->address);
	}
	for (size_t k = 0; k < ac->n; k++)
		refusal(a, ac, k, &rp[ac->peer[k]]);
	return n;
}

/* Remote nodes: the claims of peers of other clusters that the trust rules
 * route (up, or unreachable with a last valid answer not yet dropped: their
 * routes stay), their service CIDRs with --route-services, then the static
 * --remote list. */
size_t
claims_remotes(struct agent *a, const struct agent_claims *ac, struct plan_remote *out,
		size_t max)
{
	const struct cfg *c = a->cfg;
	size_t n = remotes_build(ac->c, ac->n, c->cluster, c->route_services, out,
				 max - CFG_MAX_REMOTES);

	for (size_t i = 0; i < c->nremotes; i++)
		out[n++] = (struct plan_remote){ .node_ip = c->remotes[i].node_ip,
			.cidrs = c->remotes[i].cidrs.v, .ncidrs = c->remotes[i].cidrs.n };
	return n;
}

size_t
claims_clusters(const struct agent *a, struct report_cluster *out, size_t max)
{
	size_t n = 0, k;

	for (size_t i = 0; i < peers_count(a->peers); i++) {
		const struct peer *p = peers_get(a->peers, i);

		if (!p->has_info)
			continue;
		for (k = 0; k < n && strcmp(out[k].name, p->info.cluster); k++)
			;
		if (k == n) {
			if (n == max)
				continue;
			out[n++] = (struct report_cluster){ .source = "peers", .state = "unreachable",
				.local = !strcmp(p->info.cluster, a->cfg->cluster) };
			snprintf(out[k].name, sizeof(out[k].name), "%s", p->info.cluster);
		}
		out[k].nodes++;
		if (p->state == PEER_UP)
			out[k].state = "synced";
		else if (!out[k].error[0])
			snprintf(out[k].error, sizeof(out[k].error), "peer %s: %s", p->address, p->error);
	}
	for (k = 0; k < n; k++)
		if (!strcmp(out[k].state, "synced"))
			out[k].error[0] = '\0';
	return n + clusters_static(a->cfg, out + n, max - n);
}
