#include <errno.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "netlink/nftwatch.h"

#define NFTWATCH_MAX_READS 256		/* per call; the fd stays readable past it */
#define NFTWATCH_MAX_COMMIT (256u << 20)	/* bytes kept of one commit */
#define NFTWATCH_RECV (1 << 17)

struct nftwatch {
	struct mnl_socket *nl;
	char *pend;		/* the unfinished commit's messages */
	size_t npend, cap;
	bool overflow;		/* ... did not fit: it is reported lost */
	_Alignas(8) char buf[NFTWATCH_RECV];	/* messages are read in place */
};

struct nftwatch *
nftwatch_alloc(void)
{
	return calloc(1, sizeof(struct nftwatch));
}

struct nftwatch *
nftwatch_open(void)
{
	struct nftwatch *w = nftwatch_alloc();
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
	/* kube-proxy rewriting a large ruleset is one burst of messages: room
	 * for it (SO_RCVBUFFORCE needs CAP_NET_ADMIN, which the agent has), else
	 * what rmem_max allows.  An overflow only costs a re-read. */
	if (setsockopt(mnl_socket_get_fd(w->nl), SOL_SOCKET, SO_RCVBUFFORCE, &(int){ 64 << 20 },
		       sizeof(int)) < 0)
		setsockopt(mnl_socket_get_fd(w->nl), SOL_SOCKET, SO_RCVBUF, &(int){ 4 << 20 },
			   sizeof(int));
	return w;
}

void
nftwatch_close(struct nftwatch *w)
{
	if (!w)
		return;
	if (w->nl)
		mnl_socket_close(w->nl);
	free(w->pend);
	free(w);
}

int
nftwatch_fd(const struct nftwatch *w)
{
	return mnl_socket_get_fd(w->nl);
}

static void
forget(struct nftwatch *w)
{
	w->npend = 0;
	w->overflow = false;
}

static void
keep(struct nftwatch *w, const struct nlmsghdr *nlh)
{
	size_t need = w->npend + NLMSG_ALIGN(nlh->nlmsg_len);

	if (w->overflow)
		return;
	if (need > w->cap) {
		size_t cap = w->cap ? w->cap : 1 << 16;
		char *p;

		while (cap < need)
			cap *= 2;
		if (need > NFTWATCH_MAX_COMMIT || !(p = realloc(w->pend, cap))) {
			w->overflow = true;
			return;
		}
		w->pend = p;
		w->cap = cap;
	}
	memcpy(w->pend + w->npend, nlh, nlh->nlmsg_len);
	memset(w->pend + w->npend + nlh->nlmsg_len, 0, NLMSG_ALIGN(nlh->nlmsg_len) - nlh->nlmsg_len);
	w->npend = need;
}

static int
gen_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == NFTA_GEN_ID && mnl_attr_validate(a, MNL_TYPE_U32) == 0)
		*(uint32_t *)data = ntohl(mnl_attr_get_u32(a));
	return MNL_CB_OK;
}

/* NEWGEN ends a commit: hand it over (lost if it did not fit). */
static void
commit(struct nftwatch *w, const struct nlmsghdr *nlh, nftwatch_cb cb, void *arg)
{
	struct nftwatch_commit c = { .msgs = w->pend, .len = w->npend };

	mnl_attr_parse(nlh, sizeof(struct nfgenmsg), gen_cb, &c.genid);
	if (w->overflow)
		c = (struct nftwatch_commit){ .lost = true };
	forget(w);
	cb(&c, arg);
}

int
nftwatch_feed(struct nftwatch *w, const void *buf, size_t len, nftwatch_cb cb, void *arg)
{
	const struct nlmsghdr *nlh = buf;
	int left = (int)len, n = 0;

	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left), n++) {
		if (nlh->nlmsg_type < NLMSG_MIN_TYPE ||
		    NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES)
			continue;
		if (NFNL_MSG_TYPE(nlh->nlmsg_type) == NFT_MSG_NEWGEN)
			commit(w, nlh, cb, arg);
		else
			keep(w, nlh);
	}
	return w->overflow ? -ENOMEM : n;
}

void
nftwatch_discard(struct nftwatch *w)
{
	forget(w);
	while (w->nl && mnl_socket_recvfrom(w->nl, w->buf, sizeof(w->buf)) > 0)
		;
}

int
nftwatch_read(struct nftwatch *w, nftwatch_cb cb, void *arg)
{
	int n = 0, got_n;

	for (int i = 0; i < NFTWATCH_MAX_READS; i++) {
		ssize_t got = mnl_socket_recvfrom(w->nl, w->buf, sizeof(w->buf));

		if (got < 0 && (errno == ENOBUFS || errno == ENOSPC)) {
			/* Lost some, or a datagram longer than buf (libmnl says
			 * ENOSPC): what is kept is incomplete. */
			forget(w);
			cb(&(struct nftwatch_commit){ .lost = true }, arg);
			n++;
			continue;
		}
		if (got < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? n : -errno;
		if ((got_n = nftwatch_feed(w, w->buf, (size_t)got, cb, arg)) > 0)
			n += got_n;
	}
	return n;
}
