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

#include "netlink/route.h"

#define DUMP_TRIES 5

struct route_sock {
	struct nl_sock *sk;
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
	return rs;
}

void
route_close(struct route_sock *rs)
{
	if (!rs)
		return;
	nl_socket_free(rs->sk);
	free(rs);
}

/*
 * The attributes we read, with the length each must have at least: libnl
 * checks them in nlmsg_parse(), so nla_get_u32() never reads past a short
 * attribute (the kernel never sends one; a fuzzer or a bug could).
 */
static struct nla_policy route_policy[RTA_MAX + 1] = {
	[RTA_DST] = { .minlen = 4 }, [RTA_GATEWAY] = { .minlen = 4 },
	[RTA_PREFSRC] = { .minlen = 4 }, [RTA_OIF] = { .type = NLA_U32 },
	[RTA_PRIORITY] = { .type = NLA_U32 }, [RTA_TABLE] = { .type = NLA_U32 },
};
static struct nla_policy link_policy[IFLA_MAX + 1] = {
	[IFLA_MTU] = { .type = NLA_U32 }, [IFLA_MASTER] = { .type = NLA_U32 },
};
static struct nla_policy addr_policy[IFA_MAX + 1] = {
	[IFA_LOCAL] = { .minlen = 4 }, [IFA_ADDRESS] = { .minlen = 4 },
};

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
first_hop(struct nlattr *mp, struct route4 *out)
{
	struct nlattr *ntb[RTA_MAX + 1];
	struct rtnexthop *nh = nla_data(mp);
	int len = nla_len(mp);

	if (len < (int)sizeof(*nh))
		return 0;
	if (nh->rtnh_len < sizeof(*nh) || nh->rtnh_len > len)
		return -EINVAL;
	out->oif = nh->rtnh_ifindex;
	if (nh->rtnh_len > sizeof(*nh)) {
		if (nla_parse(ntb, RTA_MAX, (struct nlattr *)RTNH_DATA(nh),
			      nh->rtnh_len - (int)sizeof(*nh), route_policy) < 0)
			return -EINVAL;
		out->gw = attr_ip(ntb[RTA_GATEWAY]);
	}
	return 0;
}

static int
parse_route(const struct nlmsghdr *nlh, struct route4 *out, bool main_only)
{
	struct nlattr *tb[RTA_MAX + 1];
	struct rtmsg *rtm;

	if (nlh->nlmsg_type != RTM_NEWROUTE && nlh->nlmsg_type != RTM_DELROUTE)
		return 0;
	if (nlmsg_parse((struct nlmsghdr *)nlh, sizeof(*rtm), tb, RTA_MAX, route_policy) < 0)
		return -EINVAL;
	rtm = nlmsg_data(nlh);
	if (rtm->rtm_family != AF_INET || rtm->rtm_dst_len > 32)
		return 0;
	memset(out, 0, sizeof(*out));
	out->table = tb[RTA_TABLE] ? nla_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	if (main_only && (out->table != RT_TABLE_MAIN || (rtm->rtm_flags & RTM_F_CLONED)))
		return 0;
	out->dst.len = rtm->rtm_dst_len;
	out->dst.addr = attr_ip(tb[RTA_DST]);
	if (out->dst.len < 32)
		out->dst.addr &= out->dst.len ? ~(0xffffffffu >> out->dst.len) : 0;
	out->gw = attr_ip(tb[RTA_GATEWAY]);
	out->prefsrc = attr_ip(tb[RTA_PREFSRC]);
	out->oif = tb[RTA_OIF] ? (int)nla_get_u32(tb[RTA_OIF]) : 0;
	out->priority = tb[RTA_PRIORITY] ? nla_get_u32(tb[RTA_PRIORITY]) : 0;
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

static int
on_valid(struct nl_msg *msg, void *arg)
{
	struct req *rq = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct kview *kv = rq->kv;
	int r = 0;

	if (rq->get) {
		if (parse_route(nlh, rq->get, false) == 1)
			rq->got = true;
		return NL_OK;
	}
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

/* Receives until the dump's DONE, or for a request until its ACK or ERROR:
 * libnl returns after each datagram that is not part of a multipart
 * answer, so a reply and its ACK take two rounds. */
static int
receive(struct route_sock *rs, struct req *rq, bool want_ack)
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
		if (err < 0 || rq->kerr || !want_ack || rq->acked)
			break;
	}
	nl_cb_put(cb);
	if (rq->kerr)
		return rq->kerr;
	if (err < 0)
		return route_nlerr(err);
	if (want_ack && !rq->acked)
		return -ETIMEDOUT;
	return rq->parse_err;
}

static int
dump_one(struct route_sock *rs, int type, struct req *rq)
{
	struct rtgenmsg gen = { .rtgen_family = AF_INET };
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	int err;

	if (type == RTM_GETLINK)
		err = nl_send_simple(rs->sk, type, NLM_F_DUMP, &ifi, sizeof(ifi));
	else
		err = nl_send_simple(rs->sk, type, NLM_F_DUMP, &gen, sizeof(gen));
	if (err < 0)
		return route_nlerr(err);
	return receive(rs, rq, false);
}

int
route_dump(struct route_sock *rs, struct kview *kv)
{
	static const int types[] = { RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE };
	int err = -EINTR;

	memset(kv, 0, sizeof(*kv));
	/* libnl drains an interrupted dump and returns NLE_DUMP_INTR (EINTR
	 * here): the whole view is redone so links, addresses and routes agree. */
	for (int tries = 0; tries < DUMP_TRIES && err == -EINTR; tries++) {
		struct req rq = { .kv = kv };

		kview_free(kv);
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
	err = receive(rs, &rq, true);
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
	return receive(rs, &rq, true);
}
