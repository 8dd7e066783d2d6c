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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
