/*
 * The read-only HTTP endpoint: libmicrohttpd without threads of its own,
 * its epoll fd polled by our loop.  GET and HEAD only; bounded connections,
 * request memory and idle time (libmicrohttpd has no idle timeout unless
 * asked, so a slowloris would otherwise hold a slot forever).
 */
#ifndef PODREACH_HTTPD_H
#define PODREACH_HTTPD_H

#include <stddef.h>
#include <stdint.h>

struct ev_loop;
struct httpd;

/* What a handler returns: body is malloc'd and handed over (may be NULL
 * for an empty body). */
struct httpd_reply {
	int status;
	const char *content_type;
	char *body;
	size_t len;
};

/* A request: path without the query, the client's IPv4 address (host
 * order, 0 if not IPv4) and the two headers podreach reads. */
struct httpd_req {
	const char *path;
	uint32_t client_ip;
	const char *peer_port;	/* X-Podreach-Peer, or NULL */
	const char *auth;	/* Authorization, or NULL */
};

typedef void (*httpd_handler)(const struct httpd_req *req, struct httpd_reply *out, void *arg);

/* Listens on ip:port (host order).  Returns NULL with errno set. */
struct httpd *httpd_start(struct ev_loop *loop, uint32_t ip, uint16_t port, httpd_handler h,
			  void *arg);
/* Stops and frees; NULL-safe. */
void httpd_stop(struct httpd *h);

#endif
