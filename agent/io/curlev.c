#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "agent/io/curlev.h"
#include "agent/io/ev.h"

struct curlev {
	struct ev_loop *loop;
	CURLM *multi;
	struct ev_timer *timer;
	curlev_done_cb done;
	void *arg;
};

CURLcode
curlev_trust_only(CURL *e, const char *ca, size_t len, const char *ca_file)
{
	struct curl_blob blob = { (void *)ca, len, CURL_BLOB_COPY };
	CURLcode r;

	if ((r = curl_easy_setopt(e, CURLOPT_CAPATH, NULL)) != CURLE_OK ||
	    (r = curl_easy_setopt(e, CURLOPT_CAINFO, ca ? NULL : ca_file)) != CURLE_OK)
		return r;
	return ca ? curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &blob) : CURLE_OK;
}

size_t
curlev_body_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct curlev_body *b = arg;
	size_t n = size * nmemb;
	char *nb;

	if (b->len + n > b->max) {
		b->too_big = true;
		return 0;	/* curl ends the transfer: CURLE_WRITE_ERROR */
	}
	if (!(nb = realloc(b->buf, b->len + n + 1)))
		return 0;
	memcpy(nb + b->len, data, n);
	b->buf = nb;
	b->len += n;
	b->buf[b->len] = '\0';
	return n;
}

static void
drain(struct curlev *c)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(c->multi, &left)))
		if (m->msg == CURLMSG_DONE)
			c->done(m->easy_handle, m->data.result, c->arg);
}

static void
on_io(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct curlev *c = arg;
	int running, flags = 0;

	if (events & EPOLLIN)
		flags |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (events & (EPOLLERR | EPOLLHUP))
		flags |= CURL_CSELECT_ERR;
	curl_multi_socket_action(c->multi, fd, flags, &running);
	drain(c);
}

static void
on_timer(struct ev_loop *loop, void *arg)
{
	struct curlev *c = arg;
	int running;

	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	drain(c);
}

static int
on_socket(CURL *easy, curl_socket_t s, int what, void *arg, void *sockp)
{
	struct curlev *c = arg;
	uint32_t ev = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);

	if (what == CURL_POLL_REMOVE) {
		ev_del(c->loop, s);
		curl_multi_assign(c->multi, s, NULL);
		return 0;
	}
	/* sockp is what we assigned: non-NULL once the fd is in our epoll set. */
	if (!sockp) {
		if (ev_add(c->loop, s, ev, on_io, c) < 0)
			return -1;
		curl_multi_assign(c->multi, s, c);
		return 0;
	}
	return ev_mod(c->loop, s, ev) < 0 ? -1 : 0;
}

static int
on_timeout(CURLM *multi, long ms, void *arg)
{
	struct curlev *c = arg;

	/* -1 stops the timer; 0 means "call me now", which a timerfd cannot
	 * do: a microsecond is near enough. */
	return ev_timer_arm(c->timer, ms < 0 ? 0 : ms == 0 ? 1e-6 : (double)ms / 1000.0) < 0 ? -1 : 0;
}

struct curlev *
curlev_new(struct ev_loop *loop, curlev_done_cb done, void *arg)
{
	struct curlev *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->loop = loop;
	c->done = done;
	c->arg = arg;
	c->multi = curl_multi_init();
	c->timer = ev_timer_new(loop, on_timer, c);
	if (!c->multi || !c->timer) {
		curlev_free(c);
		errno = ENOMEM;
		return NULL;
	}
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_timeout);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	return c;
}

CURLM *
curlev_multi(struct curlev *c)
{
	return c->multi;
}

void
curlev_free(struct curlev *c)
{
	if (!c)
		return;
	if (c->multi)
		curl_multi_cleanup(c->multi);
	ev_timer_free(c->timer);
	free(c);
}
