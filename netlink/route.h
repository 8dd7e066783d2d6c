/*
 * rtnetlink: dump links, IPv4 addresses and main-table IPv4 routes into a
 * struct kview, look one destination up in the FIB like `ip route get`, and
 * add, replace or delete routes under podreach's own protocol.  Every call
 * returns 0 or -errno (libnl's -NLE_* codes never leave this module) and
 * logs nothing.
 */
#ifndef PODREACH_ROUTE_H
#define PODREACH_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "netlink/kview.h"

struct nlmsghdr;
struct route_sock;

enum route_op { ROUTE_ADD, ROUTE_REPLACE, ROUTE_DEL };

/* Returns a socket for requests, or NULL with errno set. */
struct route_sock *route_open(void);
/* NULL-safe. */
void route_close(struct route_sock *rs);

/* Fills kv (which must be zeroed or freed); on error kv is left empty.
 * A dump interrupted by a concurrent change is redone (bounded). */
int route_dump(struct route_sock *rs, struct kview *kv);

/* Looks dst up in the FIB; fills out with the route the kernel would use
 * (dst is dst/32, gw, oif, prefsrc, type). */
int route_get(struct route_sock *rs, uint32_t dst, struct route4 *out);

/* Applies op to r in the main table, always with protocol PODREACH_RTPROT,
 * waits for the kernel's ack and returns its verdict. */
int route_apply(struct route_sock *rs, enum route_op op, const struct route4 *r);

/* Parsers shared by the dump, the monitor (RTM_DEL* too) and the unit tests:
 * each returns 1 when the message held an object it filled, 0 when it is skipped (other family,
 * other table, cloned route), -EINVAL when malformed. */
int route_parse_route(const struct nlmsghdr *nlh, struct route4 *out);
int route_parse_link(const struct nlmsghdr *nlh, struct link *out);
int route_parse_addr(const struct nlmsghdr *nlh, struct addr4 *out);

/* Translates a libnl -NLE_* code into -errno. */
int route_nlerr(int nle);

#endif
