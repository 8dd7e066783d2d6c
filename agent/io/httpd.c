#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "agent/io/ev.h"
#include "agent/io/httpd.h"

#define HTTPD_MAX_CONNS 64
#define HTTPD_MAX_PER_IP 16
#define HTTPD_IDLE_S 10
#define HTTPD_REQ_MEM (32 * 1024)

struct httpd {
	struct MHD_Daemon *d;
	struct ev_loop *loop;
	struct ev_timer *timer;
	int fd;
	httpd_handler handler;
	void *arg;
};

static void
rearm(struct httpd *h)
{
	MHD_UNSIGNED_LONG_LONG ms;

	/* MHD wants to run again after its timeout even with no I/O. */
	if (MHD_get_timeout(h->d, &ms) == MHD_YES)
		ev_timer_arm(h->timer, ms ? (double)ms / 1000.0 : 0.0001);
	else
		ev_timer_arm(h->timer, 0);
}

static void
on_io(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct httpd *h = arg;

	MHD_run(h->d);
	rearm(h);
}

static void
on_timer(struct ev_loop *loop, void *arg)
{
	struct httpd *h = arg;

	MHD_run(h->d);
	rearm(h);
}

static enum MHD_Result
reply(struct MHD_Connection *conn, const struct httpd_reply *r, bool head)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	/* HEAD: same headers, Content-Length of the body, no body. */
	resp = MHD_create_response_from_buffer(head ? 0 : r->len, r->body ? r->body : "",
					       MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	if (r->content_type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
	if (r->status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = MHD_queue_response(conn, (unsigned int)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static uint32_t
client_ip(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr_in *sin;

	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!ci || !ci->client_addr || ci->client_addr->sa_family != AF_INET)
		return 0;
	sin = (const struct sockaddr_in *)ci->client_addr;
	return ntohl(sin->sin_addr.s_addr);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
	   const char *version, const char *upload, size_t *upload_size, void **state)
{
	static int first;
	struct httpd *h = cls;
	struct httpd_reply r = { 0 };
	struct httpd_req req;
	bool head = !strcmp(method, MHD_HTTP_METHOD_HEAD);
	enum MHD_Result ret;

	/* The first call only announces the headers. */
	if (!*state) {
		*state = &first;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0;	/* discard; answered 405 below */
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) && !head) {
		r = (struct httpd_reply){ MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
					  strdup("method not allowed: GET or HEAD\n"), 0 };
	} else {
		req = (struct httpd_req){ .path = url, .client_ip = client_ip(conn),
			.peer_port = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Podreach-Peer"),
			.auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							    MHD_HTTP_HEADER_AUTHORIZATION) };
		h->handler(&req, &r, h->arg);
	}
	if (r.body && !r.len)
		r.len = strlen(r.body);
	ret = reply(conn, &r, head);
	free(r.body);
	return ret;
}

struct httpd *
httpd_start(struct ev_loop *loop, uint32_t ip, uint16_t port, httpd_handler handler, void *arg)
{
	struct httpd *h = calloc(1, sizeof(*h));
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(ip) };
	const union MHD_DaemonInfo *di;
	int err = ENOMEM;

	if (!h)
		return NULL;
	h->loop = loop;
	h->handler = handler;
	h->arg = arg;
	h->timer = ev_timer_new(loop, on_timer, h);
	if (!h->timer)
		goto fail;
	h->d = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_TURBO, port, NULL, NULL, on_request, h,
		MHD_OPTION_SOCK_ADDR, &sin,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTPD_MAX_CONNS,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)HTTPD_MAX_PER_IP,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTPD_IDLE_S,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTPD_REQ_MEM,
		MHD_OPTION_END);
	err = EADDRINUSE;	/* MHD says nothing more precise */
	if (!h->d)
		goto fail;
	di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
	err = EINVAL;
	if (!di)
		goto fail;
	h->fd = di->epoll_fd;
	if ((err = -ev_add(loop, h->fd, EPOLLIN, on_io, h)) != 0)
		goto fail;
	rearm(h);
	return h;
fail:
	if (h->d)
		MHD_stop_daemon(h->d);
	ev_timer_free(h->timer);
	free(h);
	errno = err;
	return NULL;
}

void
httpd_stop(struct httpd *h)
{
	if (!h)
		return;
	ev_del(h->loop, h->fd);
	ev_timer_free(h->timer);
	MHD_stop_daemon(h->d);
	free(h);
}
