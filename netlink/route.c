/*
 * rtnetlink through libnl-3's socket and message layer.  We parse dumps
 * ourselves instead of filling libnl's route cache: the cache costs ~0.8 s at
 * 100k routes and merges routes that share a prefix, which would hide
 * exactly the foreign route we must report.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "netlink/route.h"

#define DUMP_TRIES 5
/* A dump's datagrams are at most 32 KiB (the kernel's cap) unless one
 * message needs more; a datagram cut short grows the buffer and the
 * dump is redone. */
#define DUMP_BUF_MIN (64 << 10)
#define DUMP_BUF_MAX (16 << 20)
/* Far above a dump of a million routes (about 2,000 datagrams). */
#define DUMP_MAX_DATAGRAMS (1 << 20)

struct route_sock {
	struct nl_sock *sk;
	char *buf;		/* dumps: read here, not through libnl */
	size_t bufsize;
	uint32_t dump_seq;
};

/* What one request collects: the kernel's errno from an NLMSG_ERROR, and
 * for dumps the objects parsed so far. */
struct req {
	int kerr;		/* -errno from the kernel, 0 */
	bool acked;
	int parse_err;
	struct kview *kv;
	size_t cap_links, cap_addrs, cap_routes;
	struct route4 *get;	/* RTM_GETROUTE answer */
	bool got;
};

int
route_nlerr(int nle)
{
	static const int map[] = {
		[NLE_SUCCESS] = 0, [NLE_INTR] = EINTR, [NLE_BAD_SOCK] = EBADF,
		[NLE_AGAIN] = EAGAIN, [NLE_NOMEM] = ENOMEM, [NLE_EXIST] = EEXIST,
		[NLE_INVAL] = EINVAL, [NLE_RANGE] = ERANGE, [NLE_MSGSIZE] = EMSGSIZE,
		[NLE_OPNOTSUPP] = EOPNOTSUPP, [NLE_AF_NOSUPPORT] = EAFNOSUPPORT,
		[NLE_OBJ_NOTFOUND] = ENOENT, [NLE_NOADDR] = EADDRNOTAVAIL,
		[NLE_MSG_TRUNC] = EMSGSIZE, [NLE_MSG_OVERFLOW] = EOVERFLOW,
		[NLE_BUSY] = EBUSY, [NLE_NOACCESS] = EACCES, [NLE_PERM] = EPERM,
		[NLE_NODEV] = ENODEV, [NLE_DUMP_INTR] = EINTR,
	};
	int e = nle < 0 ? -nle : nle;

	if (e == 0)
		return 0;
	if ((size_t)e < sizeof(map) / sizeof(map[0]) && map[e])
		return -map[e];
	return -EPROTO;
}

struct route_sock *
route_open(void)
{
	struct route_sock *rs = calloc(1, sizeof(*rs));
	int err;

	if (!rs)
		return NULL;
	rs->sk = nl_socket_alloc();
	if (!rs->sk) {
		free(rs);
		errno = ENOMEM;
		return NULL;
	}
	err = nl_connect(rs->sk, NETLINK_ROUTE);
	if (err < 0) {
		nl_socket_free(rs->sk);
		free(rs);
		errno = -route_nlerr(err);
		return NULL;
	}
	/* Large tables: let the kernel fill big datagrams. */
	nl_socket_set_buffer_size(rs->sk, 1 << 20, 0);
	nl_socket_enable_msg_peek(rs->sk);
	/* Dump requests are checked strictly and may filter (kernel 4.20+;
	 * before it the filter is ignored and parse_route() keeps the main
	 * table alone anyway). */
	setsockopt(nl_socket_get_fd(rs->sk), SOL_NETLINK, NETLINK_GET_STRICT_CHK, &(int){ 1 },
		   sizeof(int));
	return rs;
}

void
route_close(struct route_sock *rs)
{
	if (!rs)
		return;
	nl_socket_free(rs->sk);
	free(rs->buf);
	free(rs);
}

/*
 * The route attributes we read, each at least 4 bytes long: a shorter one
 * makes the message malformed, so that a u32 is never read past its
 * attribute (the kernel never sends one; a fuzzer or a bug could).
 */
static const bool route_attr_u32[RTA_MAX + 1] = {
	[RTA_DST] = true, [RTA_GATEWAY] = true, [RTA_PREFSRC] = true, [RTA_OIF] = true,
	[RTA_PRIORITY] = true, [RTA_TABLE] = true,
};
static struct nla_policy link_policy[IFLA_MAX + 1] = {
	[IFLA_MTU] = { .type = NLA_U32 }, [IFLA_MASTER] = { .type = NLA_U32 },
};
static struct nla_policy addr_policy[IFA_MAX + 1] = {
	[IFA_LOCAL] = { .minlen = 4 }, [IFA_ADDRESS] = { .minlen = 4 },
};

/* Sorts len bytes of route attributes into tb by type, the last of a type
 * winning, as libnl's nla_parse() did with a policy of route_attr_u32 (by
 * hand: at 100,000 routes libnl's was most of the parsing).  -EINVAL for a
 * short one. */
static int
route_attrs(const void *head, int len, const struct rtattr *tb[static RTA_MAX + 1])
{
	memset(tb, 0, sizeof(*tb) * (RTA_MAX + 1));
	for (const struct rtattr *a = head; RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		unsigned int t = a->rta_type & NLA_TYPE_MASK;

		if (t > RTA_MAX)
			continue;
		if (route_attr_u32[t] && RTA_PAYLOAD(a) < 4)
			return -EINVAL;
		tb[t] = a;
	}
	return 0;
}

/* The first 4 bytes of a, as a u32 in memory order; 0 when absent. */
static uint32_t
rta_u32(const struct rtattr *a)
{
	uint32_t v = 0;

	if (a && RTA_PAYLOAD(a) >= 4)
		memcpy(&v, RTA_DATA(a), 4);
	return v;
}

static uint32_t
attr_ip(struct nlattr *a)
{
	uint32_t be = 0;

	if (a && nla_len(a) >= 4)
		memcpy(&be, nla_data(a), 4);
	return ntohl(be);
}

/* The first next hop of RTA_MULTIPATH: its length must lie within the
 * attribute, or the attributes after it would be read as the hop's. */
static int
first_hop(const struct rtattr *mp, struct route4 *out)
{
	const struct rtattr *ntb[RTA_MAX + 1];
	const struct rtnexthop *nh = RTA_DATA(mp);
	int len = (int)RTA_PAYLOAD(mp);

	if (len < (int)sizeof(*nh))
		return 0;
	if (nh->rtnh_len < sizeof(*nh) || nh->rtnh_len > len)
		return -EINVAL;
	out->oif = nh->rtnh_ifindex;
	if (nh->rtnh_len > sizeof(*nh)) {
		if (route_attrs(RTNH_DATA(nh), nh->rtnh_len - (int)sizeof(*nh), ntb) < 0)
			return -EINVAL;
		out->gw = ntohl(rta_u32(ntb[RTA_GATEWAY]));
	}
	return 0;
}

static int
parse_route(const struct nlmsghdr *nlh, struct route4 *out, bool main_only)
{
	const struct rtattr *tb[RTA_MAX + 1];
	const struct rtmsg *rtm;

	if (nlh->nlmsg_type != RTM_NEWROUTE && nlh->nlmsg_type != RTM_DELROUTE)
		return 0;
	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*rtm)))
		return -EINVAL;
	rtm = NLMSG_DATA(nlh);
	if (route_attrs(RTM_RTA(rtm), (int)(nlh->nlmsg_len - NLMSG_LENGTH(sizeof(*rtm))), tb) < 0)
		return -EINVAL;
	if (rtm->rtm_family != AF_INET || rtm->rtm_dst_len > 32)
		return 0;
	memset(out, 0, sizeof(*out));
	out->table = tb[RTA_TABLE] ? rta_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	if (main_only && (out->table != RT_TABLE_MAIN || (rtm->rtm_flags & RTM_F_CLONED)))
		return 0;
	out->dst.len = rtm->rtm_dst_len;
	out->dst.addr = ntohl(rta_u32(tb[RTA_DST]));
	if (out->dst.len < 32)
		out->dst.addr &= out->dst.len ? ~(0xffffffffu >> out->dst.len) : 0;
	out->gw = ntohl(rta_u32(tb[RTA_GATEWAY]));
	out->prefsrc = ntohl(rta_u32(tb[RTA_PREFSRC]));
	out->oif = (int)rta_u32(tb[RTA_OIF]);
	out->priority = rta_u32(tb[RTA_PRIORITY]);
	out->protocol = rtm->rtm_protocol;
	out->scope = rtm->rtm_scope;
	out->type = rtm->rtm_type;
	/* A multipath route: report its first hop; podreach installs none. */
	if (tb[RTA_MULTIPATH] && first_hop(tb[RTA_MULTIPATH], out) < 0)
		return -EINVAL;
	return 1;
}

int
route_parse_route(const struct nlmsghdr *nlh, struct route4 *out)
{
	return parse_route(nlh, out, true);
}

int
route_parse_link(const struct nlmsghdr *nlh, struct link *out)
{
	struct nlattr *tb[IFLA_MAX + 1], *li[IFLA_INFO_MAX + 1];
	struct ifinfomsg *ifi;

	if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK)
		return 0;
	if (nlmsg_parse((struct nlmsghdr *)nlh, sizeof(*ifi), tb, IFLA_MAX, link_policy) < 0)
		return -EINVAL;
	ifi = nlmsg_data(nlh);
	/* A bridge port's AF_BRIDGE messages (even an RTM_DELLINK when it
	 * merely leaves the bridge) say nothing about the link itself. */
	if (ifi->ifi_family == AF_BRIDGE)
		return 0;
	memset(out, 0, sizeof(*out));
	out->index = ifi->ifi_index;
	out->flags = ifi->ifi_flags;
	if (!tb[IFLA_IFNAME])
		return -EINVAL;
	nla_strlcpy(out->name, tb[IFLA_IFNAME], sizeof(out->name));
	out->mtu = tb[IFLA_MTU] ? nla_get_u32(tb[IFLA_MTU]) : 0;
	out->master = tb[IFLA_MASTER] ? (int)nla_get_u32(tb[IFLA_MASTER]) : 0;
	if (tb[IFLA_LINKINFO] &&
	    nla_parse_nested(li, IFLA_INFO_MAX, tb[IFLA_LINKINFO], NULL) == 0 &&
	    li[IFLA_INFO_KIND])
		nla_strlcpy(out->kind, li[IFLA_INFO_KIND], sizeof(out->kind));
	return 1;
}

int
route_parse_addr(const struct nlmsghdr *nlh, struct addr4 *out)
{
	struct nlattr *tb[IFA_MAX + 1];
	struct ifaddrmsg *ifa;

	if (nlh->nlmsg_type != RTM_NEWADDR && nlh->nlmsg_type != RTM_DELADDR)
		return 0;
	if (nlmsg_parse((struct nlmsghdr *)nlh, sizeof(*ifa), tb, IFA_MAX, addr_policy) < 0)
		return -EINVAL;
	ifa = nlmsg_data(nlh);
	if (ifa->ifa_family != AF_INET || ifa->ifa_prefixlen > 32)
		return 0;
	/* On point-to-point links IFA_ADDRESS is the peer; IFA_LOCAL is ours. */
	if (!tb[IFA_LOCAL] && !tb[IFA_ADDRESS])
		return -EINVAL;
	out->ifindex = (int)ifa->ifa_index;
	out->local = attr_ip(tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS]);
	out->len = ifa->ifa_prefixlen;
	return 1;
}

/* Grows *v (of elements of size sz) so that one more fits. */
static int
grow(void **v, size_t n, size_t *cap, size_t sz)
{
	void *nv;
	size_t ncap;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 64;
	nv = realloc(*v, ncap * sz);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = ncap;
	return 0;
}

/* Appends the object of one dump message to kv. */
static void
dump_add(struct req *rq, const struct nlmsghdr *nlh)
{
	struct kview *kv = rq->kv;
	int r = 0;

	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
		if ((r = grow((void **)&kv->links, kv->nlinks, &rq->cap_links, sizeof(struct link))) == 0 &&
		    (r = route_parse_link(nlh, &kv->links[kv->nlinks])) == 1)
			kv->nlinks++;
		break;
	case RTM_NEWADDR:
		if ((r = grow((void **)&kv->addrs, kv->naddrs, &rq->cap_addrs, sizeof(struct addr4))) == 0 &&
		    (r = route_parse_addr(nlh, &kv->addrs[kv->naddrs])) == 1)
			kv->naddrs++;
		break;
	case RTM_NEWROUTE:
		if ((r = grow((void **)&kv->routes, kv->nroutes, &rq->cap_routes, sizeof(struct route4))) == 0 &&
		    (r = route_parse_route(nlh, &kv->routes[kv->nroutes])) == 1)
			kv->nroutes++;
		break;
	}
	if (r < 0 && !rq->parse_err)
		rq->parse_err = r;
}

/* Requests (route_get, route_apply) go through libnl; their answer is
 * one message. */
static int
on_valid(struct nl_msg *msg, void *arg)
{
	struct req *rq = arg;

	if (rq->get && parse_route(nlmsg_hdr(msg), rq->get, false) == 1)
		rq->got = true;
	return NL_OK;
}

static int
on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct req *rq = arg;

	rq->kerr = e->error;
	return NL_STOP;
}

static int
on_ack(struct nl_msg *msg, void *arg)
{
	struct req *rq = arg;

	rq->acked = true;
	return NL_STOP;
}

/* Receives a request's answer until its ACK or ERROR: libnl returns after
 * each datagram that is not part of a multipart answer, so a reply and
 * its ACK take two rounds. */
static int
receive(struct route_sock *rs, struct req *rq)
{
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	int err = 0;

	if (!cb)
		return -ENOMEM;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, rq);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, rq);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, rq);
	for (int round = 0; round < 64; round++) {
		err = nl_recvmsgs(rs->sk, cb);
		if (err < 0 || rq->kerr || rq->acked)
			break;
	}
	nl_cb_put(cb);
	if (rq->kerr)
		return rq->kerr;
	if (err < 0)
		return route_nlerr(err);
	if (!rq->acked)
		return -ETIMEDOUT;
	return rq->parse_err;
}

/*
 * Dumps are read here rather than by nl_recvmsgs(), which peeks at every
 * datagram before reading it (two system calls each) and copies every
 * message into an nl_msg of its own: at 100,000 routes that was a third
 * of check's time above the kernel's.  One recvmsg() per datagram into
 * rs->buf, the messages parsed in place.
 */
struct dump {
	uint32_t seq, port;
	bool done, intr, trunc;
	int err;		/* the kernel's: NLMSG_ERROR or DONE's code */
};

static void
dump_msgs(struct dump *d, struct req *rq, char *buf, size_t len)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	int left = (int)len;

	for (; nlmsg_ok(nlh, left) && !d->done; nlh = nlmsg_next(nlh, &left)) {
		int code = 0;

		if (nlh->nlmsg_seq != d->seq || nlh->nlmsg_pid != d->port)
			continue;	/* not this dump's */
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			d->intr = true;
		if (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR) {
			/* Both begin with the error code (DONE's is optional). */
			if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(int)))
				memcpy(&code, NLMSG_DATA(nlh), sizeof(int));
			d->err = code < 0 ? code : 0;
			d->done = true;
		} else if (nlh->nlmsg_type >= NLMSG_MIN_TYPE) {
			dump_add(rq, nlh);
		}
	}
}

/* Reads one dump to its end, even after an error, so that nothing of it
 * is left for the next request to read as its answer. */
static int
dump_recv(struct route_sock *rs, struct dump *d, struct req *rq)
{
	int fd = nl_socket_get_fd(rs->sk);

	for (long n = 0; n < DUMP_MAX_DATAGRAMS && !d->done; n++) {
		struct sockaddr_nl sa;
		struct iovec iov = { .iov_base = rs->buf, .iov_len = rs->bufsize };
		struct msghdr mh = { .msg_name = &sa, .msg_namelen = sizeof(sa),
				     .msg_iov = &iov, .msg_iovlen = 1 };
		/* The DONE may have been in a datagram cut short: from then on
		 * an empty queue ends the dump (the kernel queues its next
		 * datagram within the recvmsg() that takes the last one). */
		ssize_t len = recvmsg(fd, &mh, d->trunc ? MSG_DONTWAIT : 0);

		if (len < 0 && errno == EINTR)
			continue;
		if (len < 0 && d->trunc && errno == EAGAIN)
			break;
		if (len < 0)
			return -errno;
		if (mh.msg_flags & MSG_TRUNC)
			d->trunc = true;
		else if (sa.nl_pid == 0)
			dump_msgs(d, rq, rs->buf, (size_t)len);
	}
	if (d->trunc)
		return -EMSGSIZE;
	if (!d->done)
		return -ETIMEDOUT;
	if (d->err)
		return d->err;
	return d->intr ? -EINTR : rq->parse_err;
}

/* Routes: the main table alone, which a strict-checking kernel filters
 * itself (with no custom rules the local and main tables share one trie:
 * an unfiltered dump walks 100,000 routes twice). */
static int
dump_one(struct route_sock *rs, int type, struct req *rq)
{
	struct {
		struct nlmsghdr nlh;
		union {
			struct ifinfomsg ifi;
			struct ifaddrmsg ifa;
			struct rtmsg rtm;
		} u;
	} req = { .nlh = { .nlmsg_type = (uint16_t)type,
			   .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP } };
	struct dump d = { .seq = ++rs->dump_seq, .port = nl_socket_get_local_port(rs->sk) };

	req.nlh.nlmsg_seq = d.seq;
	req.nlh.nlmsg_pid = d.port;
	/* Strictly checked: the header of its own size, nothing after it. */
	if (type == RTM_GETLINK) {
		req.u.ifi.ifi_family = AF_UNSPEC;
		req.nlh.nlmsg_len = NLMSG_LENGTH(sizeof(req.u.ifi));
	} else if (type == RTM_GETADDR) {
		req.u.ifa.ifa_family = AF_INET;
		req.nlh.nlmsg_len = NLMSG_LENGTH(sizeof(req.u.ifa));
	} else {
		req.u.rtm.rtm_family = AF_INET;
		req.u.rtm.rtm_table = RT_TABLE_MAIN;
		req.nlh.nlmsg_len = NLMSG_LENGTH(sizeof(req.u.rtm));
	}
	if (send(nl_socket_get_fd(rs->sk), &req, req.nlh.nlmsg_len, 0) < 0)
		return -errno;
	return dump_recv(rs, &d, rq);
}

int
route_dump(struct route_sock *rs, struct kview *kv)
{
	static const int types[] = { RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE };
	int err = -EINTR;

	memset(kv, 0, sizeof(*kv));
	/* An interrupted dump (NLM_F_DUMP_INTR: EINTR here) is redone whole,
	 * so links, addresses and routes agree; a datagram larger than the
	 * buffer too, with a larger one. */
	for (int tries = 0; tries < DUMP_TRIES && (err == -EINTR || err == -EMSGSIZE); tries++) {
		struct req rq = { .kv = kv };
		size_t want = err == -EMSGSIZE ? rs->bufsize * 4 : DUMP_BUF_MIN;

		kview_free(kv);
		if (want > rs->bufsize) {
			char *nb = want <= DUMP_BUF_MAX ? realloc(rs->buf, want) : NULL;

			if (!nb)
				return err == -EMSGSIZE ? err : -ENOMEM;
			rs->buf = nb;
			rs->bufsize = want;
		}
		err = 0;
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]) && !err; i++)
			err = dump_one(rs, types[i], &rq);
	}
	if (err)
		kview_free(kv);
	return err;
}

int
route_get(struct route_sock *rs, uint32_t dst, struct route4 *out)
{
	struct rtmsg rtm = { .rtm_family = AF_INET, .rtm_dst_len = 32 };
	struct req rq = { .get = out };
	struct nl_msg *msg;
	uint32_t be = htonl(dst);
	int err;

	msg = nlmsg_alloc_simple(RTM_GETROUTE, NLM_F_REQUEST | NLM_F_ACK);
	if (!msg)
		return -ENOMEM;
	if (nlmsg_append(msg, &rtm, sizeof(rtm), NLMSG_ALIGNTO) < 0 ||
	    nla_put(msg, RTA_DST, 4, &be) < 0) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	err = nl_send_auto(rs->sk, msg);
	nlmsg_free(msg);
	if (err < 0)
		return route_nlerr(err);
	/* The answer is one RTM_NEWROUTE and the ACK, or an error such as
	 * ENETUNREACH. */
	err = receive(rs, &rq);
	if (!err && !rq.got)
		err = -ENOENT;
	return err;
}

static struct nl_msg *
build_route_msg(enum route_op op, const struct route4 *r)
{
	static const struct { int type, flags; } ops[] = {
		[ROUTE_ADD] = { RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL },
		[ROUTE_REPLACE] = { RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE },
		[ROUTE_DEL] = { RTM_DELROUTE, 0 },
	};
	struct rtmsg rtm = {
		.rtm_family = AF_INET,
		.rtm_dst_len = r->dst.len,
		.rtm_table = RT_TABLE_MAIN,
		.rtm_protocol = PODREACH_RTPROT,
		.rtm_scope = op == ROUTE_DEL ? RT_SCOPE_NOWHERE : RT_SCOPE_UNIVERSE,
		.rtm_type = RTN_UNICAST,
	};
	uint32_t dst = htonl(r->dst.addr), gw = htonl(r->gw);
	struct nl_msg *msg;

	msg = nlmsg_alloc_simple(ops[op].type, NLM_F_REQUEST | NLM_F_ACK | ops[op].flags);
	if (!msg)
		return NULL;
	if (nlmsg_append(msg, &rtm, sizeof(rtm), NLMSG_ALIGNTO) < 0 ||
	    nla_put_u32(msg, RTA_TABLE, RT_TABLE_MAIN) < 0 ||
	    (r->dst.len && nla_put(msg, RTA_DST, 4, &dst) < 0) ||
	    (r->gw && nla_put(msg, RTA_GATEWAY, 4, &gw) < 0) ||
	    (r->oif && nla_put_u32(msg, RTA_OIF, (uint32_t)r->oif) < 0) ||
	    (r->priority && nla_put_u32(msg, RTA_PRIORITY, r->priority) < 0)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

int
route_apply(struct route_sock *rs, enum route_op op, const struct route4 *r)
{
	struct req rq = { 0 };
	struct nl_msg *msg;
	int err;

	if ((unsigned)op > ROUTE_DEL || r->dst.len > 32)
		return -EINVAL;
	msg = build_route_msg(op, r);
	if (!msg)
		return -ENOMEM;
	/* nl_send_auto() would add NLM_F_ACK itself; we set it explicitly so
	 * the request is acknowledged whatever the socket's setting. */
	err = nl_send_auto(rs->sk, msg);
	nlmsg_free(msg);
	if (err < 0)
		return route_nlerr(err);
	return receive(rs, &rq);
}
