/* The reconcile core against a fake kernel: what enforce asks the kernel to
 * do, what it does when the kernel refuses, and what the report then says.
 * No root, no netlink. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "agent/core/cfg.h"
#include "agent/core/diag.h"
#include "agent/core/reconcile.h"
#include "agent/core/report.h"
#include "plan_fixture.h"

/* The fake kernel: records every request, refuses when told to. */
struct fake {
	struct { enum rc_op op; struct route4 r; } calls[8];
	size_t ncalls;
	int refuse;		/* -errno for every apply, or 0 */
	size_t lookups;
};

static int
fake_apply(void *ctx, enum rc_op op, const struct route4 *r)
{
	struct fake *f = ctx;

	if (f->ncalls < 8)
		f->calls[f->ncalls++] = (typeof(f->calls[0])){ op, *r };
	return f->refuse;
}

static int
fake_lookup(void *ctx, uint32_t dst, struct route4 *out)
{
	struct fake *f = ctx;

	f->lookups++;
	*out = (struct route4){ .dst = { dst, 32 }, .gw = IP4(172, 18, 0, 1), .oif = 2,
				.type = RTN_UNICAST };
	return 0;
}

static void
fake_settings(void *ctx, const char *dev, struct node_sysctl *out)
{
	*out = (struct node_sysctl){ .ip_forward = 1 };
}

static struct cfg cfg;
static struct fake fk;
static struct rc_kernel kern = { fake_apply, fake_lookup, fake_settings, &fk };
static struct prefix4 c1[1], c2[1];
static struct plan_remote rem[2];

static void
setup_cfg(const char *mode)
{
	char *argv[] = { "check", "--cluster", "cluster2", "--node-name", "c2n1", "--node-ip",
			 "172.18.0.4", "--pod-cidr", "10.245.0.0/24", "--mode", (char *)mode };
	char *env[] = { NULL };
	char err[CFG_ERR_MAX];

	memset(&cfg, 0, sizeof(cfg));
	if (!cfg_parse(&cfg, 11, argv, env, err))
		fail_msg("%s", err);
	cfg.cluster_cidrs = cfg.pod_cidrs;
	memset(&fk, 0, sizeof(fk));
	fx_reset();
	c1[0] = fx_p("10.244.0.0/24");
	c2[0] = fx_p("10.244.1.0/24");
	rem[0] = (struct plan_remote){ .node_ip = IP4(172, 18, 0, 2), .cidrs = c1, .ncidrs = 1 };
	rem[1] = (struct plan_remote){ .node_ip = IP4(172, 18, 0, 3), .cidrs = c2, .ncidrs = 1 };
}

static struct rc_input
input(void)
{
	return (struct rc_input){ .cfg = &cfg, .kv = &fx_kv, .remotes = rem, .nremotes = 2 };
}

static bool
has_problem(const struct report *r, enum problem_code code)
{
	for (size_t i = 0; i < r->nproblems; i++)
		if (r->problems[i].code == code)
			return true;
	return false;
}

/* Enforce: one add for the missing route, one replace for our own wrong
 * one, each exactly the route plan_route4() describes; then all is right. */
static void
test_enforce_adds_and_replaces(void **state)
{
	struct rc_input in;
	struct rc_result res;
	static struct report r;

	setup_cfg("enforce");
	fx_add_route((struct route4){ .dst = c2[0], .gw = IP4(172, 18, 0, 9), .oif = 2,
				      .protocol = PODREACH_RTPROT, .priority = 5 });
	in = input();
	assert_int_equal(rc_run(&in, &kern, &res), 0);
	assert_int_equal(fk.ncalls, 2);
	assert_int_equal(fk.calls[0].op, RC_ADD);
	assert_true(cidr_equal(&fk.calls[0].r.dst, &c1[0]));
	assert_int_equal(fk.calls[0].r.gw, IP4(172, 18, 0, 2));
	assert_int_equal(fk.calls[0].r.oif, 2);
	assert_int_equal(fk.calls[1].op, RC_REPLACE);
	assert_int_equal(fk.calls[1].r.gw, IP4(172, 18, 0, 3));
	assert_int_equal(fk.calls[1].r.priority, 5);
	assert_int_equal(res.failed, 0);
	assert_int_equal(res.plan.routes[0].state, PLAN_INSTALLED);
	assert_int_equal(res.plan.routes[1].state, PLAN_REPAIRED);
	assert_string_equal(res.bridge_dev, "eth0");
	memset(&r, 0, sizeof(r));
	rc_report(&r, &in, &res);
	assert_int_equal(report_count(&r, SEV_ERROR), 0);
	rc_result_free(&res);
}

/* Report mode changes nothing; the report says what is wrong and where the
 * packets go now (the FIB lookup). */
static void
test_report_mode_changes_nothing(void **state)
{
	struct rc_input in;
	struct rc_result res;
	static struct report r;

	setup_cfg("report");
	in = input();
	assert_int_equal(rc_run(&in, &kern, &res), 0);
	assert_int_equal(fk.ncalls, 0);
	assert_int_equal(fk.lookups, 2);
	assert_int_equal(res.plan.routes[0].state, PLAN_MISSING);
	memset(&r, 0, sizeof(r));
	rc_report(&r, &in, &res);
	assert_true(has_problem(&r, PC_ROUTE_MISSING));
	assert_non_null(strstr(r.problems[0].message, "now go via 172.18.0.1"));
	rc_result_free(&res);
}

/* A refused change: counted, named with the kernel's answer, state kept. */
static void
test_refused_change_is_reported(void **state)
{
	struct rc_input in;
	struct rc_result res;
	static struct report r;

	setup_cfg("enforce");
	fk.refuse = -EPERM;
	in = input();
	assert_int_equal(rc_run(&in, &kern, &res), 0);
	assert_int_equal(res.failed, 2);
	assert_int_equal(res.plan.routes[0].state, PLAN_MISSING);
	assert_int_equal(res.plan.routes[0].apply_err, -EPERM);
	memset(&r, 0, sizeof(r));
	rc_report(&r, &in, &res);
	assert_true(has_problem(&r, PC_ROUTE_MISSING));
	assert_non_null(strstr(r.problems[0].message, strerror(EPERM)));
	rc_result_free(&res);
}

/* An add answered EEXIST: the route is there (its notification not read
 * yet), so it is done — not refused, not retried, no error in the report. */
static void
test_eexist_is_done(void **state)
{
	struct rc_input in;
	struct rc_result res;
	static struct report r;

	setup_cfg("enforce");
	fk.refuse = -EEXIST;
	in = input();
	assert_int_equal(rc_run(&in, &kern, &res), 0);
	assert_int_equal(fk.ncalls, 2);
	assert_int_equal(res.failed, 0);
	assert_int_equal(res.plan.routes[0].state, PLAN_OK);
	assert_int_equal(res.plan.routes[0].apply_err, 0);
	assert_true(res.plan.routes[0].exists);
	assert_true(res.plan.routes[0].owned);
	memset(&r, 0, sizeof(r));
	rc_report(&r, &in, &res);
	assert_int_equal(report_count(&r, SEV_ERROR), 0);
	rc_result_free(&res);
	/* A replace answered EEXIST is still a refusal. */
	setup_cfg("enforce");
	fk.refuse = -EEXIST;
	fx_add_route((struct route4){ .dst = c1[0], .gw = IP4(172, 18, 0, 9), .oif = 2,
				      .protocol = PODREACH_RTPROT });
	in = input();
	in.nremotes = 1;
	assert_int_equal(rc_run(&in, &kern, &res), 0);
	assert_int_equal(res.failed, 1);
	rc_result_free(&res);
}

/* A burst is cut at max_changes: the rest left as planned for the next run,
 * and no report work (FIB lookups, firewall) until the last chunk. */
static void
test_burst_in_chunks(void **state)
{
	struct rc_input in;
	struct rc_result res;

	setup_cfg("enforce");
	in = input();
	in.max_changes = 1;
	assert_int_equal(rc_run(&in, &kern, &res), 0);
	assert_int_equal(fk.ncalls, 1);
	assert_int_equal(res.deferred, 1);
	assert_int_equal(res.failed, 0);
	assert_int_equal(res.plan.routes[0].state, PLAN_INSTALLED);
	assert_int_equal(res.plan.routes[1].state, PLAN_MISSING);
	assert_int_equal(fk.lookups, 0);
	rc_result_free(&res);
	in.max_changes = 2;
	assert_int_equal(rc_run(&in, &kern, &res), 0);
	assert_int_equal(res.deferred, 0);
	assert_int_equal(fk.lookups, 2);
	rc_result_free(&res);
}

/* Without --service-cidr, kind's default serviceSubnet 10.96.0.0/12 is
 * taken as ours: a remote range inside it is refused and the problem says
 * the range was assumed; with --service-cidr elsewhere it is routed. */
static void
test_default_service_range(void **state)
{
	struct rc_input in;
	struct rc_result res;
	static struct report r;

	setup_cfg("report");
	c1[0] = fx_p("10.100.0.0/24");
	in = input();
	assert_int_equal(rc_run(&in, &kern, &res), 0);
	assert_int_equal(res.plan.routes[0].why, WHY_SERVICE_OVERLAP);
	assert_int_equal(res.plan.routes[1].state, PLAN_MISSING);
	memset(&r, 0, sizeof(r));
	rc_report(&r, &in, &res);
	assert_true(has_problem(&r, PC_CIDR_REJECTED));
	assert_non_null(strstr(r.problems[0].message, "10.96.0.0/12 (kind's default serviceSubnet, "
			       "assumed"));
	rc_result_free(&res);
	cfg.has_service_cidr = true;
	cfg.service_cidr = fx_p("10.97.0.0/16");
	in = input();
	assert_int_equal(rc_run(&in, &kern, &res), 0);
	assert_int_equal(res.plan.routes[0].state, PLAN_MISSING);
	rc_result_free(&res);
}

/* A pod interface that carries more than the bridge: mtu-mismatch, naming
 * both; equal MTUs say nothing. */
static void
test_mtu_mismatch(void **state)
{
	struct rc_input in;
	struct rc_result res;
	static struct report r;

	setup_cfg("report");
	in = input();
	assert_int_equal(rc_run(&in, &kern, &res), 0);
	memset(&r, 0, sizeof(r));
	rc_report(&r, &in, &res);
	assert_false(has_problem(&r, PC_MTU_MISMATCH));
	fx_links[2].mtu = 9000;		/* the pod's veth */
	memset(&r, 0, sizeof(r));
	rc_report(&r, &in, &res);
	fx_links[2].mtu = 1500;
	assert_true(has_problem(&r, PC_MTU_MISMATCH));
	for (size_t i = 0; i < r.nproblems; i++)
		if (r.problems[i].code == PC_MTU_MISMATCH) {
			assert_non_null(strstr(r.problems[i].message, "MTU 9000 (veth1a2b3c4d)"));
			assert_non_null(strstr(r.problems[i].message, "bridge eth0 only 1500"));
			assert_int_equal(r.problems[i].sev, SEV_WARNING);
		}
	rc_result_free(&res);
}

/* A route that is not ours is never touched, even in enforce mode. */
static void
test_foreign_route_is_left_alone(void **state)
{
	struct rc_input in;
	struct rc_result res;

	setup_cfg("enforce");
	fx_add_route((struct route4){ .dst = c1[0], .gw = IP4(172, 18, 0, 9), .oif = 2,
				      .protocol = RTPROT_STATIC });
	in = input();
	in.nremotes = 1;
	assert_int_equal(rc_run(&in, &kern, &res), 0);
	assert_int_equal(fk.ncalls, 0);
	assert_int_equal(res.plan.routes[0].state, PLAN_CONFLICT);
	rc_result_free(&res);
}

static const struct problem *
find_problem(const struct report *r, enum problem_code code)
{
	for (size_t i = 0; i < r->nproblems; i++)
		if (r->problems[i].code == code)
			return &r->problems[i];
	return NULL;
}

/* Owned routes: 10.244.0.0/24 claimed (right), 10.244.9.0/24 claimed by
 * nobody, and a foreign one nobody claims either. */
static void
add_stale_routes(void)
{
	fx_add_route((struct route4){ .dst = c1[0], .gw = IP4(172, 18, 0, 2), .oif = 2,
				      .protocol = PODREACH_RTPROT });
	fx_add_route((struct route4){ .dst = fx_p("10.244.9.0/24"), .gw = IP4(172, 18, 0, 9),
				      .oif = 2, .protocol = PODREACH_RTPROT, .priority = 7 });
	fx_add_route((struct route4){ .dst = fx_p("10.244.8.0/24"), .gw = IP4(172, 18, 0, 8),
				      .oif = 2, .protocol = RTPROT_STATIC });
}

/* Every source listed (prune): the owned route nobody claims is deleted,
 * exactly as the kernel holds it; a claimed one and a foreign one stay. */
static void
test_stale_pruned(void **state)
{
	struct rc_input in;
	struct rc_result res;
	static struct report r;

	setup_cfg("enforce");
	add_stale_routes();
	in = input();
	in.nremotes = 1;
	in.prune = true;
	assert_int_equal(rc_run(&in, &kern, &res), 0);
	assert_int_equal(fk.ncalls, 1);
	assert_int_equal(fk.calls[0].op, RC_DEL);
	assert_true(cidr_equal(&fk.calls[0].r.dst, &fx_routes[fx_nroutes_base + 1].dst));
	assert_int_equal(fk.calls[0].r.gw, IP4(172, 18, 0, 9));
	assert_int_equal(fk.calls[0].r.priority, 7);
	assert_int_equal(res.plan.nstale, 1);
	assert_true(res.plan.stale[0].removed);
	assert_null(res.plan.stale[0].why);
	assert_int_equal(res.failed, 0);
	memset(&r, 0, sizeof(r));
	rc_report(&r, &in, &res);
	assert_null(find_problem(&r, PC_ROUTE_STALE));
	rc_result_free(&res);

	/* A burst a chunk at a time: a removal is a change like an add. */
	fk.ncalls = 0;
	in.nremotes = 2;
	in.max_changes = 1;
	assert_int_equal(rc_run(&in, &kern, &res), 0);
	assert_int_equal(fk.ncalls, 1);
	assert_int_equal(res.deferred, 1);
	assert_false(res.plan.stale[0].removed);
	rc_result_free(&res);
	in.nremotes = 1;
	in.max_changes = 0;

	/* Not every source listed: nothing is stale, nothing removed. */
	fk.ncalls = 0;
	in.prune = false;
	assert_int_equal(rc_run(&in, &kern, &res), 0);
	assert_int_equal(fk.ncalls, 0);
	assert_int_equal(res.plan.nstale, 0);
	rc_result_free(&res);
}

/* A withdrawn destination goes even while another source is unlisted,
 * unless a remote claims it again (moved: the planner replaces it). */
static void
test_withdrawn(void **state)
{
	struct plan_withdrawn wd[2] = { { fx_p("10.244.9.0/24"), "node c1n9 of cluster cluster1" },
					{ fx_p("10.244.0.0/24"), "node c1n1 of cluster cluster1" } };
	struct rc_input in;
	struct rc_result res;

	setup_cfg("enforce");
	add_stale_routes();
	/* Unclaimed, but not withdrawn: it may be an unlisted cluster's. */
	fx_add_route((struct route4){ .dst = fx_p("10.244.7.0/24"), .gw = IP4(172, 18, 0, 7),
				      .oif = 2, .protocol = PODREACH_RTPROT });
	in = input();
	in.nremotes = 1;
	in.withdrawn = wd;
	in.nwithdrawn = 2;
	assert_int_equal(rc_run(&in, &kern, &res), 0);
	assert_int_equal(fk.ncalls, 1);
	assert_int_equal(fk.calls[0].op, RC_DEL);
	assert_int_equal(fk.calls[0].r.gw, IP4(172, 18, 0, 9));
	assert_int_equal(res.plan.nstale, 1);
	assert_ptr_equal(res.plan.stale[0].why, wd[0].why);
	rc_result_free(&res);
}

/* Report mode: named with the fix, nothing changed; a refused removal is
 * an error (and counted, so the agent retries); gone already is fine. */
static void
test_stale_reported(void **state)
{
	struct rc_input in;
	struct rc_result res;
	static struct report r;
	const struct problem *p;

	setup_cfg("report");
	add_stale_routes();
	in = input();
	in.nremotes = 1;
	in.prune = true;
	assert_int_equal(rc_run(&in, &kern, &res), 0);
	assert_int_equal(fk.ncalls, 0);
	memset(&r, 0, sizeof(r));
	rc_report(&r, &in, &res);
	assert_non_null(p = find_problem(&r, PC_ROUTE_STALE));
	assert_int_equal(p->sev, SEV_WARNING);
	assert_non_null(strstr(p->message, "10.244.9.0/24 via 172.18.0.9"));
	assert_non_null(strstr(p->fix, "ip route del 10.244.9.0/24 via 172.18.0.9 dev eth0"));
	rc_result_free(&res);

	setup_cfg("enforce");
	add_stale_routes();
	fk.refuse = -EPERM;
	assert_int_equal(rc_run(&in, &kern, &res), 0);
	assert_int_equal(res.failed, 1);
	assert_false(res.plan.stale[0].removed);
	memset(&r, 0, sizeof(r));
	rc_report(&r, &in, &res);
	assert_non_null(p = find_problem(&r, PC_ROUTE_STALE));
	assert_int_equal(p->sev, SEV_ERROR);
	assert_non_null(strstr(p->message, strerror(EPERM)));
	rc_result_free(&res);

	fk.refuse = -ESRCH;
	in.nremotes = 0;
	assert_int_equal(rc_run(&in, &kern, &res), 0);
	assert_int_equal(res.failed, 0);
	assert_true(res.plan.stale[0].removed);
	rc_result_free(&res);
}

/* A destination a remote claims is never stale, even when the rails refuse
 * that claim (a node not on-link): the route is that node's business. */
static void
test_claimed_rejected_not_stale(void **state)
{
	struct prefix4 c9[1] = { fx_p("10.244.9.0/24") };
	struct plan_remote far = { .node_ip = IP4(192, 168, 7, 7), .cidrs = c9, .ncidrs = 1 };
	struct rc_input in;
	struct rc_result res;

	setup_cfg("enforce");
	add_stale_routes();
	in = input();
	in.remotes = &far;
	in.nremotes = 1;
	in.prune = true;
	assert_int_equal(rc_run(&in, &kern, &res), 0);
	assert_int_equal(res.plan.routes[0].state, PLAN_REJECTED);
	/* Only 10.244.0.0/24 (now unclaimed) goes. */
	assert_int_equal(res.plan.nstale, 1);
	assert_true(cidr_equal(&res.plan.stale[0].route.dst, &c1[0]));
	rc_result_free(&res);
}

/* check looks once: no remote node is an error, and so is an API that did
 * not answer (its nodes went unchecked); the agent only warns of the API. */
static void
test_check_once(void **state)
{
	struct report_cluster cl = { .name = "cluster1", .source = "kubernetes",
				     .state = "unreachable", .error = "refused" };
	struct rc_input in;
	struct rc_result res;
	static struct report r;
	const struct problem *p;

	setup_cfg("report");
	in = input();
	in.nremotes = 0;
	assert_int_equal(rc_run(&in, &kern, &res), 0);
	memset(&r, 0, sizeof(r));
	r.clusters = &cl;
	r.nclusters = 1;
	rc_report(&r, &in, &res);
	assert_null(find_problem(&r, PC_NO_PROBE_TARGETS));
	assert_int_equal(find_problem(&r, PC_API_UNREACHABLE)->sev, SEV_WARNING);
	memset(&r, 0, sizeof(r));
	r.once = true;
	r.clusters = &cl;
	r.nclusters = 1;
	rc_report(&r, &in, &res);
	assert_non_null(p = find_problem(&r, PC_NO_PROBE_TARGETS));
	assert_int_equal(p->sev, SEV_ERROR);
	assert_int_equal(find_problem(&r, PC_API_UNREACHABLE)->sev, SEV_ERROR);
	rc_result_free(&res);
}

/* Verdict to problem: drops always, masquerade only of a pod's flow. */
static void
test_verdict_to_problem(void **state)
{
	assert_int_equal(diag_fw_code("drop", false), PC_FIREWALL_DROP);
	assert_int_equal(diag_fw_code("reject", true), PC_FIREWALL_DROP);
	assert_int_equal(diag_fw_code("masquerade", false), PC_FIREWALL_MASQUERADE);
	assert_int_equal(diag_fw_code("snat", false), PC_FIREWALL_MASQUERADE);
	assert_int_equal(diag_fw_code("masquerade", true), -1);
	assert_int_equal(diag_fw_code("accept", false), -1);
	assert_int_equal(diag_fw_code("unknown", false), -1);
	for (int c = 0; c < PC_COUNT; c++)
		assert_string_not_equal(report_code_name(c), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enforce_adds_and_replaces),
		cmocka_unit_test(test_report_mode_changes_nothing),
		cmocka_unit_test(test_refused_change_is_reported),
		cmocka_unit_test(test_eexist_is_done),
		cmocka_unit_test(test_default_service_range),
		cmocka_unit_test(test_burst_in_chunks),
		cmocka_unit_test(test_foreign_route_is_left_alone),
		cmocka_unit_test(test_mtu_mismatch),
		cmocka_unit_test(test_stale_pruned),
		cmocka_unit_test(test_withdrawn),
		cmocka_unit_test(test_stale_reported),
		cmocka_unit_test(test_claimed_rejected_not_stale),
		cmocka_unit_test(test_check_once),
		cmocka_unit_test(test_verdict_to_problem),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
