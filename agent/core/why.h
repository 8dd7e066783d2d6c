/*
 * `podreach why`: one flow traced hop by hop across both ends of the path.
 * The sending node contributes its route, firewall and NAT (the source
 * address that leaves); the node that owns the destination its inbound
 * firewall, rp_filter, route back and the replies' way through its firewall
 * (conntrack's view); the sender then probes.  Pure: the evaluation takes
 * plain data (the kernel view, the ruleset, route lookups done by the
 * caller), and the JSON both ends exchange is rendered and validated here.
 */
#ifndef PODREACH_WHY_H
#define PODREACH_WHY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "agent/core/cfg.h"
#include "agent/core/fw.h"
#include "netlink/kview.h"

struct nft_ruleset;

#define WHY_MAX_HOPS 32
#define WHY_MAX_BODY (64 * 1024)	/* a /v1/why answer; more is invalid */
#define WHY_MAX_DEPTH 4			/* {"hops":[{...}]} is 3 */
#define WHY_MAX_VALUES 1024		/* 32 hops of 9 fields, keys counted, fit */
#define WHY_MSG_LEN 320

struct why_hop {
	char node[CFG_NAME_MAX];
	char cluster[CFG_NAME_MAX];
	char stage[16];		/* route, firewall, nat, rp_filter, route-back, return, agent */
	char hook[16];		/* "" where no hook decides */
	char verdict[16];	/* accept, drop, reject, masquerade, snat, dnat, unknown */
	char table[FW_TABLE_LEN];
	char chain[FW_CHAIN_LEN];
	uint64_t handle;	/* 0: none (a chain policy, or no rule) */
	char message[WHY_MSG_LEN];
};

struct why_probe {
	bool done;		/* false: not probed (detail says why) */
	char target[64];
	char result[16];	/* podreach(8)'s tcp results */
	double rtt_ms;
	char detail[200];
};

struct why_trace {
	char verdict[16];	/* open, blocked, unknown (why_finish) */
	struct why_hop hops[WHY_MAX_HOPS];
	size_t nhops;
	struct why_probe probe;
};

/* The node that evaluates: its options (name, cluster, pod CIDRs), its
 * kernel view and ruleset (NULL: could not be read). */
struct why_node {
	const struct cfg *cfg;
	const struct kview *kv;
	const struct nft_ruleset *rs;
};

/* The sender's side of a flow. */
struct why_out {
	struct why_node n;
	uint32_t src, dst;	/* host order */
	uint16_t port;
	int src_iif;		/* the source pod's veth: a forwarded flow; 0: the node's own */
	int route_err;		/* `ip route get dst`: 0 and route, or -errno */
	struct route4 route;
};

/* The receiver's side: a flow from src (as it arrives: after the sender's
 * NAT) to dst, arriving on iif. */
struct why_in {
	struct why_node n;
	uint32_t src, dst;
	uint16_t port;
	int iif;
	int dst_err;		/* `ip route get dst`: local, or a pod's veth */
	struct route4 to_dst;
	int back_err;		/* `ip route get src`: the way back */
	struct route4 back;
	int rp;			/* rp_filter in effect on iif: 0 off, 1 strict, 2 loose */
};

/* Parses "IP" or "IP:PORT" (port 1..65535; defport when absent). */
bool why_parse_target(const char *s, uint16_t defport, uint32_t *ip, uint16_t *port, char *err,
		      size_t errlen);

/* Appends the sender's hops to t; *leaves_as is the source address the
 * packet carries when it leaves (after masquerade), 0 when unknown (SNAT
 * to an address the rule holds). */
void why_sender(const struct why_out *in, struct why_trace *t, uint32_t *leaves_as);

/* Appends the receiver's hops to t. */
void why_receiver(const struct why_in *in, struct why_trace *t);

/* Appends one hop naming who and why (stage "agent", verdict unknown):
 * what could not be asked.  NULL-safe names. */
void why_note(struct why_trace *t, const char *node, const char *cluster, const char *stage,
	      const char *verdict, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Sets t->verdict: blocked when a hop drops or rejects, else unknown when
 * a hop is unknown or the probe did not answer, else open. */
void why_finish(struct why_trace *t);

/* The first hop that blocks, or NULL. */
const struct why_hop *why_blocker(const struct why_trace *t);

/* podreach(8)'s JSON of t, malloc'd (NULL: out of memory). */
char *why_json(const struct why_trace *t);

/* Validates an answer field by field (bounded size, depth, hop count,
 * lengths, known stages and verdicts).  Returns false and says why in err. */
bool why_parse(const char *body, size_t len, struct why_trace *t, char *err, size_t errlen);

/* The text form: the verdict, the blocking node and handle first. */
void why_text(const struct why_trace *t, FILE *out);

/* The exit status: 0 open, 1 otherwise. */
int why_exit(const struct why_trace *t);

#endif
