/*
 * rtnetlink monitor: link, IPv4 address and IPv4 route notifications, so
 * enforce repairs a route as the kernel reports the change, not on a timer.
 */
#ifndef PODREACH_WATCH_H
#define PODREACH_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "netlink/kview.h"

struct watch;

enum watch_kind { WATCH_LINK, WATCH_ADDR, WATCH_ROUTE, WATCH_RESYNC };

/* One notification.  For WATCH_ROUTE, route holds the main-table route
 * added or deleted (deleted is true for RTM_DELROUTE); WATCH_RESYNC means
 * notifications were lost (ENOBUFS) and the caller must re-read everything. */
struct watch_event {
	enum watch_kind kind;
	bool deleted;
	struct route4 route;
};

typedef void (*watch_cb)(const struct watch_event *ev, void *arg);

/* Returns a non-blocking monitor, or NULL with errno set. */
struct watch *watch_open(void);
/* NULL-safe. */
void watch_close(struct watch *w);
/* The fd to poll for EPOLLIN. */
int watch_fd(const struct watch *w);
/* Reads what is queued and calls cb per notification; returns the number of
 * notifications, or -errno (never -ENOBUFS: that becomes WATCH_RESYNC). */
int watch_read(struct watch *w, watch_cb cb, void *arg);

#endif
