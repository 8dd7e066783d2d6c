/*
 * The event loop: one thread, epoll + timerfd + signalfd (redis ae.h's manner).
 * Everything the agent does — netlink events, HTTP, peers, probes — is a
 * callback registered here.
 */
#ifndef PODREACH_EV_H
#define PODREACH_EV_H

#include <stdbool.h>
#include <stdint.h>

struct ev_loop;
struct ev_timer;

/* events are EPOLLIN / EPOLLOUT / EPOLLERR / EPOLLHUP as epoll reports them. */
typedef void (*ev_io_cb)(struct ev_loop *loop, int fd, uint32_t events, void *arg);
typedef void (*ev_timer_cb)(struct ev_loop *loop, void *arg);
typedef void (*ev_signal_cb)(struct ev_loop *loop, int signo, void *arg);

/* Returns a loop, or NULL with errno set. */
struct ev_loop *ev_new(void);
/* NULL-safe; the caller has removed its fds and freed its timers first. */
void ev_free(struct ev_loop *loop);

/* Watches fd for events; one registration per fd.  Returns 0 or -errno. */
int ev_add(struct ev_loop *loop, int fd, uint32_t events, ev_io_cb cb, void *arg);
int ev_mod(struct ev_loop *loop, int fd, uint32_t events);
/* Forgets fd (before the caller closes it).  Safe from inside a callback. */
int ev_del(struct ev_loop *loop, int fd);

/* A one-shot timer on CLOCK_MONOTONIC; NULL with errno set on failure. */
struct ev_timer *ev_timer_new(struct ev_loop *loop, ev_timer_cb cb, void *arg);
/* Fires once after seconds (> 0); re-arming replaces; 0 disarms. */
int ev_timer_arm(struct ev_timer *t, double seconds);
/* NULL-safe; safe from inside its own callback. */
void ev_timer_free(struct ev_timer *t);

/* Blocks signo and delivers it through the loop.  Returns 0 or -errno. */
int ev_signal(struct ev_loop *loop, int signo, ev_signal_cb cb, void *arg);

/* Runs until ev_stop().  Returns 0, or -errno if epoll itself failed. */
int ev_run(struct ev_loop *loop);
void ev_stop(struct ev_loop *loop);

/* Monotonic seconds. */
double ev_now(void);

#endif
