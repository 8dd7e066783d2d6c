/*
 * Diagnosis: what is wrong, derived from the plan, the node settings, the
 * firewall verdicts, the peers and the probes (agent/core/report.h holds
 * the one list of problem codes; agent/core/render.c renders).
 */
#ifndef PODREACH_DIAG_H
#define PODREACH_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct report;

/* Derives r->problems from everything else in r (replacing what was there). */
void diag_run(struct report *r);
/* The problem a firewall verdict ("drop", "masquerade", ...) is for a flow:
 * PC_FIREWALL_DROP, PC_FIREWALL_MASQUERADE (a pod's flow only: the node's own
 * probe being masqueraded harms nobody), or -1 for none. */
int diag_fw_code(const char *verdict, bool from_node);
/* What the report knows about the path to ip — "the route to it is
 * missing", "ip user pass handle 4 drops it" — into buf; "" when nothing. */
void diag_probe_cause(const struct report *r, uint32_t ip, char *buf, size_t len);

#endif
