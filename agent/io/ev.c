#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "agent/io/ev.h"

#define EV_BATCH 64
#define EV_MAX_SIGNALS 8

/* One registration.  Kept in a table indexed by fd; a removed slot has
 * cb == NULL, so an event already fetched in this batch for a fd that a
 * previous callback removed is skipped rather than delivered. */
struct ev_io {
	ev_io_cb cb;
	void *arg;
};

struct ev_timer {
	struct ev_loop *loop;
	int fd;
	ev_timer_cb cb;
	void *arg;
};

struct ev_loop {
	int epfd;
	bool stop;
	struct ev_io *io;
	int nio;
	int sigfd;
	sigset_t sigs;
	struct {
		int signo;
		ev_signal_cb cb;
		void *arg;
	} sig[EV_MAX_SIGNALS];
	int nsig;
};

double
ev_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct ev_loop *
ev_new(void)
{
	struct ev_loop *loop = calloc(1, sizeof(*loop));

	if (!loop)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		free(loop);
		return NULL;
	}
	loop->sigfd = -1;
	sigemptyset(&loop->sigs);
	return loop;
}

void
ev_free(struct ev_loop *loop)
{
	if (!loop)
		return;
	if (loop->sigfd >= 0)
		close(loop->sigfd);
	close(loop->epfd);
	free(loop->io);
	free(loop);
}

static int
grow_io(struct ev_loop *loop, int fd)
{
	struct ev_io *n;
	int want;

	if (fd < loop->nio)
		return 0;
	want = fd + 64;
	n = realloc(loop->io, (size_t)want * sizeof(*n));
	if (!n)
		return -ENOMEM;
	memset(n + loop->nio, 0, (size_t)(want - loop->nio) * sizeof(*n));
	loop->io = n;
	loop->nio = want;
	return 0;
}

int
ev_add(struct ev_loop *loop, int fd, uint32_t events, ev_io_cb cb, void *arg)
{
	struct epoll_event ee = { .events = events, .data.fd = fd };
	int err;

	if (fd < 0 || !cb)
		return -EINVAL;
	if ((err = grow_io(loop, fd)) < 0)
		return err;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ee) < 0)
		return -errno;
	loop->io[fd] = (struct ev_io){ cb, arg };
	return 0;
}

int
ev_mod(struct ev_loop *loop, int fd, uint32_t events)
{
	struct epoll_event ee = { .events = events, .data.fd = fd };

	return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ee) < 0 ? -errno : 0;
}

int
ev_del(struct ev_loop *loop, int fd)
{
	if (fd < 0 || fd >= loop->nio || !loop->io[fd].cb)
		return -ENOENT;
	loop->io[fd].cb = NULL;
	return epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL) < 0 ? -errno : 0;
}

static void
timer_fired(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct ev_timer *t = arg;
	uint64_t n;

	/* Drain the expiry count; the callback may free t. */
	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return;
	t->cb(loop, t->arg);
}

struct ev_timer *
ev_timer_new(struct ev_loop *loop, ev_timer_cb cb, void *arg)
{
	struct ev_timer *t = calloc(1, sizeof(*t));
	int err;

	if (!t)
		return NULL;
	t->fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (t->fd < 0) {
		free(t);
		return NULL;
	}
	t->loop = loop;
	t->cb = cb;
	t->arg = arg;
	if ((err = ev_add(loop, t->fd, EPOLLIN, timer_fired, t)) < 0) {
		close(t->fd);
		free(t);
		errno = -err;
		return NULL;
	}
	return t;
}

int
ev_timer_arm(struct ev_timer *t, double seconds)
{
	struct itimerspec its = { 0 };

	if (seconds < 0)
		return -EINVAL;
	if (seconds > 0) {
		its.it_value.tv_sec = (time_t)seconds;
		its.it_value.tv_nsec = (long)((seconds - (double)its.it_value.tv_sec) * 1e9);
		if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
			its.it_value.tv_nsec = 1;	/* zero would disarm */
	}
	return timerfd_settime(t->fd, 0, &its, NULL) < 0 ? -errno : 0;
}

void
ev_timer_free(struct ev_timer *t)
{
	if (!t)
		return;
	ev_del(t->loop, t->fd);
	close(t->fd);
	free(t);
}

static void
signal_fired(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == sizeof(si))
		for (int i = 0; i < loop->nsig; i++)
			if (loop->sig[i].signo == (int)si.ssi_signo)
				loop->sig[i].cb(loop, (int)si.ssi_signo, loop->sig[i].arg);
}

int
ev_signal(struct ev_loop *loop, int signo, ev_signal_cb cb, void *arg)
{
	int fd, err;

	if (loop->nsig == EV_MAX_SIGNALS)
		return -ENOSPC;
	sigaddset(&loop->sigs, signo);
	if (sigprocmask(SIG_BLOCK, &loop->sigs, NULL) < 0)
		return -errno;
	fd = signalfd(loop->sigfd, &loop->sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (loop->sigfd < 0 && (err = ev_add(loop, fd, EPOLLIN, signal_fired, NULL)) < 0) {
		close(fd);
		return err;
	}
	loop->sigfd = fd;
	loop->sig[loop->nsig++] = (typeof(loop->sig[0])){ signo, cb, arg };
	return 0;
}

int
ev_run(struct ev_loop *loop)
{
	struct epoll_event evs[EV_BATCH];

	loop->stop = false;
	while (!loop->stop) {
		int n = epoll_wait(loop->epfd, evs, EV_BATCH, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n && !loop->stop; i++) {
			int fd = evs[i].data.fd;

			if (fd < loop->nio && loop->io[fd].cb)
				loop->io[fd].cb(loop, fd, evs[i].events, loop->io[fd].arg);
		}
	}
	return 0;
}

void
ev_stop(struct ev_loop *loop)
{
	loop->stop = true;
}
