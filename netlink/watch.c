#include <errno.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "netlink/route.h"
#include "netlink/watch.h"

#define WATCH_MAX_ROUNDS 64

struct watch {
	struct nl_sock *sk;
	watch_cb cb;
	void *arg;
	int count;
};

struct watch *
watch_open(void)
{
	struct watch *w = calloc(1, sizeof(*w));
	int err;

	if (!w)
		return NULL;
	w->sk = nl_socket_alloc();
	if (!w->sk) {
		free(w);
		errno = ENOMEM;
		return NULL;
	}
	err = nl_connect(w->sk, NETLINK_ROUTE);
	if (!err)
		err = nl_socket_add_memberships(w->sk, RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR,
						RTNLGRP_IPV4_ROUTE, RTNLGRP_NEXTHOP, 0);
	if (!err)
		err = nl_socket_set_nonblocking(w->sk);
	if (err) {
		nl_socket_free(w->sk);
		free(w);
		errno = -route_nlerr(err);
		return NULL;
	}
	/* A burst of route changes must not overflow us: 64 MiB where we may
	 * (SO_RCVBUFFORCE needs CAP_NET_ADMIN, which the agent has), else what
	 * rmem_max allows.  An overflow still only costs a resync. */
	if (setsockopt(nl_socket_get_fd(w->sk), SOL_SOCKET, SO_RCVBUFFORCE, &(int){ 64 << 20 },
		       sizeof(int)) < 0)
		nl_socket_set_buffer_size(w->sk, 4 << 20, 0);
	return w;
}

void
watch_close(struct watch *w)
{
	if (!w)
		return;
	nl_socket_free(w->sk);
	free(w);
}

int
watch_fd(const struct watch *w)
{
	return nl_socket_get_fd(w->sk);
}

static int
on_msg(struct nl_msg *msg, void *arg)
{
	struct watch *w = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct watch_event ev = { 0 };

	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
		if (route_parse_link(nlh, &ev.link) != 1)
			return NL_OK;
		ev.kind = WATCH_LINK;
		ev.deleted = nlh->nlmsg_type == RTM_DELLINK;
		break;
	case RTM_NEWADDR:
	case RTM_DELADDR:
		/* IPv6 and malformed ones are skipped; IPv4 is all we track. */
		if (route_parse_addr(nlh, &ev.addr) != 1)
			return NL_OK;
		ev.kind = WATCH_ADDR;
		ev.deleted = nlh->nlmsg_type == RTM_DELADDR;
		break;
	case RTM_NEWNEXTHOP:
	case RTM_DELNEXTHOP:
		ev.kind = WATCH_NEXTHOP;
		ev.deleted = nlh->nlmsg_type == RTM_DELNEXTHOP;
		break;
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		/* Other tables and cloned routes are none of our business. */
		if (route_parse_route(nlh, &ev.route) != 1)
			return NL_OK;
		ev.kind = WATCH_ROUTE;
		ev.deleted = nlh->nlmsg_type == RTM_DELROUTE;
		ev.replace = nlh->nlmsg_flags & NLM_F_REPLACE;
		break;
	default:
		return NL_OK;
	}
	w->count++;
	w->cb(&ev, w->arg);
	return NL_OK;
}

static int
no_seq_check(struct nl_msg *msg, void *arg)
{
	return NL_OK;
}

int
watch_read(struct watch *w, watch_cb cb, void *arg)
{
	struct nl_cb *nlcb = nl_cb_alloc(NL_CB_DEFAULT);
	int err = 0;

	if (!nlcb)
		return -ENOMEM;
	w->cb = cb;
	w->arg = arg;
	w->count = 0;
	nl_cb_set(nlcb, NL_CB_VALID, NL_CB_CUSTOM, on_msg, w);
	/* Notifications carry sequence number 0; a fresh nl_cb checks them
	 * unless told not to (the socket's own setting does not carry over). */
	nl_cb_set(nlcb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, no_seq_check, NULL);
	/* libnl answers EAGAIN with 0 messages; ENOBUFS arrives as NLE_NOMEM. */
	for (int i = 0; i < WATCH_MAX_ROUNDS; i++) {
		err = nl_recvmsgs_report(w->sk, nlcb);
		if (err <= 0)
			break;
	}
	nl_cb_put(nlcb);
	if (err > 0)
		return w->count;	/* more queued: the fd stays readable */
	err = route_nlerr(err);
	if (err == -EAGAIN)
		return w->count;
	if (err == -ENOMEM || err == -ENOBUFS) {
		/* The kernel dropped notifications: only a full re-read is safe. */
		struct watch_event ev = { .kind = WATCH_RESYNC };

		cb(&ev, arg);
		return w->count + 1;
	}
	return err < 0 ? err : w->count;
}

static void
ignore_event(const struct watch_event *ev, void *arg)
{
}

int
watch_discard(struct watch *w)
{
	int n, total = 0;

	for (int i = 0; i < WATCH_MAX_ROUNDS; i++) {
		n = watch_read(w, ignore_event, NULL);
		if (n <= 0)
			return n < 0 ? n : total;
		total += n;
	}
	return total;
}
