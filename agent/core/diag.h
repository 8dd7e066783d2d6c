/*
 * Diagnosis: what is wrong, derived from the plan, the node settings, the
 * firewall verdicts, the peers and the probes.  The list of problem codes
 * lives here and only here; rendering (text, JSON, metrics) is elsewhere.
 */
#ifndef PODREACH_DIAG_H
#define PODREACH_DIAG_H

#include <stdbool.h>
#include <stddef.h>

struct report;

/* SPEC's stable problem codes, in the order /metrics lists them. */
enum problem_code {
	PC_ROUTE_MISSING,
	PC_ROUTE_WRONG_GATEWAY,
	PC_ROUTE_CONFLICT,
	PC_POD_CIDR_OVERLAP,
	PC_CIDR_REJECTED,
	PC_PEER_NOT_ON_LINK,
	PC_PEER_UNREACHABLE,
	PC_PEER_INVALID,
	PC_FIREWALL_DROP,
	PC_FIREWALL_MASQUERADE,
	PC_IP_FORWARD_DISABLED,
	PC_RP_FILTER_STRICT,
	PC_IPTABLES_LEGACY_RULES,
	PC_PROBE_FAILED,
	PC_API_UNREACHABLE,
	PC_API_FORBIDDEN,
	PC_PEER_CONFLICT,
	PC_COUNT
};

enum severity { SEV_ERROR, SEV_WARNING, SEV_INFO };

/* "route-missing", ...; never NULL. */
const char *diag_code_name(enum problem_code c);
/* "error", "warning", "info". */
const char *diag_sev_name(enum severity s);

/* Derives r->problems from everything else in r (replacing what was there). */
void diag_run(struct report *r);
/* The problem a firewall verdict ("drop", "masquerade", ...) is for a flow:
 * PC_FIREWALL_DROP, PC_FIREWALL_MASQUERADE (a pod's flow only: the node's own
 * probe being masqueraded harms nobody), or -1 for none. */
int diag_fw_code(const char *verdict, bool from_node);
/* The number of problems of severity sev in r. */
size_t diag_count(const struct report *r, enum severity sev);

#endif
