/* The planner: one decision per remote pod CIDR, from plain structs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <cmocka.h>

#include "plan_fixture.h"

static int
setup(void **state)
{
	fx_reset();
	return 0;
}

/* Plans one remote node with one CIDR and returns its single decision. */
static struct plan_route
plan_one(uint32_t node_ip, const char *cidr, struct prefix4 *svc)
{
	struct prefix4 c = fx_p(cidr);
	struct plan_remote rm = { .node_ip = node_ip, .cidrs = &c, .ncidrs = 1 };
	struct plan_input in = fx_input(&rm, 1);
	struct plan p;
	struct plan_route pr;

	in.service_cidr = svc;
	assert_int_equal(plan_build(&in, &p), 0);
	assert_int_equal(p.n, 1);
	pr = p.routes[0];
	plan_free(&p);
	return pr;
}

static void
test_missing(void **state)
{
	struct plan_route pr = plan_one(IP4(172, 18, 0, 2), "10.244.0.0/24", NULL);

	assert_int_equal(pr.state, PLAN_MISSING);
	assert_int_equal(pr.action, ACT_ADD);
	assert_int_equal(pr.oif, 2);
	assert_int_equal(pr.via, IP4(172, 18, 0, 2));
}

static void
test_ok_owned_and_foreign(void **state)
{
	struct plan_route pr;

	fx_add_route((struct route4){ .dst = fx_p("10.244.0.0/24"), .gw = IP4(172, 18, 0, 2),
				      .oif = 2, .protocol = PODREACH_RTPROT });
	pr = plan_one(IP4(172, 18, 0, 2), "10.244.0.0/24", NULL);
	assert_int_equal(pr.state, PLAN_OK);
	assert_true(pr.owned);
	assert_int_equal(pr.action, ACT_NONE);

	fx_reset();
	fx_add_route((struct route4){ .dst = fx_p("10.244.0.0/24"), .gw = IP4(172, 18, 0, 2),
				      .oif = 2, .protocol = RTPROT_STATIC });
	pr = plan_one(IP4(172, 18, 0, 2), "10.244.0.0/24", NULL);
	assert_int_equal(pr.state, PLAN_OK);	/* right, though someone else's */
	assert_false(pr.owned);
}

static void
test_wrong_gateway_is_replaced_only_when_ours(void **state)
{
	struct plan_route pr;
	struct route4 want;

	fx_add_route((struct route4){ .dst = fx_p("10.244.0.0/24"), .gw = IP4(172, 18, 0, 7),
				      .oif = 2, .protocol = PODREACH_RTPROT, .priority = 20 });
	pr = plan_one(IP4(172, 18, 0, 2), "10.244.0.0/24", NULL);
	assert_int_equal(pr.state, PLAN_WRONG_GW);
	assert_int_equal(pr.action, ACT_REPLACE);
	want = plan_route4(&pr);
	assert_int_equal(want.gw, IP4(172, 18, 0, 2));
	assert_int_equal(want.priority, 20);	/* replace matches on the metric */
	assert_int_equal(want.protocol, PODREACH_RTPROT);

	fx_reset();
	fx_add_route((struct route4){ .dst = fx_p("10.244.0.0/24"), .gw = IP4(172, 18, 0, 7),
				      .oif = 2, .protocol = RTPROT_BOOT });
	pr = plan_one(IP4(172, 18, 0, 2), "10.244.0.0/24", NULL);
	assert_int_equal(pr.state, PLAN_CONFLICT);
	assert_int_equal(pr.action, ACT_NONE);
	assert_false(pr.owned);
}

static void
test_blackhole_is_a_conflict(void **state)
{
	struct plan_route pr;

	fx_add_route((struct route4){ .dst = fx_p("10.244.0.0/24"), .type = RTN_BLACKHOLE,
				      .protocol = RTPROT_BOOT });
	pr = plan_one(IP4(172, 18, 0, 2), "10.244.0.0/24", NULL);
	assert_int_equal(pr.state, PLAN_CONFLICT);
}

static void
test_lowest_metric_decides(void **state)
{
	struct plan_route pr;

	fx_add_route((struct route4){ .dst = fx_p("10.244.0.0/24"), .gw = IP4(172, 18, 0, 9),
				      .oif = 2, .protocol = RTPROT_BOOT, .priority = 100 });
	fx_add_route((struct route4){ .dst = fx_p("10.244.0.0/24"), .gw = IP4(172, 18, 0, 2),
				      .oif = 2, .protocol = PODREACH_RTPROT, .priority = 0 });
	pr = plan_one(IP4(172, 18, 0, 2), "10.244.0.0/24", NULL);
	assert_int_equal(pr.state, PLAN_OK);
}

static void
test_rails(void **state)
{
	struct prefix4 svc = fx_p("10.96.0.0/12");
	static const struct { const char *cidr; enum plan_why why; } cases[] = {
		{ "0.0.0.0/0", WHY_DEFAULT },
		{ "8.8.8.0/24", WHY_NOT_ALLOWED },
		{ "10.0.0.0/7", WHY_NOT_ALLOWED },	/* wider than every allowed range */
		{ "10.245.0.0/24", WHY_POD_OVERLAP },	/* the local pod CIDR */
		{ "10.245.3.0/24", WHY_POD_OVERLAP },	/* inside the cluster CIDR */
		{ "10.96.0.0/16", WHY_SERVICE_OVERLAP },	/* inside the service CIDR */
		{ "10.64.0.0/10", WHY_SERVICE_OVERLAP },	/* holds all of it: overlap, not containment */
		{ "172.18.0.0/16", WHY_IFACE_OVERLAP },	/* the bridge subnet */
		{ "172.18.5.0/24", WHY_IFACE_OVERLAP },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct plan_route pr = plan_one(IP4(172, 18, 0, 2), cases[i].cidr, &svc);

		if (pr.state != PLAN_REJECTED || pr.why != cases[i].why)
			fail_msg("%s: state %d why %d, want why %d", cases[i].cidr, pr.state, pr.why,
				 cases[i].why);
		assert_int_equal(pr.action, ACT_NONE);
	}
}

static void
test_self_and_not_on_link(void **state)
{
	struct plan_route pr = plan_one(IP4(172, 18, 0, 4), "10.244.0.0/24", NULL);

	assert_int_equal(pr.why, WHY_SELF);
	/* Any address of ours, not only the node IP: the pod gateway here. */
	pr = plan_one(IP4(10, 245, 0, 1), "10.244.0.0/24", NULL);
	assert_int_equal(pr.why, WHY_SELF);
	/* The bridge's network and broadcast addresses are nobody's: refused
	 * (the kernel would answer EINVAL for ever); their neighbours pass. */
	assert_int_equal(plan_one(IP4(172, 18, 0, 0), "10.244.0.0/24", NULL).why, WHY_GW_SPECIAL);
	assert_int_equal(plan_one(IP4(172, 18, 255, 255), "10.244.0.0/24", NULL).why,
			 WHY_GW_SPECIAL);
	assert_int_equal(plan_one(IP4(172, 18, 0, 1), "10.244.0.0/24", NULL).why, WHY_NONE);
	assert_int_equal(plan_one(IP4(172, 18, 255, 254), "10.244.0.0/24", NULL).why, WHY_NONE);
	pr = plan_one(IP4(192, 168, 9, 9), "10.244.0.0/24", NULL);
	assert_int_equal(pr.why, WHY_NOT_ONLINK);
	assert_int_equal(pr.state, PLAN_REJECTED);
	assert_int_equal(pr.action, ACT_NONE);
}

static void
test_remote_overlap_spares_good_routes(void **state)
{
	struct prefix4 a[] = { fx_p("10.244.0.0/24") }, b[] = { fx_p("10.244.0.0/16") },
		       c[] = { fx_p("10.246.0.0/24"), fx_p("0.0.0.0/0") };
	struct plan_remote rm[] = {
		{ .node_ip = IP4(172, 18, 0, 2), .cidrs = a, .ncidrs = 1 },
		{ .node_ip = IP4(172, 18, 0, 3), .cidrs = b, .ncidrs = 1 },
		{ .node_ip = IP4(172, 18, 0, 5), .cidrs = c, .ncidrs = 2 },
	};
	struct plan_input in = fx_input(rm, 3);
	struct plan p;

	assert_int_equal(plan_build(&in, &p), 0);
	assert_int_equal(p.n, 4);
	assert_int_equal(p.routes[0].why, WHY_REMOTE_OVERLAP);
	assert_int_equal(p.routes[0].clash_node, IP4(172, 18, 0, 3));
	assert_int_equal(p.routes[1].why, WHY_REMOTE_OVERLAP);
	/* A hostile default route must not take the good ones down. */
	assert_int_equal(p.routes[2].state, PLAN_MISSING);
	assert_int_equal(p.routes[3].why, WHY_DEFAULT);
	plan_free(&p);
	plan_free(NULL);
}

/* Nesting found wherever the inner range starts; ranges of one node may
 * nest (its own business); the clash named is the first in plan order. */
static void
test_remote_overlap_nested(void **state)
{
	struct prefix4 a[] = { fx_p("10.244.0.0/16"), fx_p("10.244.9.0/24") },
		       b[] = { fx_p("10.244.7.0/24") }, c[] = { fx_p("10.250.0.0/24") },
		       d[] = { fx_p("10.244.7.128/25") };
	struct plan_remote rm[] = {
		{ .node_ip = IP4(172, 18, 0, 3), .cidrs = a, .ncidrs = 2 },
		{ .node_ip = IP4(172, 18, 0, 2), .cidrs = b, .ncidrs = 1 },
		{ .node_ip = IP4(172, 18, 0, 5), .cidrs = c, .ncidrs = 1 },
		{ .node_ip = IP4(172, 18, 0, 6), .cidrs = d, .ncidrs = 1 },
	};
	struct plan_input in = fx_input(rm, 4);
	struct plan p;

	assert_int_equal(plan_build(&in, &p), 0);
	assert_int_equal(p.n, 5);
	assert_int_equal(p.routes[0].why, WHY_REMOTE_OVERLAP);
	assert_int_equal(p.routes[0].clash_node, IP4(172, 18, 0, 2));
	assert_int_equal(p.routes[1].state, PLAN_MISSING);	/* inside its own node's /16 only */
	assert_int_equal(p.routes[2].why, WHY_REMOTE_OVERLAP);
	assert_int_equal(p.routes[2].clash_node, IP4(172, 18, 0, 3));
	assert_int_equal(p.routes[3].state, PLAN_MISSING);
	assert_int_equal(p.routes[4].why, WHY_REMOTE_OVERLAP);
	assert_int_equal(p.routes[4].clash_node, IP4(172, 18, 0, 3));
	plan_free(&p);
}

/* 60,000 claims plan in address order, not pair by pair: a cluster at the
 * route bound costs a fraction of a second, duplicates and all. */
static void
test_many_claims(void **state)
{
	enum { N = 60000 };
	static struct prefix4 c[N];
	static struct plan_remote rm[N + 1];
	struct plan_input in;
	struct plan p;
	clock_t t0 = clock();

	for (size_t i = 0; i < N; i++) {
		c[i] = (struct prefix4){ IP4(10, 100, 0, 0) + (uint32_t)i * 16, 28 };
		rm[i] = (struct plan_remote){ .node_ip = IP4(172, 18, 1, 0) + (uint32_t)i,
					      .cidrs = &c[i], .ncidrs = 1 };
	}
	rm[N] = rm[7];		/* the same claim twice */
	in = fx_input(rm, N + 1);
	assert_int_equal(plan_build(&in, &p), 0);
	assert_int_equal(p.n, N);
	for (size_t i = 0; i < N; i++)
		if (p.routes[i].state != PLAN_MISSING || p.routes[i].remote != i)
			fail_msg("route %zu: %s", i, plan_state_name(p.routes[i].state));
	plan_free(&p);
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 3.0);
}

/* The right gateway on the wrong interface is not right. */
static void
test_interface_counts(void **state)
{
	struct plan_route pr;

	fx_add_route((struct route4){ .dst = fx_p("10.244.0.0/24"), .gw = IP4(172, 18, 0, 2),
				      .oif = 3, .protocol = PODREACH_RTPROT });
	pr = plan_one(IP4(172, 18, 0, 2), "10.244.0.0/24", NULL);
	assert_int_equal(pr.state, PLAN_WRONG_GW);
	assert_int_equal(pr.action, ACT_REPLACE);
	assert_int_equal(plan_route4(&pr).oif, 2);
	fx_reset();
	fx_add_route((struct route4){ .dst = fx_p("10.244.0.0/24"), .gw = IP4(172, 18, 0, 2),
				      .oif = 3, .protocol = RTPROT_BOOT });
	pr = plan_one(IP4(172, 18, 0, 2), "10.244.0.0/24", NULL);
	assert_int_equal(pr.state, PLAN_CONFLICT);
}

/* The same node listed twice (a seed and --remote, two peers answering for
 * it) plans its range once: two adds would make the second fail with EEXIST. */
static void
test_same_claim_twice_is_planned_once(void **state)
{
	struct prefix4 c[2] = { fx_p("10.244.0.0/24"), fx_p("10.244.0.0/24") };
	struct plan_remote rm[2] = { { .node_ip = IP4(172, 18, 0, 2), .cidrs = c, .ncidrs = 2 },
				     { .node_ip = IP4(172, 18, 0, 2), .cidrs = c, .ncidrs = 1 } };
	struct plan_input in = fx_input(rm, 2);
	struct plan p;

	assert_int_equal(plan_build(&in, &p), 0);
	assert_int_equal(p.n, 1);
	assert_int_equal(p.routes[0].state, PLAN_MISSING);
	assert_int_equal(p.routes[0].action, ACT_ADD);
	plan_free(&p);
}

static void
test_empty(void **state)
{
	struct plan_input in = fx_input(NULL, 0);
	struct plan p;

	assert_int_equal(plan_build(&in, &p), 0);
	assert_int_equal(p.n, 0);
	assert_null(p.routes);
	assert_string_equal(plan_state_name(PLAN_WRONG_GW), "wrong-gateway");
	assert_string_equal(plan_state_name(PLAN_INSTALLED), "installed");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_missing, setup),
		cmocka_unit_test_setup(test_ok_owned_and_foreign, setup),
		cmocka_unit_test_setup(test_wrong_gateway_is_replaced_only_when_ours, setup),
		cmocka_unit_test_setup(test_blackhole_is_a_conflict, setup),
		cmocka_unit_test_setup(test_lowest_metric_decides, setup),
		cmocka_unit_test_setup(test_rails, setup),
		cmocka_unit_test_setup(test_self_and_not_on_link, setup),
		cmocka_unit_test_setup(test_remote_overlap_spares_good_routes, setup),
		cmocka_unit_test_setup(test_remote_overlap_nested, setup),
		cmocka_unit_test_setup(test_many_claims, setup),
		cmocka_unit_test_setup(test_interface_counts, setup),
		cmocka_unit_test_setup(test_same_claim_twice_is_planned_once, setup),
		cmocka_unit_test_setup(test_empty, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
