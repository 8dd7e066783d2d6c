/*
 * Which flows the firewall is asked about, and from where probes leave:
 * pure functions of the options, the kernel view and the plan.
 */
#ifndef PODREACH_FLOWS_H
#define PODREACH_FLOWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cfg;
struct fw_trace;
struct kview;
struct nft_ruleset;
struct plan;
struct plan_remote;
struct report_fw;
struct strpool;

/* At most this many probe ports get flows of their own. */
#define FLOWS_MAX_PORTS 4

/* The address probes leave from: the node's own address inside its pod
 * CIDR (the ptp gateway .1), so that answers must come back over the other
 * cluster's route to our pods, the path pods use; else the node IP when it
 * is local; else 0.  *is_pod says which. */
uint32_t flows_probe_source(const struct cfg *c, const struct kview *kv, bool *is_pod);

/* A pod of ours as a flow's source: a real one (kindnet gives each a /32
 * host route on its veth, *iif) or, without pods, the pod CIDR's second
 * address (*iif 0).  c must have a pod CIDR. */
uint32_t flows_local_pod(const struct cfg *c, const struct kview *kv, int *iif);

/* Evaluates in rs, for every remote CIDR of p not rejected and on link, on
 * each probe port (at most FLOWS_MAX_PORTS): a pod's forwarded flow and the
 * node's own probe out; and in, from its pods and from its node IP (what
 * masquerade leaves), to a pod here and to the node.  Inbound flows every
 * hook accepts are kept for the first node of each cluster of rm (p's
 * remotes) only.  *out is malloc'd, its strings live in *pool; the caller
 * frees both (NULL when there is nothing to evaluate).  The chains and
 * sets read are noted in *trace (reset first; may be NULL).  Returns 0 or
 * -ENOMEM (nothing then to free). */
int flows_evaluate(const struct cfg *c, const struct kview *kv, const struct plan *p,
		   const struct plan_remote *rm, const struct nft_ruleset *rs,
		   struct report_fw **out, size_t *nout, struct strpool **pool,
		   struct fw_trace *trace);

#endif
