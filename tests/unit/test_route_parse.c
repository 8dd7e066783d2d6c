/* rtnetlink parsing without a kernel: build the messages the kernel would
 * send into a buffer and parse them back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <cmocka.h>

#include "netlink/route.h"

static void
put_ip(struct nl_msg *m, int type, const char *ip)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, ip, &a), 1);
	assert_int_equal(nla_put(m, type, 4, &a), 0);
}

static struct nl_msg *
route_msg(uint8_t family, uint8_t len, uint32_t table, unsigned flags)
{
	struct rtmsg rtm = { .rtm_family = family, .rtm_dst_len = len,
			     .rtm_table = table < 256 ? table : RT_TABLE_COMPAT,
			     .rtm_protocol = PODREACH_RTPROT, .rtm_type = RTN_UNICAST,
			     .rtm_flags = flags };
	struct nl_msg *m = nlmsg_alloc_simple(RTM_NEWROUTE, NLM_F_MULTI);

	assert_non_null(m);
	assert_int_equal(nlmsg_append(m, &rtm, sizeof(rtm), NLMSG_ALIGNTO), 0);
	assert_int_equal(nla_put_u32(m, RTA_TABLE, table), 0);
	return m;
}

static void
test_route(void **state)
{
	struct nl_msg *m = route_msg(AF_INET, 24, RT_TABLE_MAIN, 0);
	struct route4 r;

	put_ip(m, RTA_DST, "10.244.0.0");
	put_ip(m, RTA_GATEWAY, "172.18.0.2");
	assert_int_equal(nla_put_u32(m, RTA_OIF, 7), 0);
	assert_int_equal(nla_put_u32(m, RTA_PRIORITY, 100), 0);
	assert_int_equal(route_parse_route(nlmsg_hdr(m), &r), 1);
	assert_int_equal(r.dst.addr, 0x0af40000);
	assert_int_equal(r.dst.len, 24);
	assert_int_equal(r.gw, 0xac120002);
	assert_int_equal(r.oif, 7);
	assert_int_equal(r.priority, 100);
	assert_int_equal(r.protocol, PODREACH_RTPROT);
	assert_int_equal(r.table, RT_TABLE_MAIN);
	nlmsg_free(m);
}

static void
test_route_skips(void **state)
{
	struct route4 r;
	struct nl_msg *m;

	/* Table 1000 only fits RTA_TABLE: rtm_table says RT_TABLE_COMPAT. */
	m = route_msg(AF_INET, 24, 1000, 0);
	assert_int_equal(route_parse_route(nlmsg_hdr(m), &r), 0);
	nlmsg_free(m);
	m = route_msg(AF_INET, 24, RT_TABLE_LOCAL, 0);
	assert_int_equal(route_parse_route(nlmsg_hdr(m), &r), 0);
	nlmsg_free(m);
	m = route_msg(AF_INET, 32, RT_TABLE_MAIN, RTM_F_CLONED);
	assert_int_equal(route_parse_route(nlmsg_hdr(m), &r), 0);
	nlmsg_free(m);
	m = route_msg(AF_INET6, 64, RT_TABLE_MAIN, 0);
	assert_int_equal(route_parse_route(nlmsg_hdr(m), &r), 0);
	nlmsg_free(m);
}

static void
test_default_route_and_multipath(void **state)
{
	struct nl_msg *m = route_msg(AF_INET, 0, RT_TABLE_MAIN, 0);
	struct {
		struct rtnexthop nh;
		struct nlattr gw_hdr;
		struct in_addr gw;
	} hop = { .nh = { .rtnh_len = sizeof(hop), .rtnh_ifindex = 4 },
		  .gw_hdr = { .nla_len = NLA_HDRLEN + 4, .nla_type = RTA_GATEWAY } };
	struct route4 r;

	inet_pton(AF_INET, "172.18.0.9", &hop.gw);
	assert_int_equal(nla_put(m, RTA_MULTIPATH, sizeof(hop), &hop), 0);
	assert_int_equal(route_parse_route(nlmsg_hdr(m), &r), 1);
	assert_int_equal(r.dst.len, 0);
	assert_int_equal(r.dst.addr, 0);
	assert_int_equal(r.oif, 4);
	assert_int_equal(r.gw, 0xac120009);
	nlmsg_free(m);
}

/* A next hop whose rtnh_len runs past RTA_MULTIPATH would make the parser
 * read the attributes after it as the hop's own: malformed. */
static void
test_multipath_hop_overruns(void **state)
{
	struct nl_msg *m = route_msg(AF_INET, 24, RT_TABLE_MAIN, 0);
	struct rtnexthop nh = { .rtnh_len = sizeof(nh) + NLA_HDRLEN + 4, .rtnh_ifindex = 4 };
	struct route4 r;

	put_ip(m, RTA_DST, "10.244.0.0");
	assert_int_equal(nla_put(m, RTA_MULTIPATH, sizeof(nh), &nh), 0);
	/* what the hop's length reaches into: a gateway outside the hop */
	put_ip(m, RTA_GATEWAY, "172.18.0.66");
	assert_int_equal(route_parse_route(nlmsg_hdr(m), &r), -EINVAL);
	nlmsg_free(m);

	/* a hop shorter than its own header is malformed too */
	m = route_msg(AF_INET, 24, RT_TABLE_MAIN, 0);
	nh.rtnh_len = 4;
	assert_int_equal(nla_put(m, RTA_MULTIPATH, sizeof(nh), &nh), 0);
	assert_int_equal(route_parse_route(nlmsg_hdr(m), &r), -EINVAL);
	nlmsg_free(m);
}

/* A u32 attribute with fewer than 4 bytes is malformed, not read past. */
static void
test_short_u32_attrs(void **state)
{
	static const int route_attrs[] = { RTA_OIF, RTA_PRIORITY, RTA_TABLE };
	static const int link_attrs[] = { IFLA_MTU, IFLA_MASTER };
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = 5 };
	uint8_t one[2] = { 7, 0 };
	struct route4 r;
	struct link l;
	struct nl_msg *m;

	for (size_t i = 0; i < sizeof(route_attrs) / sizeof(route_attrs[0]); i++) {
		struct rtmsg rtm = { .rtm_family = AF_INET, .rtm_dst_len = 24,
				     .rtm_table = RT_TABLE_MAIN, .rtm_type = RTN_UNICAST };

		m = nlmsg_alloc_simple(RTM_NEWROUTE, 0);
		assert_int_equal(nlmsg_append(m, &rtm, sizeof(rtm), NLMSG_ALIGNTO), 0);
		put_ip(m, RTA_DST, "10.244.0.0");
		assert_int_equal(nla_put(m, route_attrs[i], 1, one), 0);
		assert_int_equal(route_parse_route(nlmsg_hdr(m), &r), -EINVAL);
		nlmsg_free(m);
	}
	for (size_t i = 0; i < sizeof(link_attrs) / sizeof(link_attrs[0]); i++) {
		m = nlmsg_alloc_simple(RTM_NEWLINK, 0);
		assert_int_equal(nlmsg_append(m, &ifi, sizeof(ifi), NLMSG_ALIGNTO), 0);
		assert_int_equal(nla_put_string(m, IFLA_IFNAME, "eth0"), 0);
		assert_int_equal(nla_put(m, link_attrs[i], 2, one), 0);
		assert_int_equal(route_parse_link(nlmsg_hdr(m), &l), -EINVAL);
		nlmsg_free(m);
	}
}

static void
test_host_bits_cleared(void **state)
{
	struct nl_msg *m = route_msg(AF_INET, 16, RT_TABLE_MAIN, 0);
	struct route4 r;

	put_ip(m, RTA_DST, "10.244.3.4");
	assert_int_equal(route_parse_route(nlmsg_hdr(m), &r), 1);
	assert_int_equal(r.dst.addr, 0x0af40000);
	nlmsg_free(m);
}

static void
test_link(void **state)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = 5, .ifi_flags = 0x1043 };
	struct nl_msg *m = nlmsg_alloc_simple(RTM_NEWLINK, NLM_F_MULTI);
	struct nlattr *info;
	struct link l;

	assert_int_equal(nlmsg_append(m, &ifi, sizeof(ifi), NLMSG_ALIGNTO), 0);
	assert_int_equal(nla_put_string(m, IFLA_IFNAME, "br0"), 0);
	assert_int_equal(nla_put_u32(m, IFLA_MTU, 1500), 0);
	assert_int_equal(nla_put_u32(m, IFLA_MASTER, 2), 0);
	info = nla_nest_start(m, IFLA_LINKINFO);
	assert_int_equal(nla_put_string(m, IFLA_INFO_KIND, "bridge"), 0);
	nla_nest_end(m, info);
	assert_int_equal(route_parse_link(nlmsg_hdr(m), &l), 1);
	assert_string_equal(l.name, "br0");
	assert_string_equal(l.kind, "bridge");
	assert_int_equal(l.index, 5);
	assert_int_equal(l.mtu, 1500);
	assert_int_equal(l.master, 2);
	nlmsg_free(m);

	/* A link without a name is malformed. */
	m = nlmsg_alloc_simple(RTM_NEWLINK, 0);
	assert_int_equal(nlmsg_append(m, &ifi, sizeof(ifi), NLMSG_ALIGNTO), 0);
	assert_int_equal(route_parse_link(nlmsg_hdr(m), &l), -EINVAL);
	nlmsg_free(m);
}

static void
test_addr(void **state)
{
	struct ifaddrmsg ifa = { .ifa_family = AF_INET, .ifa_prefixlen = 32, .ifa_index = 3 };
	struct nl_msg *m = nlmsg_alloc_simple(RTM_NEWADDR, NLM_F_MULTI);
	struct addr4 a;

	assert_int_equal(nlmsg_append(m, &ifa, sizeof(ifa), NLMSG_ALIGNTO), 0);
	/* point-to-point: IFA_ADDRESS is the peer, IFA_LOCAL is ours */
	put_ip(m, IFA_ADDRESS, "10.244.0.9");
	put_ip(m, IFA_LOCAL, "10.244.0.1");
	assert_int_equal(route_parse_addr(nlmsg_hdr(m), &a), 1);
	assert_int_equal(a.local, 0x0af40001);
	assert_int_equal(a.len, 32);
	assert_int_equal(a.ifindex, 3);
	nlmsg_free(m);
}

static void
test_nlerr(void **state)
{
	assert_int_equal(route_nlerr(0), 0);
	assert_int_equal(route_nlerr(-NLE_EXIST), -EEXIST);
	assert_int_equal(route_nlerr(-NLE_NOMEM), -ENOMEM);
	assert_int_equal(route_nlerr(-NLE_PERM), -EPERM);
	assert_int_equal(route_nlerr(-NLE_DUMP_INTR), -EINTR);
	assert_int_equal(route_nlerr(-NLE_FAILURE), -EPROTO);
	assert_int_equal(route_nlerr(-999), -EPROTO);
}

/* The route attributes are walked by hand as libnl's nla_parse() did:
 * the flag bits of a type masked, the last of a type read, one podreach
 * does not read accepted at any length, a header cut short malformed. */
static void
test_route_attr_walk(void **state)
{
	struct nl_msg *m = route_msg(AF_INET, 24, RT_TABLE_MAIN, 0);
	uint8_t odd[3] = { 1, 2, 3 };
	struct route4 r;

	put_ip(m, RTA_DST, "10.244.0.0");
	put_ip(m, RTA_GATEWAY, "172.18.0.2");
	put_ip(m, RTA_GATEWAY | NLA_F_NET_BYTEORDER, "172.18.0.3");
	assert_int_equal(nla_put(m, RTA_MARK, 3, odd), 0);
	assert_int_equal(route_parse_route(nlmsg_hdr(m), &r), 1);
	assert_int_equal(r.gw, 0xac120003);
	assert_int_equal(r.dst.addr, 0x0af40000);
	nlmsg_hdr(m)->nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg)) - 1;
	assert_int_equal(route_parse_route(nlmsg_hdr(m), &r), -EINVAL);
	nlmsg_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_route),
		cmocka_unit_test(test_route_skips),
		cmocka_unit_test(test_default_route_and_multipath),
		cmocka_unit_test(test_multipath_hop_overruns),
		cmocka_unit_test(test_short_u32_attrs),
		cmocka_unit_test(test_route_attr_walk),
		cmocka_unit_test(test_host_bits_cleared),
		cmocka_unit_test(test_link),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_nlerr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
