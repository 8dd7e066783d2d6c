/*
 * Peers: the agents of other nodes, learned from --peers seeds, from the
 * peer lists they publish and from the agents that ask us.  Nothing a peer
 * claims is trusted: each node is verified by fetching its own /v1/node, and
 * every answer is bounded in size, time and JSON depth and validated field by
 * field.  libcurl's multi interface runs in our event loop.
 */
#ifndef PODREACH_PEER_H
#define PODREACH_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/core/cidr.h"

#define PEER_MAX 1024
#define PEER_MAX_POD_IPS 4096
#define PEER_MAX_PROBE_ADDRS 16
#define PEER_MAX_BODY (512 * 1024)
#define PEER_MAX_DEPTH 8

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
	char error[200];
	bool has_info;		/* info holds the last valid answer */
	struct peer_info info;
	double last_ok;		/* ev_now() of the last valid answer */
	int busy;		/* transfers in flight */
};

struct peers_opts {
	uint32_t self_ip;
	uint16_t self_port;
	double timeout;		/* per request, seconds */
	const char *token;	/* shared token, or NULL */
};

/* Called after any peer's state or info changed. */
typedef void (*peers_changed_cb)(void *arg);

/* Returns NULL with errno set. */
struct peers *peers_new(struct ev_loop *loop, const struct peers_opts *o, peers_changed_cb cb,
			void *arg);
/* Cancels transfers, frees everything; NULL-safe. */
void peers_free(struct peers *ps);

/* Adds a candidate (fetched at once); ignores ourselves and known ones.
 * Returns 0, -EEXIST, or -ENOSPC past PEER_MAX. */
int peers_add(struct peers *ps, uint32_t ip, uint16_t port, bool seed);
/* Starts one round: /v1/node of every peer, /v1/peers of those up. */
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
/* Deepest nesting of [ and { outside strings; a guard before parsing. */
int peer_json_depth(const char *body, size_t len);

#endif
