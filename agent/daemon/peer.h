/*
 * Peers: the agents of other nodes, learned from --peers seeds, from the
 * peer lists they publish and from the agents that ask us.  Nothing a peer
 * claims is trusted: each node is verified by fetching its own /v1/node, and
 * every answer is bounded in size, time and JSON depth and validated field by
 * field.  The table is bounded in total and per address; candidates that
 * never answer validly and peers silent for --drop-after are dropped.  Which
 * claim routes is agent/core/remotes.c's decision.  libcurl's multi
 * interface runs in our event loop, a bounded number of transfers at once.
 */
#ifndef PODREACH_PEER_H
#define PODREACH_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/core/cidr.h"

#define PEER_MAX 256		/* peers in total: kind clusters have a handful of nodes */
#define PEER_PER_ADDR 4		/* peers (ports) per address, seeds aside */
#define PEER_MAX_POD_CIDRS 2	/* per node: Kubernetes gives one per family */
#define PEER_MAX_POD_IPS 256	/* per node: the kubelet's max-pods is 110 by default */
#define PEER_MAX_PROBE_ADDRS 8
#define PEER_MAX_BODY (128 * 1024)
#define PEER_MAX_DEPTH 8
#define PEER_MAX_INFLIGHT 32	/* transfers at once: bounds the bodies held */
#define PEER_CANDIDATE_TRIES 3	/* failed rounds before a never-valid candidate goes */
#define PEER_ROUND_BUDGET 64	/* quiet: peers asked per round, in turn */

struct ev_loop;
struct peers;

/* What /v1/node says, validated. */
struct peer_info {
	char cluster[64];
	char node[254];
	uint32_t node_ip;
	struct cidr_list pod_cidrs;
	bool has_service_cidr;
	struct prefix4 service_cidr;
	uint32_t pod_ips[PEER_MAX_POD_IPS];
	size_t npod_ips;
	struct { uint32_t ip; uint16_t port; } probe_addrs[PEER_MAX_PROBE_ADDRS];
	size_t nprobe_addrs;
	char version[64];
};

enum peer_state { PEER_PENDING, PEER_UP, PEER_UNREACHABLE, PEER_INVALID };

struct peer {
	uint32_t ip;
	uint16_t port;
	char address[24];	/* "ip:port" */
	bool seed;
	enum peer_state state;
	char error[200];	/* printable ASCII only: it reaches logs and JSON */
	bool has_info;		/* info holds the last valid answer */
	struct peer_info info;
	double last_ok;		/* ev_now() of the last valid answer */
	double since;		/* since when it claims info's cluster/node */
	int fails;		/* /v1/node rounds failed in a row */
	int busy;		/* transfers in flight */
	bool want_node, want_peers;	/* queued, waiting for a transfer slot */
};

/* Whether a learned (not configured) address may become a candidate. */
typedef bool (*peers_filter_cb)(uint32_t ip, void *arg);

struct peers_opts {
	uint32_t self_ip;
	uint16_t self_port;
	double timeout;		/* per request, seconds */
	double drop_after;	/* seconds without a valid answer before a claim goes */
	const char *token;	/* shared token (the HMAC key, never sent), or NULL */
	peers_filter_cb filter;	/* NULL: every address */
	/* --discovery kubernetes: no route follows from a peer (the agent of
	 * every remote Node is asked only for its pods), so a state change is
	 * neither logged one by one nor a reason to reconcile at once: a round
	 * asks at most PEER_ROUND_BUDGET peers (in turn), and when it ends one
	 * line says the table's states (when they changed) and changed() is
	 * called once if anything did. */
	bool quiet;
};

/* Called after any peer's state or info changed. */
typedef void (*peers_changed_cb)(void *arg);

/* Returns NULL with errno set. */
struct peers *peers_new(struct ev_loop *loop, const struct peers_opts *o, peers_changed_cb cb,
			void *arg);
/* Cancels transfers, frees everything; NULL-safe. */
void peers_free(struct peers *ps);

/* Adds a candidate (fetched at once); ignores ourselves and known ones.
 * A learned one (not a seed) must pass the filter and fit PEER_PER_ADDR;
 * a full table makes room by evicting a candidate that failed.  Returns 0,
 * -EEXIST, -EPERM (filtered), or -ENOSPC. */
int peers_add(struct peers *ps, uint32_t ip, uint16_t port, bool seed);
/* Removes the peer at ip:port (its source no longer names it), saying why
 * in the log.  Returns 0 or -ENOENT. */
int peers_remove(struct peers *ps, uint32_t ip, uint16_t port, const char *why);
/* Starts one round: drops what expired, then /v1/node of every peer and
 * /v1/peers of those up (quiet: of the next PEER_ROUND_BUDGET peers). */
void peers_poll(struct peers *ps);

size_t peers_count(const struct peers *ps);
const struct peer *peers_get(const struct peers *ps, size_t i);
const char *peers_state_name(enum peer_state s);

/* Validates a /v1/node body (pure; for the unit tests too).  Returns false
 * and says why in err. */
bool peer_parse_node(const char *body, size_t len, struct peer_info *out, char *err, size_t errlen);
/* Extracts the "address" of each entry of a /v1/peers body into ips/ports
 * (at most max); returns the count or -1 with err set. */
int peer_parse_peers(const char *body, size_t len, uint32_t *ips, uint16_t *ports, int max,
		     char *err, size_t errlen);
/* Parses an X-Podreach-Peer value: 1 to 5 digits, 1..65535, nothing else. */
bool peer_parse_port(const char *s, uint16_t *port);
/* Replaces every byte that is not printable ASCII with '?', in place:
 * what a peer says reaches logs, the report, JSON and metrics. */
void peer_sanitize(char *s);

#endif
