/* What keeps a large or hostile cluster bounded: interned firewall strings,
 * the route bounds per Node, per cluster and overall, and the damping of a
 * flapping Node.  Pure; no root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <jansson.h>

#include "agent/core/clusters.h"
#include "agent/core/damp.h"
#include "agent/core/cfg.h"
#include "agent/core/diag.h"
#include "agent/core/render.h"
#include "agent/core/report.h"
#include "agent/core/strpool.h"
#include "plan_fixture.h"

/* Equal strings come back as one pointer, however many times and through
 * however many growths; distinct ones stay distinct. */
static void
test_strpool_interns(void **state)
{
	struct strpool *p = strpool_new();
	const char *first[300];
	char buf[32];

	assert_non_null(p);
	for (int i = 0; i < 300; i++) {
		snprintf(buf, sizeof(buf), "rule %d", i);
		assert_non_null(first[i] = strpool_intern(p, buf));
		assert_string_equal(first[i], buf);
	}
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < 300; i++) {
			snprintf(buf, sizeof(buf), "rule %d", i);
			assert_ptr_equal(strpool_intern(p, buf), first[i]);
		}
	assert_int_equal(strpool_count(p), 300);
	assert_ptr_equal(strpool_intern(p, ""), strpool_intern(p, ""));
	assert_int_equal(strpool_count(p), 301);
	strpool_free(p);
	strpool_free(NULL);
}

/* The bounds: a Node over 4 CIDRs is refused whole; a cluster stops at
 * 10,000 routes (the Node that would cross it is not split); all clusters at
 * 65,536; a refusal charges nothing. */
static void
test_bounds(void **state)
{
	struct clusters_budget b = { 0 };
	size_t routed = 0;

	assert_int_equal(clusters_take(&b, 5), BOUND_NODE);
	assert_int_equal(clusters_take(&b, 16), BOUND_NODE);
	assert_int_equal(b.cluster + b.total, 0);
	for (int i = 0; i < 3333; i++)
		assert_int_equal(clusters_take(&b, 3), BOUND_OK);
	assert_int_equal(clusters_take(&b, 2), BOUND_CLUSTER);
	assert_int_equal(clusters_take(&b, 1), BOUND_OK);
	assert_int_equal(b.cluster, CLUSTERS_ROUTES);
	assert_int_equal(clusters_take(&b, 1), BOUND_CLUSTER);
	/* Seven clusters of 10,000: the seventh stops at 65,536 in all. */
	for (int c = 1; c < 7; c++) {
		b.cluster = 0;
		for (int i = 0; i < 2500; i++)
			routed += clusters_take(&b, 4) == BOUND_OK;
	}
	assert_int_equal(b.total, CLUSTERS_ROUTES_TOTAL);
	assert_int_equal(routed, (CLUSTERS_ROUTES_TOTAL - CLUSTERS_ROUTES) / 4);
	assert_int_equal(clusters_take(&b, 1), BOUND_TOTAL);
	assert_non_null(strstr(clusters_bound_name(BOUND_NODE), "4 pod CIDRs per Node"));
}

/* Nodes left out by a bound: one error naming the cluster and the counts,
 * whatever their number; none when all are routed. */
static void
test_bounds_reported(void **state)
{
	static struct report r;
	struct report_cluster c = { .name = "c1", .source = "kubernetes", .state = "synced",
				    .nodes = 5000 };

	r.clusters = &c;
	r.nclusters = 1;
	diag_run(&r);
	assert_int_equal(r.nproblems, 0);
	c.unrouted[BOUND_CLUSTER] = 2500;
	c.unrouted[BOUND_NODE] = 3;
	c.unrouted_cidrs = 10048;
	diag_run(&r);
	assert_int_equal(r.nproblems, 1);
	assert_int_equal(r.problems[0].code, PC_CIDR_REJECTED);
	assert_int_equal(r.problems[0].sev, SEV_ERROR);
	assert_string_equal(r.problems[0].message, "cluster c1: 2503 Nodes (10048 pod CIDRs) not "
			    "routed: 3 more than 4 pod CIDRs per Node, 2500 past 10000 routes per "
			    "cluster");
}

/* A Node flapping every 10 ms for 25 s: its routes move at once the first
 * time, then at most once per hold, to the latest address; back where it is
 * routed is no move. */
static void
test_damping(void **state)
{
	struct damp d = { .routed = IP4(172, 18, 0, 2) };
	double due = -1;
	int moves = 0;

	assert_false(damp_see(&d, IP4(172, 18, 0, 2), 1.0, DAMP_HOLD, &due));
	assert_true(damp_see(&d, IP4(172, 18, 0, 9), 1.0, DAMP_HOLD, &due));
	assert_int_equal(d.prev, IP4(172, 18, 0, 2));
	assert_int_equal(d.routed, IP4(172, 18, 0, 9));
	assert_false(damp_see(&d, IP4(172, 18, 0, 2), 1.5, DAMP_HOLD, &due));
	assert_true(d.held);
	assert_true(due == 1.0 + DAMP_HOLD);
	assert_false(damp_see(&d, IP4(172, 18, 0, 9), 1.6, DAMP_HOLD, &due));
	assert_false(d.held);
	for (int i = 0; i < 2500; i++)
		moves += damp_see(&d, i % 2 ? IP4(172, 18, 0, 9) : IP4(172, 18, 0, 2),
				  2.0 + i * 0.01, DAMP_HOLD, &due);
	assert_int_equal(moves, 2);	/* at 11.0 and at 21.0 */
	assert_int_equal(d.moved_at, 21.0);
}

/* Our route via the node's previous address is a move, not a repair; via
 * anything else it is still a repair. */
static void
test_move_is_not_repair(void **state)
{
	struct prefix4 c[] = { fx_p("10.244.0.0/24") };
	struct plan_remote rm[] = { { .node_ip = IP4(172, 18, 0, 3), .prev_via = IP4(172, 18, 0, 2),
				      .cidrs = c, .ncidrs = 1 } };
	struct plan_input in;
	struct plan p;

	fx_reset();
	fx_add_route((struct route4){ .dst = c[0], .gw = IP4(172, 18, 0, 2), .oif = 2,
				      .protocol = PODREACH_RTPROT });
	in = fx_input(rm, 1);
	assert_int_equal(plan_build(&in, &p), 0);
	assert_int_equal(p.routes[0].action, ACT_REPLACE);
	assert_true(p.routes[0].moved);
	plan_free(&p);
	fx_routes[fx_kv.nroutes - 1].gw = IP4(172, 18, 0, 7);
	assert_int_equal(plan_build(&in, &p), 0);
	assert_int_equal(p.routes[0].action, ACT_REPLACE);
	assert_false(p.routes[0].moved);
	plan_free(&p);
}

/* A large report's arrays: one compact element per line past 1,000, the
 * whole still one valid JSON document holding every element. */
static void
test_large_report_json(void **state)
{
	static struct report r;
	static struct report_fw fw[1500];
	static struct cfg c;
	json_t *root;
	char *s;

	snprintf(c.cluster, sizeof(c.cluster), "c2");
	snprintf(c.node_name, sizeof(c.node_name), "n1");
	for (size_t i = 0; i < 1500; i++)
		fw[i] = (struct report_fw){ .src = "10.245.0.0/24", .dst = "10.128.0.0/24", .dport = 9750,
					    .hook = "forward", .verdict = "accept", .table = "",
					    .chain = "", .rule = "", .reason = "" };
	r.cfg = &c;
	r.version = "0";
	r.fw = fw;
	r.nfw = 1500;
	assert_non_null(s = render_json(&r));
	assert_non_null(root = json_loads(s, 0, NULL));
	assert_int_equal(json_array_size(json_object_get(root, "firewall")), 1500);
	assert_non_null(strstr(s, "\n    {\"src\":\"10.245.0.0/24\",\"dst\""));
	assert_true(strlen(s) < 1500 * 170);
	json_decref(root);
	free(s);
}

/* The receiver's way back at the bound of 65,536 remote CIDRs, each routed
 * here (on the bridge, the way it arrives): looked at without a walk of the
 * whole table per source (65,536 x 2 x 65,536 would take minutes), and the
 * one remote node whose IP a foreign route takes elsewhere still found. */
static void
test_back_at_scale(void **state)
{
	enum { N = CLUSTERS_ROUTES_TOTAL };
	static struct report r;
	static struct cfg c;
	struct route4 *routes = calloc(N + 4, sizeof(*routes));
	struct plan p = { .routes = calloc(N, sizeof(*p.routes)), .n = N };
	struct plan_remote *rm = calloc(N / 4, sizeof(*rm));
	struct kview kv = { fx_links, 3, fx_addrs, 3, routes, 0 };
	struct timespec t0, t1;
	double ms;

	assert_non_null(routes);
	assert_non_null(p.routes);
	assert_non_null(rm);
	routes[kv.nroutes++] = (struct route4){ .dst = { IP4(172, 18, 0, 0), 16 }, .oif = 2,
						.type = RTN_UNICAST };
	for (uint32_t i = 0; i < N; i++) {
		struct plan_route *pr = &p.routes[i];

		*pr = (struct plan_route){ .dst = { IP4(10, 0, 0, 0) + (i << 8), 24 }, .oif = 2,
					   .via = IP4(172, 18, 0, 0) + 2 + i / 4, .state = PLAN_OK,
					   .remote = i / 4 };
		rm[i / 4].node_ip = pr->via;
		routes[kv.nroutes++] = (struct route4){ .dst = pr->dst, .gw = pr->via, .oif = 2,
							.protocol = PODREACH_RTPROT, .type = RTN_UNICAST };
	}
	routes[kv.nroutes++] = (struct route4){ .dst = { IP4(172, 18, 64, 1), 32 }, .oif = 3,
						.type = RTN_UNICAST };
	/* The default route out of another device holds every source: no reason
	 * to walk the table for each. */
	routes[kv.nroutes++] = (struct route4){ .dst = { 0, 0 }, .gw = IP4(10, 245, 0, 9), .oif = 3,
						.type = RTN_UNICAST };
	snprintf(c.node_name, sizeof(c.node_name), "n1");
	r = (struct report){ .cfg = &c, .kv = &kv, .plan = &p, .remotes = rm, .nremotes = N / 4,
			     .has_sysctl = true,
			     .sysctl = { .ip_forward = 1, .rp_all = 1 }, .bridge_dev = "eth0" };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	diag_run(&r);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	printf("# the way back of %d remote CIDRs and %d nodes: %.1f ms\n", N, N / 4, ms);
	assert_true(ms < 2000);
	assert_int_equal(r.nproblems, 1);
	assert_int_equal(r.problems[0].code, PC_RP_FILTER_STRICT);
	assert_non_null(strstr(r.problems[0].message, "from 172.18.64.1 (node 172.18.64.1): the "
			       "route back to it leaves through veth1a2b3c4d"));
	free(routes);
	free(p.routes);
	free(rm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strpool_interns),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_bounds_reported),
		cmocka_unit_test(test_damping),
		cmocka_unit_test(test_move_is_not_repair),
		cmocka_unit_test(test_large_report_json),
		cmocka_unit_test(test_back_at_scale),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
