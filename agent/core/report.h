/*
 * The report: what one reconcile found — the plan, the node settings, the
 * firewall verdicts, peers, probes — and the problems diagnosed from it
 * (agent/core/diag.c), rendered by agent/core/render.c.
 */
#ifndef PODREACH_REPORT_H
#define PODREACH_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "agent/core/cfg.h"
#include "agent/core/clusters.h"
#include "agent/core/sysctl.h"
#include "agent/core/plan.h"

/* podreach(8)'s stable problem codes, in the order /metrics lists them. */
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
	PC_NO_PROBE_TARGETS,
	PC_MTU_MISMATCH,
	PC_ROUTE_STALE,
	PC_COUNT
};

enum severity { SEV_ERROR, SEV_WARNING, SEV_INFO };

/* "route-missing", ...; never NULL. */
const char *diag_code_name(enum problem_code c);
/* "error", "warning", "info". */
const char *diag_sev_name(enum severity s);

struct problem {
	enum problem_code code;
	enum severity sev;
	int route;		/* index into the plan, or -1 */
	char message[384];
	char fix[512];		/* a command naming a table, chain and node */
};

struct report_fw {
	char src[CIDR_STRLEN];
	char dst[CIDR_STRLEN];
	uint16_t dport;		/* the probe port of the flow */
	char hook[16];
	char verdict[16];
	/* Interned (agent/core/strpool.h): thousands of flows share a few. */
	const char *table;	/* "family name"; "" when no chain ran */
	const char *chain;
	uint64_t handle;	/* 0: the chain policy */
	const char *rule;
	const char *reason;	/* verdict unknown: what was not understood */
	bool from_node;		/* the node's own probe, not a pod's packet */
	bool inbound;		/* arriving from a remote node, to our pods or us */
	uint32_t from_ip;	/* inbound: that remote node's IP */
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
	const char *state;	/* pending, up, unreachable, invalid, refused */
	const char *error;	/* "" when none */
	/* state "refused": the trust rules refused its claim; the problem and why. */
	enum problem_code refused_code;
	char refused[280];
};

/* A DF probe of the path to one remote node (agent/io/mtuprobe.h): a small
 * datagram and one of the pod MTU. */
struct report_mtu {
	uint32_t node_ip;
	uint16_t size;		/* the pod MTU probed */
	const char *small;	/* "arrived", "too-big", "lost", "error" */
	const char *big;
};

#define REPORT_MAX_PROBLEMS 512
#define REPORT_MAX_BACK 64

/* What rp_filter drops here of what one remote node sends (its pods or its
 * node IP): the receiver's cause of that node's failing probes. */
struct report_back {
	uint32_t from_ip;	/* the remote node's IP */
	struct prefix4 src;	/* its pod CIDR, or its IP as a /32 */
	char cause[120];	/* "strict rp_filter on eth0 drops it (...)" */
};
#define REPORT_MAX_DROPS 64

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
	/* agent: the last probe round found nothing to probe (no-probe-targets),
	 * having looked at probe_nodes remote nodes */
	bool no_probe_targets;
	size_t probe_nodes;
	const struct report_mtu *mtu;	/* agent: the last DF probe round */
	size_t nmtu;
	const struct report_peer *peers;	/* agent: replaces the static list */
	size_t npeers;
	const struct report_cluster *clusters;	/* where nodes come from */
	size_t nclusters;
	/* `podreach check`: one look, so a source that did not answer left its
	 * nodes unchecked (an error), and no remote node at all is an error. */
	bool once;
	struct problem problems[REPORT_MAX_PROBLEMS];
	size_t nproblems;
	/* diag_run: the outbound flows the firewall drops (index into fw, their
	 * destination), so that a probe's cause is not a walk of every flow
	 * (75,000 with 5,000 remote nodes) per failed probe; all of them unless
	 * drops_many. */
	bool drops_indexed, drops_many;
	size_t ndrops;
	size_t drop_fw[REPORT_MAX_DROPS];
	struct prefix4 drop_dst[REPORT_MAX_DROPS];
	struct report_back back[REPORT_MAX_BACK];	/* diag_run fills it */
	size_t nback;
};

/* "route-missing", ...; never NULL. */
const char *report_code_name(enum problem_code c);
/* "error", "warning", "info". */
const char *report_sev_name(enum severity s);
/* The number of problems of severity sev in r. */
size_t report_count(const struct report *r, enum severity sev);

/* Formats a route the way `ip route` prints it. */
void report_fmt_route(const struct kview *kv, const struct route4 *rt, char *buf, size_t len);

#endif
