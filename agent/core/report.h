/*
 * The report: problems derived from the plan, the node settings, the
 * firewall and the probes; rendered as text for a person and as SPEC's JSON.
 * Rendering is pure, so golden files pin both formats.
 */
#ifndef PODREACH_REPORT_H
#define PODREACH_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "agent/core/cfg.h"
#include "agent/core/diag.h"
#include "agent/core/sysctl.h"
#include "agent/core/plan.h"


struct problem {
	enum problem_code code;
	enum severity sev;
	int route;		/* index into the plan, or -1 */
	char message[384];
	char fix[384];
};

struct report_fw {
	char src[CIDR_STRLEN];
	char dst[CIDR_STRLEN];
	uint16_t dport;		/* the probe port of the flow */
	char hook[16];
	char verdict[16];
	char table[272];	/* "family name" */
	char chain[256];
	uint64_t handle;	/* 0: the chain policy */
	char rule[512];
	char reason[160];	/* verdict unknown: what was not understood */
	bool from_node;		/* the node's own probe, not a pod's packet */
};

struct report_probe {
	char target[300];
	char kind[8];		/* tcp, http */
	char result[16];
	double rtt_ms;
	char detail[160];
	uint32_t ip;		/* the target's address (host order) */
};

/* A peer agent as the report shows it (agent only; check lists --remote). */
struct report_peer {
	char address[24];
	const char *cluster;	/* NULL until it answered */
	const char *node;
	uint32_t node_ip;
	const struct prefix4 *cidrs;
	size_t ncidrs;
	const char *state;	/* pending, up, unreachable, invalid */
	const char *error;	/* "" when none */
};

#define REPORT_MAX_PROBLEMS 512

struct report {
	const char *version;
	const struct cfg *cfg;		/* cluster, node, node IP, pod CIDRs, mode */
	const struct kview *kv;		/* interface names */
	const struct plan *plan;
	const struct plan_remote *remotes;
	size_t nremotes;
	bool has_sysctl;
	struct node_sysctl sysctl;
	char bridge_dev[IF_NAMESIZE + 8];	/* the interface that holds the node IP */
	const struct report_fw *fw;
	size_t nfw;
	const struct report_probe *probes;
	size_t nprobes;
	const struct report_peer *peers;	/* agent: replaces the static list */
	size_t npeers;
	struct problem problems[REPORT_MAX_PROBLEMS];
	size_t nproblems;
};



/* Writes the text report. */
void report_text(const struct report *r, FILE *out);

/* Returns the JSON report as a malloc'd string, or NULL with errno set. */
char *report_json(const struct report *r);

/* Formats a route the way `ip route` prints it. */
void report_fmt_route(const struct kview *kv, const struct route4 *rt, char *buf, size_t len);

#endif
