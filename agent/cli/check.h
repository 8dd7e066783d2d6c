#ifndef PODREACH_CHECK_H
#define PODREACH_CHECK_H

#include <stddef.h>
#include <stdint.h>

/* Exit statuses of SPEC. */
enum { EXIT_OK = 0, EXIT_PROBLEM = 1, EXIT_USAGE = 2, EXIT_RUNTIME = 3 };

/* `podreach check`: gather, evaluate (and in enforce mode fix) once, print
 * the report.  argv[0] is the command word.  Returns the exit status. */
int check_main(int argc, char *argv[]);


/* Shared with the agent: the pieces of one reconcile. */
struct cfg;
struct kview;
struct probe_opts;
struct report_fw;
struct plan;
struct report;
struct route_sock;

/* The source address of the default route (0 when there is none). */
uint32_t check_default_source(struct route_sock *rs, const struct kview *kv);
/* `ip route get` for a representative address of each CIDR not routed right. */
void check_lookup_fib(struct route_sock *rs, struct plan *p);
/* Adds what is missing, replaces our own wrong routes; returns the failures. */
int check_enforce(struct route_sock *rs, struct plan *p, const struct kview *kv);
/* Reads forwarding, rp_filter and iptables-legacy into r. */
void check_node_settings(struct report *r, const struct kview *kv, uint32_t node_ip);
/* Probe options for this node: --timeout, and the source the answers must
 * come back to over the pods' path: the node's own address in its pod CIDR
 * (the ptp gateway .1) when it has one, else the node IP. */
struct probe_opts check_probe_source(const struct cfg *c, const struct kview *kv);

/* Evaluates in ruleset rs, for every remote CIDR not rejected, a pod's
 * forwarded flow and the node's own probe on each probe port.  *out is
 * malloc'd (the caller frees it).  Returns 0 or -ENOMEM. */
struct nft_ruleset;
int check_firewall(const struct cfg *c, const struct kview *kv, const struct plan *p,
		   const struct nft_ruleset *rs, struct report_fw **out, size_t *nout);

#endif
