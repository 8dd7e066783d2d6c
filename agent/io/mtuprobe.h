/*
 * Path MTU across the bridge, without raw sockets: one UDP datagram with DF
 * set to a port nobody listens on (MTU_PROBE_PORT, traceroute's first) of a
 * remote node.  If it arrives, the node answers ICMP port unreachable
 * (ECONNREFUSED on the connected socket); a router that cannot forward it
 * says "fragmentation needed" (EMSGSIZE); a link that drops it says nothing
 * (the deadline).  A small datagram that arrives next to a pod-MTU one that
 * does not is a PMTU black hole (mtu-mismatch).  A round runs in the loop;
 * one socket per target.
 */
#ifndef PODREACH_MTUPROBE_H
#define PODREACH_MTUPROBE_H

#include <stddef.h>
#include <stdint.h>

#define MTU_PROBE_PORT 33434
#define MTU_PROBE_SMALL 64		/* IP packet bytes: arrives wherever anything does */

struct ev_loop;
struct mtu_round;

enum mtu_outcome { MTU_ARRIVED, MTU_TOO_BIG, MTU_LOST, MTU_ERROR };

struct mtu_target {
	uint32_t ip;		/* host order */
	uint16_t size;		/* the whole IP packet, bytes (28..65535) */
};

struct mtu_result {
	enum mtu_outcome outcome;
	int err;		/* the errno seen, 0 at the deadline */
};

/* Called once per round from the loop, results in target order. */
typedef void (*mtu_done_cb)(const struct mtu_result *res, size_t n, void *arg);

/* Sends one datagram per target from src (0: the kernel picks) and waits at
 * most timeout seconds.  Returns NULL with errno set. */
struct mtu_round *mtu_round_start(struct ev_loop *loop, const struct mtu_target *t, size_t n,
				  uint32_t src, double timeout, mtu_done_cb cb, void *arg);
/* Closes every socket (its cb never comes); NULL-safe. */
void mtu_round_free(struct mtu_round *r);

/* What the errno seen on a probe's socket means (0: none by the deadline). */
enum mtu_outcome mtu_classify(int err);
/* "arrived", "too-big", "lost", "error". */
const char *mtu_outcome_name(enum mtu_outcome o);

#endif
