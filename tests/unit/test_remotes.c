/* The trust rules of peers mode: which claim routes, which is refused and why. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "agent/core/plan.h"
#include "agent/core/remotes.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static const struct prefix4 c1n1_pods = { IP(10, 244, 0, 0), 24 };
static const struct prefix4 c1n2_pods = { IP(10, 244, 1, 0), 24 };
static const struct prefix4 half = { IP(10, 244, 0, 0), 25 };
static const struct prefix4 slash9 = { IP(10, 0, 0, 0), 9 };
static const struct prefix4 slash16 = { IP(10, 250, 0, 0), 16 };
static const struct prefix4 svc = { IP(10, 96, 0, 0), 16 };

/* A peer's claim: answered from addr, claiming itself, since `since`. */
static struct node_claim
claim(const char *cluster, const char *node, uint32_t addr, const struct prefix4 *pods,
      double since)
{
	return (struct node_claim){ .cluster = cluster, .node = node, .node_ip = addr,
		.pod_cidrs = pods, .npod = 1, .up = true, .seen = since, .addr = addr,
		.since = since };
}

/* The hijack of issue 9: an address claims c1n1 with its own IP, answering
 * last with a fresh version.  The established holder keeps the identity. */
static void
test_identity_held(void **state)
{
	struct node_claim c[2] = {
		claim("cluster1", "c1n1", IP(172, 18, 0, 2), &c1n1_pods, 10),
		claim("cluster1", "c1n1", IP(172, 18, 0, 30), &c1n1_pods, 20),
	};
	struct remotes_judgement j[2];

	c[1].seen = 99;		/* newest answer: no longer wins */
	remotes_judge(c, 2, "cluster2", j);
	assert_int_equal(j[0].v, RV_ROUTE);
	assert_int_equal(j[1].v, RV_CONFLICT);
	assert_int_equal(j[1].other, 0);
	/* Listed first, the newcomer still loses: age decides, not order. */
	struct node_claim r[2] = { c[1], c[0] };
	remotes_judge(r, 2, "cluster2", j);
	assert_int_equal(j[0].v, RV_CONFLICT);
	assert_int_equal(j[0].other, 1);
	assert_int_equal(j[1].v, RV_ROUTE);
	assert_true(remotes_routable(r, 2, 1, "cluster2"));
	assert_false(remotes_routable(r, 2, 0, "cluster2"));
}

/* A holder that stopped answering still holds (its agent restarts) until
 * the peer table drops it; then the other address is the only claim. */
static void
test_identity_after_drop(void **state)
{
	struct node_claim c[2] = {
		claim("cluster1", "c1n1", IP(172, 18, 0, 2), &c1n1_pods, 10),
		claim("cluster1", "c1n1", IP(172, 18, 0, 12), &c1n1_pods, 20),
	};
	struct remotes_judgement j[2];

	c[0].up = false;
	remotes_judge(c, 2, "cluster2", j);
	assert_int_equal(j[1].v, RV_CONFLICT);
	remotes_judge(&c[1], 1, "cluster2", j);
	assert_int_equal(j[0].v, RV_ROUTE);
}

/* node_ip must be the address the answer came from. */
static void
test_node_ip_is_the_address(void **state)
{
	struct node_claim c = claim("cluster1", "c1n1", IP(172, 18, 0, 31), &c1n1_pods, 1);
	struct remotes_judgement j;

	c.node_ip = IP(172, 18, 0, 2);
	remotes_judge(&c, 1, "cluster2", &j);
	assert_int_equal(j.v, RV_NOT_SELF);
	/* A source without an address (an API server) needs no such proof. */
	c.addr = 0;
	remotes_judge(&c, 1, "cluster2", &j);
	assert_int_equal(j.v, RV_ROUTE);
}

/* A newcomer's narrower range cannot make the established /24 rejected. */
static void
test_overlap_newcomer_refused(void **state)
{
	struct node_claim c[3] = {
		claim("evil", "c1n9", IP(172, 18, 0, 32), &half, 20),
		claim("cluster1", "c1n1", IP(172, 18, 0, 2), &c1n1_pods, 10),
		claim("cluster1", "c1n2", IP(172, 18, 0, 3), &c1n2_pods, 11),
	};
	struct remotes_judgement j[3];
	struct plan_remote out[4];

	remotes_judge(c, 3, "cluster2", j);
	assert_int_equal(j[0].v, RV_OVERLAP);
	assert_int_equal(j[0].other, 1);
	assert_true(cidr_equal(&j[0].cidr, &half));
	assert_int_equal(j[1].v, RV_ROUTE);
	assert_int_equal(j[2].v, RV_ROUTE);
	assert_int_equal(remotes_build(c, 3, "cluster2", false, out, 4), 2);
	assert_int_equal(out[0].node_ip, IP(172, 18, 0, 2));
	assert_int_equal(out[1].node_ip, IP(172, 18, 0, 3));
}

/* A refused claim holds nothing: it blocks neither identity nor range. */
static void
test_refused_holds_nothing(void **state)
{
	struct node_claim c[2] = {
		claim("cluster1", "c1n1", IP(172, 18, 0, 2), &c1n1_pods, 1),
		claim("cluster1", "c1n1", IP(172, 18, 0, 12), &c1n1_pods, 5),
	};
	struct remotes_judgement j[2];

	c[0].node_ip = IP(172, 18, 0, 12);	/* .2 now says it lives at .12 */
	remotes_judge(c, 2, "cluster2", j);
	assert_int_equal(j[0].v, RV_NOT_SELF);
	assert_int_equal(j[1].v, RV_ROUTE);
	c[0] = claim("cluster1", "c1n1", IP(172, 18, 0, 2), &slash9, 1);
	remotes_judge(c, 2, "cluster2", j);
	assert_int_equal(j[0].v, RV_TOO_BROAD);
	assert_true(cidr_equal(&j[0].cidr, &slash9));
	assert_int_equal(j[1].v, RV_ROUTE);
}

static void
test_too_broad(void **state)
{
	struct node_claim c = claim("cluster1", "c1n1", IP(172, 18, 0, 2), &slash16, 1);
	struct prefix4 wide_svc = { IP(10, 96, 0, 0), 11 };
	struct remotes_judgement j;

	remotes_judge(&c, 1, "cluster2", &j);
	assert_int_equal(j.v, RV_ROUTE);	/* a /16 is the most one node may claim */
	c.pod_cidrs = &(struct prefix4){ IP(10, 244, 0, 0), 15 };
	remotes_judge(&c, 1, "cluster2", &j);
	assert_int_equal(j.v, RV_TOO_BROAD);	/* a /15 is already too much */
	c.pod_cidrs = &slash9;
	remotes_judge(&c, 1, "cluster2", &j);
	assert_int_equal(j.v, RV_TOO_BROAD);
	c.pod_cidrs = &c1n1_pods;
	c.service_cidr = &wide_svc;
	remotes_judge(&c, 1, "cluster2", &j);
	assert_int_equal(j.v, RV_TOO_BROAD);
	assert_true(cidr_equal(&j.cidr, &wide_svc));
}

static void
test_local_cluster(void **state)
{
	struct node_claim c[2] = {
		claim("cluster2", "c2n2", IP(172, 18, 0, 5), &c1n1_pods, 1),
		claim("cluster1", "c1n1", IP(172, 18, 0, 2), &c1n1_pods, 2),
	};
	struct remotes_judgement j[2];

	remotes_judge(c, 2, "cluster2", j);
	assert_int_equal(j[0].v, RV_LOCAL);
	assert_int_equal(j[1].v, RV_ROUTE);	/* a local claim blocks no range */
}

/* The service CIDR: the lowest routed node IP carries it; a service range
 * over a routed pod range is not routed (it would take the pods down). */
static void
test_services(void **state)
{
	struct prefix4 evil_svc = c1n1_pods;
	struct node_claim c[3] = {
		claim("cluster1", "c1n2", IP(172, 18, 0, 3), &c1n2_pods, 1),
		claim("cluster1", "c1n1", IP(172, 18, 0, 2), &c1n1_pods, 2),
		claim("evil", "e1", IP(172, 18, 0, 40), &slash16, 3),
	};
	struct remotes_judgement j[3];
	struct plan_remote out[8];
	size_t n;

	c[0].service_cidr = c[1].service_cidr = &svc;
	c[2].service_cidr = &evil_svc;
	remotes_judge(c, 3, "cluster2", j);
	assert_false(remotes_service_carrier(c, 3, 0, j));
	assert_true(remotes_service_carrier(c, 3, 1, j));
	n = remotes_build(c, 3, "cluster2", true, out, 8);
	assert_int_equal(n, 4);	/* three pod ranges, cluster1's services */
	assert_int_equal(out[3].node_ip, IP(172, 18, 0, 2));
	assert_true(cidr_equal(out[3].cidrs, &svc));
	c[1].up = false;	/* the carrier stops answering: the next one */
	remotes_judge(c, 3, "cluster2", j);
	assert_true(remotes_service_carrier(c, 3, 0, j));
}

static void
test_probe_targets(void **state)
{
	static const struct prefix4 allow[] = { { IP(10, 0, 0, 0), 8 }, { IP(172, 16, 0, 0), 12 } };
	static const struct prefix4 local[] = { { IP(10, 245, 0, 0), 16 } };
	struct node_claim c = claim("cluster1", "c1n1", IP(172, 18, 0, 2), &c1n1_pods, 1);

	assert_true(remotes_probe_ok(&c, IP(10, 244, 0, 9), allow, 2, local, 1));
	assert_true(remotes_probe_ok(&c, IP(172, 18, 0, 2), allow, 2, local, 1));
	assert_false(remotes_probe_ok(&c, IP(10, 244, 1, 9), allow, 2, local, 1));	/* not its */
	assert_false(remotes_probe_ok(&c, IP(172, 18, 0, 1), allow, 2, local, 1));	/* the host */
	assert_false(remotes_probe_ok(&c, IP(127, 0, 0, 1), allow, 2, local, 1));
	assert_false(remotes_probe_ok(&c, IP(169, 254, 169, 254), allow, 2, local, 1));
	c.pod_cidrs = local;	/* claims our own range: still never probed */
	assert_false(remotes_probe_ok(&c, IP(10, 245, 0, 7), allow, 2, local, 1));
	c.pod_cidrs = &(struct prefix4){ IP(192, 168, 0, 0), 24 };	/* outside the allow-list */
	assert_false(remotes_probe_ok(&c, IP(192, 168, 0, 5), allow, 2, local, 1));
	c.node_ip = IP(127, 0, 0, 1);
	assert_false(remotes_probe_ok(&c, IP(127, 0, 0, 1), allow, 2, local, 1));
	assert_true(remotes_special_ip(IP(224, 0, 0, 1)));
	assert_true(remotes_special_ip(IP(255, 255, 255, 255)));
	assert_true(remotes_special_ip(IP(0, 0, 0, 0)));
	assert_false(remotes_special_ip(IP(172, 18, 0, 2)));
}

/* Kubernetes discovery: a Node's targets come from its API record (node IP,
 * pod CIDRs) and what its agent says, inside that record only. */
static void
test_node_targets(void **state)
{
	static const struct prefix4 allow[] = { { IP(10, 0, 0, 0), 8 }, { IP(172, 16, 0, 0), 12 } };
	static const struct prefix4 local[] = { { IP(10, 245, 0, 0), 16 } };
	static const uint16_t ports[] = { 5000, 80 };
	/* What c1n1's agent says: two pods of its own, one of c1n2's, one of
	 * ours, the host; its agent on the node IP and its gateway, and elsewhere. */
	static const uint32_t pods[] = { IP(10, 244, 0, 9), IP(10, 244, 0, 5), IP(10, 244, 1, 5),
					 IP(10, 245, 0, 7), IP(172, 18, 0, 1) };
	static const struct remotes_target addrs[] = { { IP(172, 18, 0, 2), 9750 },
		{ IP(10, 244, 0, 1), 9750 }, { IP(172, 18, 0, 3), 9750 } };
	struct remotes_said said = { pods, 5, addrs, 3 };
	struct remotes_probe_rules r = { ports, 2, 9750, allow, 2, local, 1 };
	/* The API's record: c1n1 at 172.18.0.2 with 10.244.0.0/24. */
	struct node_claim c = { .cluster = "cluster1", .node = "c1n1", .node_ip = IP(172, 18, 0, 2),
				.pod_cidrs = &c1n1_pods, .npod = 1 };
	struct remotes_target t[16];
	size_t refused = 0, n;

	n = remotes_node_targets(&c, &said, &r, t, 16, &refused);
	assert_int_equal(n, 6);
	assert_int_equal(refused, 4);	/* 10.244.1.5, 10.245.0.7, 172.18.0.1, 172.18.0.3 */
	assert_true(t[0].ip == IP(172, 18, 0, 2) && t[0].port == 9750);	/* node IP first */
	assert_true(t[1].ip == IP(10, 244, 0, 9) && t[1].port == 5000);
	assert_true(t[2].ip == IP(10, 244, 0, 9) && t[2].port == 80);
	assert_true(t[3].ip == IP(10, 244, 0, 5) && t[3].port == 5000);
	assert_true(t[4].ip == IP(10, 244, 0, 5) && t[4].port == 80);
	assert_true(t[5].ip == IP(10, 244, 0, 1) && t[5].port == 9750);	/* node IP once */
	/* No answer from its agent: the node IP alone. */
	n = remotes_node_targets(&c, NULL, &r, t, 16, NULL);
	assert_int_equal(n, 1);
	/* The API gives it no pod CIDR: none of its pods is probed. */
	c.npod = 0;
	n = remotes_node_targets(&c, &said, &r, t, 16, &refused);
	assert_int_equal(n, 1);
	assert_int_equal(refused, 7);
	/* A range the rails refuse (the local cluster's) stays refused. */
	c.pod_cidrs = local;
	c.npod = 1;
	said = (struct remotes_said){ &pods[3], 1, NULL, 0 };
	n = remotes_node_targets(&c, &said, &r, t, 16, &refused);
	assert_int_equal(n, 1);
	assert_int_equal(refused, 1);
	/* Bounded by max. */
	c.pod_cidrs = &c1n1_pods;
	said = (struct remotes_said){ pods, 5, addrs, 3 };
	assert_int_equal(remotes_node_targets(&c, &said, &r, t, 2, NULL), 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity_held),
		cmocka_unit_test(test_identity_after_drop),
		cmocka_unit_test(test_node_ip_is_the_address),
		cmocka_unit_test(test_overlap_newcomer_refused),
		cmocka_unit_test(test_refused_holds_nothing),
		cmocka_unit_test(test_too_broad),
		cmocka_unit_test(test_local_cluster),
		cmocka_unit_test(test_services),
		cmocka_unit_test(test_probe_targets),
		cmocka_unit_test(test_node_targets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
