/*
 * Active probes: TCP connects and HTTP GETs to remote pod IPs, run as one
 * round at a time inside the event loop (ev.h).  TCP is a non-blocking
 * connect, EPOLLOUT, SO_ERROR; HTTP goes through libcurl's multi socket
 * interface on the same loop.  One timer per engine serves every deadline
 * (a min-heap of them), and at most max_inflight probes run at once, so a
 * round over 10,000 targets costs 1,024 sockets, not 10,000.
 *
 * The decisions — errno to result, history, jitter, the deadline heap — are
 * pure functions exported here for the unit tests.
 */
#ifndef PODREACH_PROBE_H
#define PODREACH_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/core/heap.h"

struct ev_loop;
struct probe_engine;
struct report_probe;

#define PROBE_MAX_INFLIGHT 1024		/* default bound on probes in flight */
/* Probes started, and deadlines ended, per turn of the loop: 1,024 connects
 * or closes at once held the loop (and /healthz) for 0.1-0.2 s. */
#define PROBE_TURN 128
#define PROBE_HTTP_MAX_BODY (64 * 1024)	/* larger answers are cut (still an answer) */
#define PROBE_HISTORY 16		/* results kept per target */

enum probe_kind { PROBE_TCP, PROBE_HTTP };

/* podreach(8)'s results: open/refused/timeout/unreachable/error (tcp), ok/error (http). */
enum probe_outcome {
	PROBE_OPEN,
	PROBE_REFUSED,
	PROBE_TIMEOUT,
	PROBE_UNREACHABLE,
	PROBE_ERROR,
	PROBE_OK,
};

/* Where a TCP errno was seen: connect()'s immediate answer is the local
 * route lookup; SO_ERROR later is what came back from the network. */
enum probe_phase { PROBE_PHASE_CONNECT, PROBE_PHASE_ASYNC, PROBE_PHASE_DEADLINE };

struct probe_target {
	enum probe_kind kind;
	uint32_t ip;		/* host order */
	uint16_t port;
	const char *url;	/* http only: "http://IP:PORT/path"; borrowed for the round */
};

struct probe_opts {
	double timeout;		/* seconds per probe (> 0) */
	uint32_t src;		/* source address, host order; 0: the kernel picks */
	bool src_is_pod;	/* src is the node's address in its pod CIDR (ptp gateway) */
	size_t max_inflight;	/* 0: PROBE_MAX_INFLIGHT */
};

struct probe_result {
	enum probe_kind kind;
	enum probe_outcome result;
	enum probe_phase phase;	/* tcp: where err was seen */
	int err;		/* tcp: errno (0 when open); http: the CURLcode */
	int status;		/* http: the status code, 0 when none came */
	bool cut;		/* http: body past PROBE_HTTP_MAX_BODY, transfer stopped */
	uint64_t rtt_us;	/* start of connect to the outcome */
};

/* Called once per round with one result per target, in target order.
 * results is the engine's and valid until the callback returns; the
 * callback may start the next round or free the engine. */
typedef void (*probe_done_cb)(const struct probe_result *results, size_t n, void *arg);

/* Returns an engine on loop, or NULL with errno set (EINVAL for a timeout
 * <= 0).  opts is copied. */
struct probe_engine *probe_engine_new(struct ev_loop *loop, const struct probe_opts *opts);

/* Starts one round over targets[0..n) (borrowed until cb).  Returns 0, or
 * -EBUSY while a round runs, -EINVAL for n == 0, -ENOMEM.  cb always comes
 * from the loop, never from inside this call. */
int probe_round_start(struct probe_engine *e, const struct probe_target *targets, size_t n,
		      probe_done_cb cb, void *arg);

/* Whether a round is running. */
bool probe_round_busy(const struct probe_engine *e);

/* Largest number of probes that were in flight at once since creation. */
size_t probe_engine_peak_inflight(const struct probe_engine *e);

/* Closes every socket and transfer of a running round (its cb never comes)
 * and frees e; NULL-safe.  The loop must still exist. */
void probe_engine_free(struct probe_engine *e);

/* One round on a private loop, for `podreach check`: fills out[0..n).
 * Returns 0 or -errno (nothing in out is then meaningful). */
int probe_run_sync(const struct probe_target *targets, size_t n, const struct probe_opts *opts,
		   struct probe_result *out);

/* ---- pure parts ---- */

/* The result of a TCP probe that ended with err (0: connected) in phase. */
enum probe_outcome probe_classify_tcp(enum probe_phase phase, int err);

/* The result of an HTTP probe: curl's code, the status (0 if none), and
 * whether podreach itself cut an oversized body. */
enum probe_outcome probe_classify_http(int curlcode, long status, bool cut);

/* "open", "refused", ... as podreach(8) spells them. */
const char *probe_result_name(enum probe_outcome r);
const char *probe_kind_name(enum probe_kind k);

/* True when the result proves the path (open, ok, refused). */
bool probe_result_reached(enum probe_outcome r);

/* Fills out (podreach(8)'s probes[] entry) from one target and its result; the
 * detail says why, and from which source address. */
struct cfg;
struct kview;
/* Probe options for this node: --timeout, and the source address answers
 * must come back to (flows_probe_source(): the pod gateway, else the node IP). */
struct probe_opts probe_opts_for(const struct cfg *c, const struct kview *kv);

void probe_report(const struct probe_target *t, const struct probe_result *res,
		  const struct probe_opts *opts, struct report_probe *out);

/* Delay before a round: interval scaled into [1 - frac, 1 + frac] by rnd
 * (any 32-bit value, uniform), frac clamped to [0, 0.5].  Spreads agents
 * that started together (Goldpinger: synchronised probes make spikes). */
double probe_jitter(double interval, double frac, uint32_t rnd);

/* The last PROBE_HISTORY results of one target. */
struct probe_history {
	uint8_t last[PROBE_HISTORY];	/* enum probe_outcome, ring */
	uint8_t next;			/* where the next one goes */
	uint8_t n;			/* how many are held, <= PROBE_HISTORY */
	uint64_t total;			/* ever recorded */
};

void probe_history_add(struct probe_history *h, enum probe_outcome r);
/* Share of held results that reached the target, 0..1; -1 when empty. */
double probe_history_ratio(const struct probe_history *h);
/* The i-th most recent result (0: the last); false past the held ones. */
bool probe_history_get(const struct probe_history *h, size_t i, enum probe_outcome *r);

#endif
