#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/io/ev.h"
#include "agent/io/httpd.h"
#include "agent/io/log.h"

/* MHD's own idle timeout stays as a backstop for a reader that stalls. */
#define HTTPD_IDLE_S 10
#define HTTPD_REQ_MEM (32 * 1024)
#define HTTPD_BACKLOG 1024
/* Accepts per wake-up: bounded so that one flood cannot hold the loop. */
#define HTTPD_ACCEPT_BATCH 64
/* The soft fd limit we raise ourselves to, when the hard one allows. */
#define HTTPD_WANT_NOFILE 4096
#define HTTPD_LOG_EVERY_S 60.0

/*
 * Why the guard and not MHD's options (measured with the old build, see
 * tests/bench/http_bench.sh): MHD_OPTION_CONNECTION_TIMEOUT is an idle timer
 * that every byte restarts, so a trickled head lives forever; at
 * MHD_OPTION_CONNECTION_LIMIT MHD stops accepting and the kubelet's probe
 * waits in the backlog behind the flood; MHD_OPTION_PER_IP_CONNECTION_LIMIT
 * refuses the newcomer and is no help against many addresses.  MHD has no
 * call to close one connection, so the guard accepts itself and hands the
 * socket over (MHD_add_connection), learns the head is complete from the
 * access handler and the answer is sent from NOTIFY_COMPLETED, and closes a
 * connection by shutdown(2): MHD's next read sees EOF, it closes the fd and
 * says so in NOTIFY_CONNECTION.
 */
enum httpd_slot { SLOT_FREE, SLOT_HEAD, SLOT_ANSWER, SLOT_CLOSING };

struct httpd_conn {
	enum httpd_slot state;
	bool served;		/* answered at least once (kept alive) */
	int fd;			/* MHD's; we only shut it down */
	uint32_t ip;
	double since;		/* accept, head complete, or the previous answer */
};

struct httpd {
	struct MHD_Daemon *d;
	struct ev_loop *loop;
	struct ev_timer *timer;		/* MHD's own timeouts */
	struct ev_timer *sweep;		/* our deadlines */
	struct ev_timer *resume;	/* accept again after running out of fds */
	double sweep_at;		/* when sweep fires; 0: disarmed */
	int fd;				/* MHD's epoll fd */
	int lfd;			/* our listening socket */
	unsigned cap;			/* live connections (HEAD, ANSWER) at most */
	unsigned nslots;		/* room for cap live and as many closing */
	struct httpd_conn *slots;
	struct httpd_conn *adding;	/* the slot MHD_add_connection is for */
	struct httpd_stats st, logged;
	double logged_at;
	httpd_handler handler;
	void *arg;
};

/* The request state of a request being read or answered now; a deferred
 * one holds its struct httpd_later instead. */
static int req_first;
static void later_free(struct httpd_later *l);

static void
run_mhd(struct httpd *h)
{
	MHD_UNSIGNED_LONG_LONG ms;

	MHD_run(h->d);
	/* MHD wants to run again after its timeout even with no I/O. */
	if (MHD_get_timeout(h->d, &ms) == MHD_YES)
		ev_timer_arm(h->timer, ms ? (double)ms / 1000.0 : 0.0001);
	else
		ev_timer_arm(h->timer, 0);
}

static void
on_io(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	run_mhd(arg);
}

static void
on_timer(struct ev_loop *loop, void *arg)
{
	run_mhd(arg);
}

/* Makes sure the sweep runs by `when` (monotonic seconds). */
static void
sweep_by(struct httpd *h, double when)
{
	double in;

	if (h->sweep_at && h->sweep_at <= when)
		return;
	h->sweep_at = when;
	in = when - ev_now();
	ev_timer_arm(h->sweep, in > 0.001 ? in : 0.001);
}

static void
evict(struct httpd *h, struct httpd_conn *c, uint64_t *counter)
{
	shutdown(c->fd, SHUT_RDWR);
	c->state = SLOT_CLOSING;
	h->st.open--;
	(*counter)++;
}

/* At most one line a minute, and only when the guard had to act. */
static void
log_pressure(struct httpd *h, double now)
{
	const struct httpd_stats *s = &h->st, *l = &h->logged;

	if (now - h->logged_at < HTTPD_LOG_EVERY_S)
		return;
	if (s->head_timeouts == l->head_timeouts && s->answer_timeouts == l->answer_timeouts &&
	    s->evicted == l->evicted && s->refused == l->refused)
		return;
	log_warnx("http: closed %" PRIu64 " connections whose request head took over %.0f s, %"
		  PRIu64 " whose answer took over %.0f s, %" PRIu64 " waiting ones to make room; "
		  "refused %" PRIu64 " (at most %u connections, %u per address; totals since start)",
		  s->head_timeouts, HTTPD_HEAD_S, s->answer_timeouts, HTTPD_ANSWER_S, s->evicted,
		  s->refused, h->cap, HTTPD_MAX_PER_IP);
	h->logged = *s;
	h->logged_at = now;
}

static void
on_sweep(struct ev_loop *loop, void *arg)
{
	struct httpd *h = arg;
	double now = ev_now(), next = 0, due;
	bool closed = false;

	h->sweep_at = 0;
	for (unsigned i = 0; i < h->nslots; i++) {
		struct httpd_conn *c = &h->slots[i];

		if (c->state == SLOT_HEAD)
			due = c->since + HTTPD_HEAD_S;
		else if (c->state == SLOT_ANSWER)
			due = c->since + HTTPD_ANSWER_S;
		else
			continue;
		if (due > now + 0.001) {
			if (!next || due < next)
				next = due;
			continue;
		}
		closed = true;
		if (c->state == SLOT_ANSWER)
			evict(h, c, &h->st.answer_timeouts);
		else
			evict(h, c, c->served ? &h->st.idle_closed : &h->st.head_timeouts);
	}
	if (next)
		sweep_by(h, next);
	if (closed)
		run_mhd(h);
	log_pressure(h, now);
}

struct httpd_pick {
	unsigned same;			/* live connections from the address */
	struct httpd_conn *free;
	struct httpd_conn *oldest;	/* oldest waiting for a head */
	struct httpd_conn *oldest_same;	/* the same, from the address */
};

static void
pick(struct httpd *h, uint32_t ip, struct httpd_pick *p)
{
	memset(p, 0, sizeof(*p));
	for (unsigned i = 0; i < h->nslots; i++) {
		struct httpd_conn *c = &h->slots[i];

		if (c->state == SLOT_FREE && !p->free)
			p->free = c;
		if (c->state != SLOT_HEAD && c->state != SLOT_ANSWER)
			continue;
		if (c->ip == ip)
			p->same++;
		if (c->state != SLOT_HEAD)
			continue;
		if (!p->oldest || c->since < p->oldest->since)
			p->oldest = c;
		if (c->ip == ip && (!p->oldest_same || c->since < p->oldest_same->since))
			p->oldest_same = c;
	}
}

/* Gives the accepted fd a slot and MHD, closing the oldest waiting connection
 * (of the same address at the per-address cap) if it must; with nothing to
 * close, fd is closed instead. */
static void
admit(struct httpd *h, int fd, const struct sockaddr_in *sin)
{
	uint32_t ip = ntohl(sin->sin_addr.s_addr);
	struct httpd_conn *victim = NULL, *c;
	struct httpd_pick p;
	bool full, ok;

	pick(h, ip, &p);
	if (p.same >= HTTPD_MAX_PER_IP)
		victim = p.oldest_same;
	else if (h->st.open >= h->cap)
		victim = p.oldest;
	full = p.same >= HTTPD_MAX_PER_IP || h->st.open >= h->cap;
	if ((full && !victim) || !p.free) {
		close(fd);
		h->st.refused++;
		return;
	}
	if (victim)
		evict(h, victim, &h->st.evicted);
	if (p.same + 1 - (victim && victim->ip == ip) > h->st.per_ip_max)
		h->st.per_ip_max = p.same + 1 - (victim && victim->ip == ip);
	c = p.free;
	*c = (struct httpd_conn){ SLOT_HEAD, false, fd, ip, ev_now() };
	h->st.open++;
	h->st.accepted++;
	/* On failure MHD has closed fd, and may or may not have said so. */
	h->adding = c;
	ok = MHD_add_connection(h->d, fd, (const struct sockaddr *)sin, sizeof(*sin)) == MHD_YES;
	h->adding = NULL;
	if (!ok) {
		if (c->state != SLOT_FREE) {
			c->state = SLOT_FREE;
			h->st.open--;
		}
		return;
	}
	sweep_by(h, c->since + HTTPD_HEAD_S);
}

static void
on_resume(struct ev_loop *loop, void *arg)
{
	struct httpd *h = arg;

	ev_mod(loop, h->lfd, EPOLLIN);
}

/* Out of fds: close the oldest waiting connection, or if there is none stop
 * accepting for a moment (the listening socket would stay readable and spin
 * the loop). */
static void
out_of_fds(struct httpd *h)
{
	struct httpd_pick p;

	pick(h, 0, &p);
	if (p.oldest) {
		evict(h, p.oldest, &h->st.evicted);
		return;
	}
	ev_mod(h->loop, h->lfd, 0);
	ev_timer_arm(h->resume, 0.1);
}

static void
on_accept(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct httpd *h = arg;
	struct sockaddr_in sin;
	socklen_t len;
	int cfd;

	for (int i = 0; i < HTTPD_ACCEPT_BATCH; i++) {
		len = sizeof(sin);
		cfd = accept4(h->lfd, (struct sockaddr *)&sin, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd >= 0) {
			if (len == sizeof(sin) && sin.sin_family == AF_INET)
				admit(h, cfd, &sin);
			else
				close(cfd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
			continue;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
			out_of_fds(h);
		break;
	}
	run_mhd(h);
}

static struct httpd_conn *
conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci;

	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

static struct httpd_conn *
slot_of_fd(struct httpd *h, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci;

	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	for (unsigned i = 0; ci && i < h->nslots; i++)
		if (h->slots[i].state != SLOT_FREE && h->slots[i].fd == ci->connect_fd)
			return &h->slots[i];
	return NULL;
}

static void
on_conn(void *cls, struct MHD_Connection *conn, void **ctx, enum MHD_ConnectionNotificationCode toe)
{
	struct httpd *h = cls;
	struct httpd_conn *c = *ctx;

	/* MHD_add_connection says STARTED before it returns (MHD 0.9.75); should
	 * a later MHD say it afterwards, the slot is found by its fd. */
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		*ctx = h->adding ? h->adding : slot_of_fd(h, conn);
		return;
	}
	if (!c)
		return;
	if (c->state == SLOT_HEAD || c->state == SLOT_ANSWER)
		h->st.open--;	/* closed by the client or by MHD, not by us */
	c->state = SLOT_FREE;
	*ctx = NULL;
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **state, enum MHD_RequestTerminationCode toe)
{
	struct httpd *h = cls;
	struct httpd_conn *c = conn_of(conn);

	/* Resumed but closed before its answer went out. */
	if (state && *state && *state != &req_first) {
		later_free(*state);
		*state = NULL;
	}
	/* Kept alive: the next head has the same deadline, from now. */
	if (!c || c->state != SLOT_ANSWER)
		return;
	c->state = SLOT_HEAD;
	c->served = true;
	c->since = ev_now();
	sweep_by(h, c->since + HTTPD_HEAD_S);
}

static enum MHD_Result
reply(struct MHD_Connection *conn, const struct httpd_reply *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	/* HEAD gets the same response: MHD sends its Content-Length and no body. */
	resp = MHD_create_response_from_buffer(r->len, r->body ? r->body : "",
					       MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	if (r->content_type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
	if (r->status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (r->hdr_name)
		MHD_add_response_header(resp, r->hdr_name, r->hdr_value);
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

/* The head is complete: from now on the answer's deadline applies. */
static void
head_done(struct httpd *h, struct MHD_Connection *conn)
{
	struct httpd_conn *c = conn_of(conn);

	if (!c || c->state != SLOT_HEAD)
		return;
	c->state = SLOT_ANSWER;
	c->since = ev_now();
	sweep_by(h, c->since + HTTPD_ANSWER_S);
}

/* What httpd_req.priv points at while the handler runs. */
struct req_priv {
	struct httpd *h;
	struct MHD_Connection *conn;
	struct httpd_later *later;
};

struct httpd_later {
	struct httpd *h;
	struct MHD_Connection *conn;
	bool done;
	struct httpd_reply r;
};


const char *
httpd_arg(const struct httpd_req *req, const char *name)
{
	const struct req_priv *p = req->priv;

	return p ? MHD_lookup_connection_value(p->conn, MHD_GET_ARGUMENT_KIND, name) : NULL;
}

struct httpd_later *
httpd_defer(const struct httpd_req *req)
{
	struct req_priv *p = req->priv;
	struct httpd_later *l;

	if (!p || p->later) {
		errno = EINVAL;
		return NULL;
	}
	if (!(l = calloc(1, sizeof(*l))))
		return NULL;
	*l = (struct httpd_later){ .h = p->h, .conn = p->conn };
	MHD_suspend_connection(p->conn);
	p->later = l;
	return l;
}

void
httpd_answer(struct httpd_later *l, struct httpd_reply *r)
{
	l->r = *r;
	l->done = true;
	r->body = NULL;
	MHD_resume_connection(l->conn);
	/* MHD picks resumed connections up in its next run: soon, from the loop. */
	ev_timer_arm(l->h->timer, 0.0001);
}

static void
later_free(struct httpd_later *l)
{
	if (l)
		free(l->r.body);
	free(l);
}

/* The answer to a deferred request, once httpd_answer resumed it. */
static enum MHD_Result
answer_later(struct MHD_Connection *conn, void **state)
{
	struct httpd_later *l = *state;
	enum MHD_Result ret;

	if (!l->done)
		return MHD_YES;
	if (l->r.body && !l->r.len)
		l->r.len = strlen(l->r.body);
	ret = reply(conn, &l->r);
	later_free(l);
	*state = &req_first;
	return ret;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
	   const char *version, const char *upload, size_t *upload_size, void **state)
{
	struct httpd *h = cls;
	struct httpd_reply r = { 0 };
	struct req_priv priv = { h, conn, NULL };
	struct httpd_req req;
	enum MHD_Result ret;

	/* The first call only announces the headers. */
	if (!*state) {
		*state = &req_first;
		head_done(h, conn);
		return MHD_YES;
	}
	if (*state != &req_first)
		return answer_later(conn, state);
	if (*upload_size) {
		*upload_size = 0;	/* discard; answered 405 below */
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		r = (struct httpd_reply){ .status = MHD_HTTP_METHOD_NOT_ALLOWED,
					  .content_type = "text/plain",
					  .body = strdup("method not allowed: GET or HEAD\n") };
	} else {
		req = (struct httpd_req){ .path = url, .client_ip = client_ip(conn),
			.peer_port = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Podreach-Peer"),
			.auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							    MHD_HTTP_HEADER_AUTHORIZATION),
			.priv = &priv };
		h->handler(&req, &r, h->arg);
		if (priv.later) {
			free(r.body);
			*state = priv.later;
			return MHD_YES;
		}
	}
	if (r.body && !r.len)
		r.len = strlen(r.body);
	ret = reply(conn, &r);
	free(r.body);
	return ret;
}

/* Raises the soft fd limit (as Go's runtime does) and sizes the cap to it:
 * at most a quarter of the fds, the rest is for probes, peers, netlink and
 * connections that are closing. */
static unsigned
conn_cap(void)
{
	struct rlimit rl;
	rlim_t want = HTTPD_WANT_NOFILE;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 64;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
			want = rl.rlim_max;
		if (want > rl.rlim_cur) {
			rl.rlim_cur = want;
			if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
				getrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur / 4 >= HTTPD_MAX_CONNS)
		return HTTPD_MAX_CONNS;
	return rl.rlim_cur / 4 > 16 ? (unsigned)(rl.rlim_cur / 4) : 16;
}

/* Returns the listening fd or -errno. */
static int
listen_on(uint32_t ip, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(ip) };
	int one = 1, fd, err;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(fd, HTTPD_BACKLOG) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* MHD without a listening socket, its epoll fd in our loop.  Returns 0 or -errno. */
static int
start_mhd(struct httpd *h)
{
	const union MHD_DaemonInfo *di;

	h->d = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_TURBO | MHD_USE_NO_LISTEN_SOCKET |
				MHD_ALLOW_SUSPEND_RESUME, 0, NULL,
		NULL, on_request, h,
		MHD_OPTION_CONNECTION_LIMIT, h->nslots,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTPD_IDLE_S,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTPD_REQ_MEM,
		MHD_OPTION_NOTIFY_CONNECTION, on_conn, h,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
		MHD_OPTION_END);
	if (!h->d)
		return errno ? -errno : -ENOMEM;
	di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
	if (!di)
		return -EINVAL;
	h->fd = di->epoll_fd;
	return ev_add(h->loop, h->fd, EPOLLIN, on_io, h);
}

struct httpd *
httpd_start(struct ev_loop *loop, uint32_t ip, uint16_t port, httpd_handler handler, void *arg)
{
	struct httpd *h = calloc(1, sizeof(*h));
	int err = -ENOMEM;

	if (!h)
		return NULL;
	*h = (struct httpd){ .loop = loop, .handler = handler, .arg = arg, .fd = -1, .lfd = -1 };
	h->cap = conn_cap();
	h->nslots = 2 * h->cap;
	h->slots = calloc(h->nslots, sizeof(*h->slots));
	h->timer = ev_timer_new(loop, on_timer, h);
	h->sweep = ev_timer_new(loop, on_sweep, h);
	h->resume = ev_timer_new(loop, on_resume, h);
	if (!h->slots || !h->timer || !h->sweep || !h->resume)
		goto fail;
	if ((err = h->lfd = listen_on(ip, port)) < 0 || (err = start_mhd(h)) < 0 ||
	    (err = ev_add(loop, h->lfd, EPOLLIN, on_accept, h)) < 0)
		goto fail;
	run_mhd(h);
	return h;
fail:
	httpd_stop(h);
	errno = -err;
	return NULL;
}

void
httpd_stop(struct httpd *h)
{
	if (!h)
		return;
	if (h->lfd >= 0) {
		ev_del(h->loop, h->lfd);
		close(h->lfd);
	}
	if (h->fd >= 0)
		ev_del(h->loop, h->fd);
	/* Closes the connections, which calls on_conn and on_completed: the
	 * slots and the timers (a request cut mid-body re-arms the sweep)
	 * are still needed. */
	if (h->d)
		MHD_stop_daemon(h->d);
	ev_timer_free(h->timer);
	ev_timer_free(h->sweep);
	ev_timer_free(h->resume);
	free(h->slots);
	free(h);
}

uint16_t
httpd_port(const struct httpd *h)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	if (getsockname(h->lfd, (struct sockaddr *)&sin, &len) < 0 || sin.sin_family != AF_INET)
		return 0;
	return ntohs(sin.sin_port);
}

void
httpd_get_stats(const struct httpd *h, struct httpd_stats *st)
{
	*st = h->st;
}
