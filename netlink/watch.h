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

enum watch_kind { WATCH_LINK, WATCH_ADDR, WATCH_ROUTE, WATCH_NEXTHOP, WATCH_RESYNC };

/* One notification: the link, IPv4 address or main-table route added
 * (or changed) or deleted, parsed as a dump would parse it; replace marks a
 * route that took the place of one with the same destination and metric
 * (NLM_F_REPLACE).  WATCH_NEXTHOP: a nexthop object changed (its routes may
 * have gone without a word).  WATCH_RESYNC means notifications were lost
 * (ENOBUFS) and the caller must re-read everything. */
struct watch_event {
	enum watch_kind kind;
	bool deleted;
	bool replace;
	struct route4 route;
	struct link link;
	struct addr4 addr;
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
/* Drops what is queued (bounded): after an overflow it is unreliable, and a
 * dump taken next says it all.  Returns the number dropped or -errno. */
int watch_discard(struct watch *w);

#endif
