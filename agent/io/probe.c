/*
 * The probe engine (probe.h).  Life of a probe: a slot from a fixed pool of
 * max_inflight, a socket (TCP) or an easy handle (HTTP), an entry in the
 * deadline heap, then exactly one finish() that records the result and gives
 * every resource back.  A round ends when the last result is in; its callback
 * is delivered from the engine's timer, never from inside a caller's call.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "agent/core/cidr.h"
#include "agent/io/curlev.h"
#include "agent/io/ev.h"
#include "agent/core/cfg.h"
#include "agent/core/flows.h"
#include "agent/io/probe.h"
#include "agent/core/report.h"

/* Grace past --timeout before podreach itself ends an HTTP transfer that
 * curl should already have timed out: a bound that does not rely on curl. */
#define HTTP_GRACE_US 1000000
#define ASAP 1			/* e->armed: deliver the finished round, or go on */

struct probe_slot {
	struct probe_engine *e;
	uint32_t id;		/* index in e->slots and heap id */
	bool used;
	size_t target;		/* index into the round */
	int fd;			/* tcp; -1 otherwise */
	CURL *easy;		/* http */
	size_t body;
	bool cut;
	uint64_t t0;		/* µs, CLOCK_MONOTONIC */
	struct probe_slot *next_free;
};

struct probe_engine {
	struct ev_loop *loop;
	struct probe_opts o;
	struct ev_timer *timer;		/* deadlines, and delivery of a round */
	uint64_t armed;			/* what timer is armed for: 0 none, ASAP, or µs */
	bool more;			/* a turn's budget ran out: go on at once */
	struct curlev *curl;		/* created by the first HTTP probe */
	CURLM *multi;			/* curlev's */
	struct heap heap;
	struct probe_slot *slots;
	struct probe_slot *free_slots;
	size_t inflight, peak;
	/* the running round */
	bool busy;
	const struct probe_target *t;
	size_t n, next, done;
	struct probe_result *res;
	probe_done_cb cb;
	void *arg;
};

/* ---- pure parts ------------------------------------------------------------------------- */

enum probe_outcome
probe_classify_tcp(enum probe_phase phase, int err)
{
	switch (err) {
	case 0:
		return PROBE_OPEN;
	case ECONNREFUSED:
		return PROBE_REFUSED;
	case ETIMEDOUT:
		return PROBE_TIMEOUT;
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EHOSTDOWN:
		return PROBE_UNREACHABLE;
	case EINVAL:
	case EACCES:
		/* From connect() itself these are the route lookup: the kernel
		 * (fib_props) answers a blackhole route with EINVAL and a
		 * prohibit route with EACCES.  Later they mean something else. */
		return phase == PROBE_PHASE_CONNECT ? PROBE_UNREACHABLE : PROBE_ERROR;
	default:
		return PROBE_ERROR;
	}
}

enum probe_outcome
probe_classify_http(int curlcode, long status, bool cut)
{
	if ((curlcode == CURLE_OK || cut) && status >= 200 && status <= 399)
		return PROBE_OK;
	return PROBE_ERROR;
}

const char *
probe_result_name(enum probe_outcome r)
{
	static const char *const names[] = {
		[PROBE_OPEN] = "open", [PROBE_REFUSED] = "refused", [PROBE_TIMEOUT] = "timeout",
		[PROBE_UNREACHABLE] = "unreachable", [PROBE_ERROR] = "error", [PROBE_OK] = "ok",
	};

	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "error";
}

const char *
probe_kind_name(enum probe_kind k)
{
	return k == PROBE_HTTP ? "http" : "tcp";
}

bool
probe_result_reached(enum probe_outcome r)
{
	return r == PROBE_OPEN || r == PROBE_OK || r == PROBE_REFUSED;
}

double
probe_jitter(double interval, double frac, uint32_t rnd)
{
	double u = (double)rnd / (double)UINT32_MAX;

	if (!(frac > 0))	/* also NaN */
		frac = 0;
	if (frac > 0.5)
		frac = 0.5;
	return interval * (1 - frac + 2 * frac * u);
}

void
probe_history_add(struct probe_history *h, enum probe_outcome r)
{
	h->last[h->next] = (uint8_t)r;
	h->next = (uint8_t)((h->next + 1) % PROBE_HISTORY);
	if (h->n < PROBE_HISTORY)
		h->n++;
	h->total++;
}

bool
probe_history_get(const struct probe_history *h, size_t i, enum probe_outcome *r)
{
	if (i >= h->n)
		return false;
	*r = (enum probe_outcome)h->last[(h->next + PROBE_HISTORY - 1 - i) % PROBE_HISTORY];
	return true;
}

double
probe_history_ratio(const struct probe_history *h)
{
	enum probe_outcome r;
	size_t good = 0;

	if (!h->n)
		return -1;
	for (size_t i = 0; probe_history_get(h, i, &r); i++)
		good += probe_result_reached(r);
	return (double)good / h->n;
}

/* Why a result came out as it did, in a few words a person can act on. */
static void
why(const struct probe_target *t, const struct probe_result *res, double timeout,
    char *buf, size_t len)
{
	if (res->kind == PROBE_HTTP) {
		if (res->status && res->result == PROBE_OK)
			snprintf(buf, len, "HTTP %d%s", res->status, res->cut ? ", body cut at 64 KiB" : "");
		else if (res->status && res->err == CURLE_OK)
			snprintf(buf, len, "HTTP %d (the path works; the server said no)", res->status);
		else
			snprintf(buf, len, "%s", curl_easy_strerror((CURLcode)res->err));
		return;
	}
	switch (res->result) {
	case PROBE_OPEN:
		buf[0] = '\0';
		break;
	case PROBE_REFUSED:
		snprintf(buf, len, "RST: the path works, nothing listens on %u", t->port);
		break;
	case PROBE_TIMEOUT:
		snprintf(buf, len, "no answer in %g s: dropped on the way or no route back", timeout);
		break;
	case PROBE_UNREACHABLE:
		snprintf(buf, len, "%s%s", res->phase != PROBE_PHASE_CONNECT ? "ICMP: " :
			 res->err == EINVAL ? "blackhole route here: " :
			 res->err == EACCES ? "prohibit route here: " : "no route here: ",
			 strerror(res->err));
		break;
	default:
		snprintf(buf, len, "%s", strerror(res->err));
	}
}

struct probe_opts
probe_opts_for(const struct cfg *c, const struct kview *kv)
{
	struct probe_opts o = { .timeout = c->timeout };

	o.src = flows_probe_source(c, kv, &o.src_is_pod);
	return o;
}

void
probe_report(const struct probe_target *t, const struct probe_result *res,
	     const struct probe_opts *opts, struct report_probe *out)
{
	char ip[CIDR_STRLEN], w[120];

	memset(out, 0, sizeof(*out));
	if (t->kind == PROBE_HTTP)
		snprintf(out->target, sizeof(out->target), "%s", t->url ? t->url : "");
	else
		snprintf(out->target, sizeof(out->target), "%s:%u", cidr_fmt_ip(t->ip, ip), t->port);
	snprintf(out->kind, sizeof(out->kind), "%s", probe_kind_name(t->kind));
	snprintf(out->result, sizeof(out->result), "%s", probe_result_name(res->result));
	out->rtt_ms = (double)res->rtt_us / 1000.0;
	out->ip = t->ip;
	why(t, res, opts->timeout, w, sizeof(w));
	if (opts->src)
		snprintf(out->detail, sizeof(out->detail), "%s%sfrom %s (%s)", w, w[0] ? "; " : "",
			 cidr_fmt_ip(opts->src, ip), opts->src_is_pod ? "pod gateway" : "node IP");
	else
		snprintf(out->detail, sizeof(out->detail), "%s", w);
}

/* ---- the engine ------------------------------------------------------------------------- */

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void pump(struct probe_engine *e);

/* Arms the one timer for what comes first: delivery of a finished round, or
 * the earliest deadline.  Lazily: a timer already set for the same time or
 * earlier stays (firing early costs one wakeup that re-arms), so a round of
 * completions in start order costs a handful of timerfd_settime, not one
 * per probe. */
static void
rearm(struct probe_engine *e)
{
	uint64_t want = 0, when, now;
	uint32_t id;
	double s = 1e-6;

	if (e->busy && (e->done == e->n || e->more))
		want = ASAP;
	else if (heap_peek(&e->heap, &id, &when))
		want = when;
	if (!want || (e->armed && e->armed <= want))
		return;
	e->armed = want;
	now = now_us();
	if (want != ASAP && want > now)
		s = (double)(want - now) / 1e6;
	/* Cannot fail for our own timerfd and a positive value. */
	(void)ev_timer_arm(e->timer, s);
}

/* The one close path of a probe: records the result, gives back the socket
 * or transfer, the deadline and the slot. */
static void
finish(struct probe_engine *e, struct probe_slot *s, enum probe_outcome r, enum probe_phase ph,
       int err, int status)
{
	struct probe_result *res = &e->res[s->target];

	res->result = r;
	res->phase = ph;
	res->err = err;
	res->status = status;
	res->cut = s->cut;
	res->rtt_us = now_us() - s->t0;
	if (s->fd >= 0) {
		ev_del(e->loop, s->fd);
		close(s->fd);
	}
	if (s->easy) {
		curl_multi_remove_handle(e->multi, s->easy);
		curl_easy_cleanup(s->easy);
	}
	heap_remove(&e->heap, s->id);
	*s = (struct probe_slot){ .e = e, .id = s->id, .fd = -1, .next_free = e->free_slots };
	e->free_slots = s;
	e->inflight--;
	e->done++;
}

static void
tcp_ready(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct probe_slot *s = arg;
	struct probe_engine *e = s->e;
	struct sockaddr_in peer;
	socklen_t len = sizeof(int), plen = sizeof(peer);
	int err = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	/* SO_ERROR 0 alone does not prove a connection: an event fetched in
	 * the same epoll batch for a fd that was closed and reused meanwhile
	 * lands here while the new connect is still in SYN_SENT.  Only a
	 * connected socket has a peer. */
	if (err == 0 && getpeername(fd, (struct sockaddr *)&peer, &plen) < 0) {
		if (!(events & (EPOLLERR | EPOLLHUP)))
			return;
		err = errno;
	}
	finish(e, s, probe_classify_tcp(PROBE_PHASE_ASYNC, err), PROBE_PHASE_ASYNC, err, 0);
	pump(e);
}

/* Sets the socket up before connect(): RST on close, source address. */
static int
tcp_socket(const struct probe_engine *e)
{
	/* Linger 0: close() sends RST and leaves no TIME_WAIT; a round every
	 * few seconds from one source address would otherwise pile up
	 * thousands of them and run out of ports. */
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct sockaddr_in src = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(e->o.src) };
	int fd, one = 1, err;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) < 0)
		goto fail;
	/* bind() to an address with port 0 picks the port then, without the
	 * destination, so all probes would share one pool of ~28k ports;
	 * IP_BIND_ADDRESS_NO_PORT defers the choice to connect(). */
	if (e->o.src && (setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one)) < 0 ||
			 bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0))
		goto fail;
	return fd;
fail:
	err = -errno;
	close(fd);
	return err;
}

/* Starts target s->target; 0 when it runs or already ended, -EMFILE/-ENFILE
 * when out of descriptors (the caller retries once a probe ends). */
static int
tcp_start(struct probe_engine *e, struct probe_slot *s, const struct probe_target *t)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(t->port),
				  .sin_addr.s_addr = htonl(t->ip) };
	int fd, err;

	s->t0 = now_us();
	fd = tcp_socket(e);
	if (fd == -EMFILE || fd == -ENFILE)
		return fd;
	if (fd < 0) {
		finish(e, s, PROBE_ERROR, PROBE_PHASE_CONNECT, -fd, 0);
		return 0;
	}
	s->fd = fd;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		finish(e, s, PROBE_OPEN, PROBE_PHASE_CONNECT, 0, 0);
		return 0;
	}
	if (errno != EINPROGRESS) {
		err = errno;
		finish(e, s, probe_classify_tcp(PROBE_PHASE_CONNECT, err), PROBE_PHASE_CONNECT, err, 0);
		return 0;
	}
	if ((err = ev_add(e->loop, fd, EPOLLOUT, tcp_ready, s)) < 0 ||
	    (err = heap_push(&e->heap, s->id, s->t0 + (uint64_t)(e->o.timeout * 1e6))) < 0)
		finish(e, s, PROBE_ERROR, PROBE_PHASE_CONNECT, -err, 0);
	return 0;
}

/* ---- HTTP through curl's multi socket interface ---------------------------------------- */

static size_t
http_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct probe_slot *s = arg;

	(void)data;
	s->body += size * nmemb;
	if (s->body > PROBE_HTTP_MAX_BODY) {
		s->cut = true;
		return 0;	/* curl ends the transfer: CURLE_WRITE_ERROR */
	}
	return size * nmemb;
}

/* One finished transfer, handed over by curlev outside curl's callbacks
 * (finish() removes the easy handle, which curl forbids inside them). */
static void
http_done(CURL *easy, CURLcode rc, void *arg)
{
	struct probe_engine *e = arg;
	struct probe_slot *s;
	char *priv = NULL;
	long status = 0;

	curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
	if (!priv)
		return;	/* not ours: cannot happen, never crash on it */
	s = (struct probe_slot *)priv;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	if (rc == CURLE_FILESIZE_EXCEEDED)
		s->cut = true;
	finish(e, s, probe_classify_http(rc, status, s->cut), PROBE_PHASE_ASYNC, (int)rc,
	       (int)status);
	pump(e);
}

static int
http_multi(struct probe_engine *e)
{
	if (e->multi)
		return 0;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -EIO;
	e->curl = curlev_new(e->loop, http_done, e);
	if (!e->curl) {
		curl_global_cleanup();
		return -ENOMEM;
	}
	e->multi = curlev_multi(e->curl);
	return 0;
}

static bool
http_options(struct probe_engine *e, struct probe_slot *s, CURL *h, const char *url)
{
	char ifc[32], ip[CIDR_STRLEN];
	bool bad = false;

	bad |= curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_PRIVATE, (char *)s) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(e->o.timeout * 1000)) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http") != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_PROXY, "") != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_NOPROXY, "*") != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_IPRESOLVE, (long)CURL_IPRESOLVE_V4) != CURLE_OK;
	/* A fresh connection each time: a pooled one would not test the path. */
	bad |= curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_MAXFILESIZE, (long)PROBE_HTTP_MAX_BODY) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http_body) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_WRITEDATA, s) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_USERAGENT, "podreach-probe") != CURLE_OK;
	if (e->o.src) {
		/* "host!" makes curl bind to that address, never an interface name. */
		snprintf(ifc, sizeof(ifc), "host!%s", cidr_fmt_ip(e->o.src, ip));
		bad |= curl_easy_setopt(h, CURLOPT_INTERFACE, ifc) != CURLE_OK;
	}
	return !bad;
}

static int
http_start(struct probe_engine *e, struct probe_slot *s, const struct probe_target *t)
{
	int err;

	s->t0 = now_us();
	if ((err = http_multi(e)) < 0) {
		finish(e, s, PROBE_ERROR, PROBE_PHASE_CONNECT, CURLE_FAILED_INIT, 0);
		return 0;
	}
	s->easy = curl_easy_init();
	if (!s->easy || !t->url || !http_options(e, s, s->easy, t->url) ||
	    curl_multi_add_handle(e->multi, s->easy) != CURLM_OK) {
		/* finish() must not remove a handle that was never added. */
		curl_easy_cleanup(s->easy);
		s->easy = NULL;
		finish(e, s, PROBE_ERROR, PROBE_PHASE_CONNECT, CURLE_FAILED_INIT, 0);
		return 0;
	}
	err = heap_push(&e->heap, s->id,
			      s->t0 + (uint64_t)(e->o.timeout * 1e6) + HTTP_GRACE_US);
	if (err < 0)
		finish(e, s, PROBE_ERROR, PROBE_PHASE_CONNECT, CURLE_FAILED_INIT, 0);
	return 0;
}

/* ---- rounds ----------------------------------------------------------------------------- */

/* Starts queued targets while the in-flight bound allows, PROBE_TURN at
 * most (the rest on the next turn of the loop), then re-arms. */
static void
pump(struct probe_engine *e)
{
	size_t budget = PROBE_TURN;

	while (e->busy && e->inflight < e->o.max_inflight && e->next < e->n) {
		const struct probe_target *t = &e->t[e->next];
		struct probe_slot *s = e->free_slots;
		int err;

		if (budget-- == 0) {
			e->more = true;
			break;
		}
		e->free_slots = s->next_free;
		*s = (struct probe_slot){ .e = e, .id = s->id, .used = true, .target = e->next,
					  .fd = -1 };
		e->res[e->next].kind = t->kind;
		e->next++;
		if (++e->inflight > e->peak)
			e->peak = e->inflight;
		err = t->kind == PROBE_HTTP ? http_start(e, s, t) : tcp_start(e, s, t);
		if (err == 0)
			continue;
		/* Out of descriptors: back into the queue until a probe ends and
		 * frees one; with none in flight that will never happen. */
		e->next--;
		e->inflight--;
		*s = (struct probe_slot){ .e = e, .id = s->id, .fd = -1, .next_free = e->free_slots };
		e->free_slots = s;
		if (e->inflight == 0) {
			e->res[e->next] = (struct probe_result){ .kind = t->kind,
				.result = PROBE_ERROR, .phase = PROBE_PHASE_CONNECT, .err = -err };
			e->next++;
			e->done++;
			continue;
		}
		break;
	}
	rearm(e);
}

/* Ends every probe whose deadline passed, PROBE_TURN at most: the rest on
 * the next turn of the loop. */
static void
expire(struct probe_engine *e)
{
	uint64_t now = now_us(), when;
	uint32_t id;
	size_t budget = PROBE_TURN;

	while (heap_peek(&e->heap, &id, &when) && when <= now) {
		struct probe_slot *s = &e->slots[id];

		if (budget-- == 0) {
			e->more = true;
			return;
		}

		if (s->easy)
			finish(e, s, PROBE_ERROR, PROBE_PHASE_DEADLINE, CURLE_OPERATION_TIMEDOUT, 0);
		else
			finish(e, s, PROBE_TIMEOUT, PROBE_PHASE_DEADLINE, ETIMEDOUT, 0);
	}
}

static void
timer_fired(struct ev_loop *loop, void *arg)
{
	struct probe_engine *e = arg;
	struct probe_result *res;
	probe_done_cb cb;

	e->armed = 0;
	e->more = false;
	expire(e);
	pump(e);
	if (!e->busy || e->done < e->n)
		return;
	/* The callback may free e or start the next round: leave e consistent
	 * first, touch nothing of it afterwards. */
	res = e->res;
	cb = e->cb;
	e->res = NULL;
	e->busy = false;
	rearm(e);
	cb(res, e->n, e->arg);
	free(res);
}

struct probe_engine *
probe_engine_new(struct ev_loop *loop, const struct probe_opts *opts)
{
	struct probe_engine *e;
	size_t max = opts->max_inflight ? opts->max_inflight : PROBE_MAX_INFLIGHT;

	if (!loop || !(opts->timeout > 0) || max >= UINT32_MAX) {
		errno = EINVAL;
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->loop = loop;
	e->o = *opts;
	e->o.max_inflight = max;
	e->slots = calloc(max, sizeof(*e->slots));
	e->timer = ev_timer_new(loop, timer_fired, e);
	if (!e->slots || !e->timer || heap_init(&e->heap, max) < 0) {
		probe_engine_free(e);
		errno = ENOMEM;
		return NULL;
	}
	for (size_t i = max; i-- > 0;)
		e->slots[i] = (struct probe_slot){ .e = e, .id = (uint32_t)i, .fd = -1,
						   .next_free = i + 1 < max ? &e->slots[i + 1] : NULL };
	e->free_slots = &e->slots[0];
	return e;
}

int
probe_round_start(struct probe_engine *e, const struct probe_target *targets, size_t n,
		  probe_done_cb cb, void *arg)
{
	if (e->busy)
		return -EBUSY;
	if (n == 0 || !targets || !cb)
		return -EINVAL;
	e->res = calloc(n, sizeof(*e->res));
	if (!e->res)
		return -ENOMEM;
	e->busy = true;
	e->t = targets;
	e->n = n;
	e->next = e->done = 0;
	e->cb = cb;
	e->arg = arg;
	pump(e);
	return 0;
}

bool
probe_round_busy(const struct probe_engine *e)
{
	return e->busy;
}

size_t
probe_engine_peak_inflight(const struct probe_engine *e)
{
	return e->peak;
}

void
probe_engine_free(struct probe_engine *e)
{
	if (!e)
		return;
	for (size_t i = 0; e->slots && i < e->o.max_inflight; i++)
		if (e->slots[i].used)
			finish(e, &e->slots[i], PROBE_ERROR, PROBE_PHASE_DEADLINE, ECANCELED, 0);
	if (e->curl) {
		curlev_free(e->curl);
		curl_global_cleanup();
	}
	ev_timer_free(e->timer);
	heap_free(&e->heap);
	free(e->slots);
	free(e->res);
	free(e);
}

struct sync_round {
	struct ev_loop *loop;
	struct probe_result *out;
	bool done;
};

static void
sync_done(const struct probe_result *results, size_t n, void *arg)
{
	struct sync_round *sr = arg;

	memcpy(sr->out, results, n * sizeof(*results));
	sr->done = true;
	ev_stop(sr->loop);
}

int
probe_run_sync(const struct probe_target *targets, size_t n, const struct probe_opts *opts,
	       struct probe_result *out)
{
	struct sync_round sr = { .out = out };
	struct probe_engine *e = NULL;
	int err;

	if (n == 0)
		return 0;
	sr.loop = ev_new();
	if (!sr.loop)
		return -errno;
	e = probe_engine_new(sr.loop, opts);
	if (!e) {
		err = -errno;
		goto out;
	}
	if ((err = probe_round_start(e, targets, n, sync_done, &sr)) < 0)
		goto out;
	/* Ends: every probe has a deadline, and the last result stops the loop. */
	err = ev_run(sr.loop);
	if (err == 0 && !sr.done)
		err = -EIO;
out:
	probe_engine_free(e);
	ev_free(sr.loop);
	return err;
}
