/*
 * The read-only HTTP endpoint: libmicrohttpd without threads or a listening
 * socket of its own.  We accept in our event loop and hand each socket to
 * MHD; a guard in front decides who gets a slot and for how long:
 *   - the whole request head must arrive within a deadline from accept (or
 *     from the previous answer on a kept-alive connection) — a byte does not
 *     buy more time, unlike MHD's idle timeout;
 *   - one answer must be written within a deadline;
 *   - at most HTTPD_MAX_CONNS connections (fewer under a low fd limit) and
 *     HTTPD_MAX_PER_IP per client address; a new connection at either cap
 *     closes the oldest connection still waiting for its head (of that
 *     address, for the per-address cap) instead of being turned away, so a
 *     probe that sends its request at once always gets in.
 * GET and HEAD only; request memory bounded by MHD.
 */
#ifndef PODREACH_HTTPD_H
#define PODREACH_HTTPD_H

#include <stddef.h>
#include <stdint.h>

#define HTTPD_MAX_CONNS 512
#define HTTPD_MAX_PER_IP 32
#define HTTPD_HEAD_S 5.0
#define HTTPD_ANSWER_S 30.0

struct ev_loop;
struct httpd;

/* What a handler returns: body is malloc'd and handed over (may be NULL
 * for an empty body); one extra header when hdr_name is set. */
struct httpd_reply {
	int status;
	const char *content_type;
	char *body;
	size_t len;
	const char *hdr_name;
	char hdr_value[96];
};

/* A request: path without the query, the client's IPv4 address (host
 * order, 0 if not IPv4) and the two headers podreach reads. */
struct httpd_req {
	const char *path;
	uint32_t client_ip;
	const char *peer_port;	/* X-Podreach-Peer, or NULL */
	const char *auth;	/* Authorization, or NULL */
	void *priv;		/* httpd's: for httpd_arg and httpd_defer */
};

/* An answer that comes later, from the event loop (httpd_defer). */
struct httpd_later;

/* What the guard did since start, for /metrics and the logs. */
struct httpd_stats {
	unsigned open;		/* connections held now */
	unsigned per_ip_max;	/* the most held at once from one address */
	uint64_t accepted;
	uint64_t head_timeouts;	/* closed: first head not complete by its deadline */
	uint64_t idle_closed;	/* closed: kept alive, no next request by the deadline */
	uint64_t answer_timeouts;	/* closed: answer not written by its deadline */
	uint64_t evicted;	/* closed while waiting for a head, to make room */
	uint64_t refused;	/* turned away: nothing to evict */
};

typedef void (*httpd_handler)(const struct httpd_req *req, struct httpd_reply *out, void *arg);

/* The query argument name of req ("dst" of /v1/why?dst=...), or NULL. */
const char *httpd_arg(const struct httpd_req *req, const char *name);

/* Called by a handler that answers later: what it puts in its reply is
 * ignored, and the connection waits (still under the answer deadline) until
 * httpd_answer.  Returns NULL with errno set; then answer now. */
struct httpd_later *httpd_defer(const struct httpd_req *req);

/* Sends r (its body is taken over) on the waiting connection and frees l.
 * Exactly once per httpd_defer, before httpd_stop. */
void httpd_answer(struct httpd_later *l, struct httpd_reply *r);

/* Listens on ip:port (host order; port 0: one the kernel picks).  Returns
 * NULL with errno set. */
struct httpd *httpd_start(struct ev_loop *loop, uint32_t ip, uint16_t port, httpd_handler h,
			  void *arg);
/* Stops and frees; NULL-safe. */
void httpd_stop(struct httpd *h);
/* The port it listens on (host order), 0 on error. */
uint16_t httpd_port(const struct httpd *h);
/* Copies the counters into *st. */
void httpd_get_stats(const struct httpd *h, struct httpd_stats *st);

#endif
