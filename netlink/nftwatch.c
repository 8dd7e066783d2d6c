#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "netlink/nftwatch.h"

#define NFTWATCH_MAX_READS 256	/* per call; the fd stays readable past it */

struct nftwatch {
	struct mnl_socket *nl;
};

struct nftwatch *
nftwatch_open(void)
{
	struct nftwatch *w = calloc(1, sizeof(*w));
	int group = NFNLGRP_NFTABLES, err;

	if (!w)
		return NULL;
	w->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!w->nl || mnl_socket_bind(w->nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_setsockopt(w->nl, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0) {
		err = errno;
		nftwatch_close(w);
		errno = err;
		return NULL;
	}
	return w;
}

void
nftwatch_close(struct nftwatch *w)
{
	if (!w)
		return;
	if (w->nl)
		mnl_socket_close(w->nl);
	free(w);
}

int
nftwatch_fd(const struct nftwatch *w)
{
	return mnl_socket_get_fd(w->nl);
}

/* Counts the messages of one datagram; a truncated one counts too. */
static int
count_msgs(const void *buf, ssize_t got)
{
	const struct nlmsghdr *nlh = buf;
	int len = (int)got, n = 0;

	for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len))
		n++;
	return n ? n : 1;
}

int
nftwatch_read(struct nftwatch *w)
{
	static char buf[65536];
	int n = 0;

	for (int i = 0; i < NFTWATCH_MAX_READS; i++) {
		ssize_t got = mnl_socket_recvfrom(w->nl, buf, sizeof(buf));

		if (got < 0 && (errno == ENOBUFS || errno == ENOSPC)) {
			/* Lost some, or a datagram longer than buf (libmnl says
			 * ENOSPC): the ruleset changed, that is all we need. */
			n++;
			continue;
		}
		if (got < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? n : -errno;
		n += count_msgs(buf, got);
	}
	return n;
}
