#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/io/ev.h"
#include "agent/io/mtuprobe.h"

#define MTU_HDRS 28	/* IPv4 + UDP headers */

struct mtu_round {
	struct ev_loop *loop;
	struct ev_timer *deadline;
	int *fd;
	struct mtu_result *res;
	size_t n, open;
	mtu_done_cb cb;
	void *arg;
};

enum mtu_outcome
mtu_classify(int err)
{
	switch (err) {
	case 0: return MTU_LOST;
	case ECONNREFUSED: return MTU_ARRIVED;
	case EMSGSIZE: return MTU_TOO_BIG;
	default: return MTU_ERROR;
	}
}

const char *
mtu_outcome_name(enum mtu_outcome o)
{
	static const char *names[] = { "arrived", "too-big", "lost", "error" };

	return (unsigned)o <= MTU_ERROR ? names[o] : "error";
}

static void
close_one(struct mtu_round *r, size_t i, int err)
{
	if (r->fd[i] < 0)
		return;
	ev_del(r->loop, r->fd[i]);
	close(r->fd[i]);
	r->fd[i] = -1;
	r->res[i] = (struct mtu_result){ mtu_classify(err), err };
	r->open--;
}

static void
finish(struct ev_loop *loop, void *arg)
{
	struct mtu_round *r = arg;

	for (size_t i = 0; i < r->n; i++)
		close_one(r, i, 0);
	r->cb(r->res, r->n, r->arg);
}

static void
on_err(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct mtu_round *r = arg;
	int err = 0;
	socklen_t len = sizeof(err);

	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
	for (size_t i = 0; i < r->n; i++)
		if (r->fd[i] == fd)
			close_one(r, i, err ? err : EIO);
	if (!r->open)
		ev_timer_arm(r->deadline, 0.0001);
}

/* One datagram with DF; an error now (EMSGSIZE: the local route is smaller)
 * is the result. */
static int
send_one(const struct mtu_target *t, uint32_t src)
{
	static const char zeros[65536];
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(MTU_PROBE_PORT),
				  .sin_addr.s_addr = htonl(t->ip) };
	struct sockaddr_in from = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(src) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int df = IP_PMTUDISC_PROBE, e;

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &df, sizeof(df)) < 0 ||
	    (src && bind(fd, (struct sockaddr *)&from, sizeof(from)) < 0) ||
	    connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0 ||
	    send(fd, zeros, t->size > MTU_HDRS ? t->size - MTU_HDRS : 0, 0) < 0) {
		e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

struct mtu_round *
mtu_round_start(struct ev_loop *loop, const struct mtu_target *t, size_t n, uint32_t src,
		double timeout, mtu_done_cb cb, void *arg)
{
	struct mtu_round *r = calloc(1, sizeof(*r));

	if (!r || !(r->fd = calloc(n ? n : 1, sizeof(*r->fd))) ||
	    !(r->res = calloc(n ? n : 1, sizeof(*r->res))) ||
	    !(r->deadline = ev_timer_new(loop, finish, r)))
		goto fail;
	*r = (struct mtu_round){ .loop = loop, .deadline = r->deadline, .fd = r->fd, .res = r->res,
				 .n = n, .cb = cb, .arg = arg };
	for (size_t i = 0; i < n; i++)
		r->fd[i] = -1;
	for (size_t i = 0; i < n; i++) {
		int fd = send_one(&t[i], src);

		if (fd < 0) {
			r->res[i] = (struct mtu_result){ mtu_classify(-fd), -fd };
			continue;
		}
		r->fd[i] = fd;
		r->open++;
		if (ev_add(loop, fd, EPOLLERR, on_err, r) < 0)
			close_one(r, i, EIO);
	}
	ev_timer_arm(r->deadline, r->open ? timeout : 0.0001);
	return r;
fail:
	mtu_round_free(r);
	errno = ENOMEM;
	return NULL;
}

void
mtu_round_free(struct mtu_round *r)
{
	if (!r)
		return;
	for (size_t i = 0; r->fd && i < r->n; i++)
		if (r->fd[i] >= 0) {
			ev_del(r->loop, r->fd[i]);
			close(r->fd[i]);
		}
	ev_timer_free(r->deadline);
	free(r->fd);
	free(r->res);
	free(r);
}
