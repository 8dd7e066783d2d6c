/* A node of cluster2 as the kernel shows it: shared by the planner and
 * report tests.  Header-only, static, test use only. */
#ifndef PODREACH_PLAN_FIXTURE_H
#define PODREACH_PLAN_FIXTURE_H

#include <linux/rtnetlink.h>
#include <string.h>

#include "agent/core/cidr.h"
#include "agent/core/plan.h"

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static struct link fx_links[] = {
	{ .index = 1, .name = "lo", .flags = 0x49, .mtu = 65536 },
	{ .index = 2, .name = "eth0", .kind = "veth", .flags = 0x1043, .mtu = 1500 },
	{ .index = 3, .name = "veth1a2b3c4d", .kind = "veth", .flags = 0x1043, .mtu = 1500 },
};
static struct addr4 fx_addrs[] = {
	{ 1, IP4(127, 0, 0, 1), 8 },
	{ 2, IP4(172, 18, 0, 4), 16 },
	{ 3, IP4(10, 245, 0, 1), 32 },	/* the ptp gateway of a pod */
};
static struct route4 fx_routes[16] = {
	{ .dst = { 0, 0 }, .gw = IP4(172, 18, 0, 1), .oif = 2, .table = 254, .protocol = RTPROT_BOOT,
	  .type = RTN_UNICAST },
	{ .dst = { IP4(172, 18, 0, 0), 16 }, .oif = 2, .table = 254, .protocol = RTPROT_KERNEL,
	  .scope = RT_SCOPE_LINK, .prefsrc = IP4(172, 18, 0, 4), .type = RTN_UNICAST },
	{ .dst = { IP4(10, 245, 0, 7), 32 }, .oif = 3, .table = 254, .protocol = RTPROT_BOOT,
	  .scope = RT_SCOPE_HOST, .type = RTN_UNICAST },
};
static const size_t fx_nroutes_base = 3;

static struct kview fx_kv;

static void
fx_reset(void)
{
	fx_kv = (struct kview){ fx_links, 3, fx_addrs, 3, fx_routes, fx_nroutes_base };
	memset(&fx_routes[fx_nroutes_base], 0, sizeof(fx_routes) - fx_nroutes_base * sizeof(fx_routes[0]));
}

static void
fx_add_route(struct route4 r)
{
	r.table = 254;
	if (!r.type)
		r.type = RTN_UNICAST;
	fx_routes[fx_kv.nroutes++] = r;
}

static struct prefix4
fx_p(const char *s)
{
	struct prefix4 p = { 0 };
	char err[128];

	cidr_parse(s, &p, err, sizeof(err));
	return p;
}

static struct prefix4 fx_pod[1], fx_cluster[1], fx_allow[4];

/* An input with the kind defaults: local pods 10.245.0.0/24 of 10.245.0.0/16. */
static __attribute__((unused)) struct plan_input
fx_input(const struct plan_remote *remotes, size_t n)
{
	fx_pod[0] = fx_p("10.245.0.0/24");
	fx_cluster[0] = fx_p("10.245.0.0/16");
	fx_allow[0] = fx_p("10.0.0.0/8");
	fx_allow[1] = fx_p("172.16.0.0/12");
	fx_allow[2] = fx_p("192.168.0.0/16");
	fx_allow[3] = fx_p("100.64.0.0/10");
	return (struct plan_input){
		.kv = &fx_kv, .node_ip = IP4(172, 18, 0, 4),
		.pod_cidrs = fx_pod, .npod = 1, .cluster_cidrs = fx_cluster, .ncluster = 1,
		.allow = fx_allow, .nallow = 4, .remotes = remotes, .nremotes = n,
	};
}

#endif
