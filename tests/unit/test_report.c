/* The text and JSON reports against golden files in tests/golden/.
 * `make golden` (test_report --update-golden) rewrites them on purpose. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "agent/core/diag.h"
#include "agent/core/render.h"
#include "agent/core/report.h"
#include "plan_fixture.h"

/* Set only by `make golden` (argv, not the environment), so that nothing
 * inherited inside the suite can turn a failing comparison into a rewrite. */
static int update_golden;
static struct cfg cfg;
static struct plan plan;
static struct report rep;
static struct prefix4 r1[1], r2[1], r3[1], r4[2], r5[1];
static struct plan_remote remotes[5];
static const struct report_fw fw[] = {
	{ "10.245.0.0/24", "10.244.0.0/24", 9750, "forward", "accept", "", "", 0, "", "", false, false, 0 },
	{ "10.245.0.0/24", "10.244.0.0/24", 9750, "postrouting", "masquerade", "ip nat",
	  "KIND-MASQ-AGENT", 7, "counter masquerade", "", false, false, 0 },
	{ "10.245.0.0/24", "10.244.1.0/24", 9750, "forward", "drop", "inet filter", "forward", 12,
	  "ip daddr 10.244.1.0/24 drop", "", false, false, 0 },
	/* arriving: c1n1's masqueraded traffic to our pods, dropped here */
	{ "172.18.0.2/32", "10.245.0.0/24", 5000, "forward", "drop", "ip filter", "FORWARD", 4,
	  "ip saddr 172.18.0.2 tcp dport 5000 counter drop", "", false, true, IP4(172, 18, 0, 2) },
};
static const struct report_probe probes[] = {
	{ "10.244.0.9:5000", "tcp", "open", 0.412, "from 10.245.0.1", IP4(10, 244, 0, 9) },
	{ "http://10.244.0.9:5000/hello", "http", "error", 1000.0, "timeout", IP4(10, 244, 0, 9) },
	{ "10.244.1.7:5000", "tcp", "timeout", 1000.0, "no answer in 1 s", IP4(10, 244, 1, 7) },
};

/* A cluster2 node with one of each kind of trouble. */
static int
setup(void **state)
{
	char err[CFG_ERR_MAX];
	char *argv[] = { "check", "--cluster", "cluster2", "--node-name", "cluster2-worker",
			 "--node-ip", "172.18.0.4", "--pod-cidr", "10.245.0.0/24",
			 "--cluster-cidr", "10.245.0.0/16" };
	char *env[] = { NULL };
	struct plan_input in;

	fx_reset();
	assert_true(cfg_parse(&cfg, 11, argv, env, err));
	fx_add_route((struct route4){ .dst = fx_p("10.244.1.0/24"), .gw = IP4(172, 18, 0, 3),
				      .oif = 2, .protocol = PODREACH_RTPROT });
	fx_add_route((struct route4){ .dst = fx_p("10.244.2.0/24"), .gw = IP4(172, 18, 0, 99),
				      .oif = 2, .protocol = RTPROT_STATIC });
	r1[0] = fx_p("10.244.0.0/24");
	r2[0] = fx_p("10.244.1.0/24");
	r3[0] = fx_p("10.245.1.0/24");
	r4[0] = fx_p("10.244.2.0/24");
	r4[1] = fx_p("0.0.0.0/0");
	r5[0] = fx_p("10.250.0.0/24");
	remotes[0] = (struct plan_remote){ IP4(172, 18, 0, 2), r1, 1, "cluster1", "cluster1-control-plane", 0 };
	remotes[1] = (struct plan_remote){ IP4(172, 18, 0, 3), r2, 1, NULL, NULL, 0 };
	remotes[2] = (struct plan_remote){ IP4(172, 18, 0, 6), r3, 1, NULL, NULL, 0 };
	remotes[3] = (struct plan_remote){ IP4(172, 18, 0, 7), r4, 2, NULL, NULL, 0 };
	remotes[4] = (struct plan_remote){ IP4(192, 168, 50, 2), r5, 1, NULL, NULL, 0 };
	in = fx_input(remotes, 5);
	assert_int_equal(plan_build(&in, &plan), 0);
	/* What `ip route get 10.244.0.1` would have said: the default route. */
	plan.routes[0].has_fib = true;
	plan.routes[0].fib = (struct route4){ .dst = { IP4(10, 244, 0, 1), 32 },
		.gw = IP4(172, 18, 0, 1), .oif = 2, .type = RTN_UNICAST };
	memset(&rep, 0, sizeof(rep));
	rep = (struct report){ .version = "test", .cfg = &cfg, .kv = &fx_kv, .plan = &plan,
		.remotes = remotes, .nremotes = 5, .has_sysctl = true,
		.sysctl = { .ip_forward = 0, .rp_all = 0, .rp_dev = 1 }, .bridge_dev = "eth0",
		.fw = fw, .nfw = sizeof(fw) / sizeof(fw[0]), .probes = probes, .nprobes = 3 };
	diag_run(&rep);
	return 0;
}

static int
teardown(void **state)
{
	plan_free(&plan);
	return 0;
}

static void
golden(const char *name, const char *got)
{
	const char *dir = getenv("GOLDEN_DIR") ? getenv("GOLDEN_DIR") : "tests/golden";
	char path[512], *want;
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (update_golden) {
		f = fopen(path, "w");
		assert_non_null(f);
		fputs(got, f);
		fclose(f);
		return;
	}
	f = fopen(path, "r");
	if (!f)
		fail_msg("%s: missing; run `make golden` from the top directory", path);
	want = calloc(1, 1 << 16);
	len = fread(want, 1, (1 << 16) - 1, f);
	fclose(f);
	want[len] = '\0';
	if (strcmp(want, got) != 0) {
		fprintf(stderr, "--- %s\n%s\n--- got\n%s\n", path, want, got);
		free(want);
		fail_msg("%s differs (review, then `make golden`)", path);
	}
	free(want);
}

static void
test_states(void **state)
{
	assert_int_equal(plan.n, 6);
	assert_int_equal(plan.routes[0].state, PLAN_MISSING);
	assert_int_equal(plan.routes[1].state, PLAN_OK);
	assert_int_equal(plan.routes[2].why, WHY_POD_OVERLAP);
	assert_int_equal(plan.routes[3].state, PLAN_CONFLICT);
	assert_int_equal(plan.routes[4].why, WHY_DEFAULT);
	assert_int_equal(plan.routes[5].why, WHY_NOT_ONLINK);
	assert_int_equal(report_count(&rep, SEV_WARNING), 2);	/* rp_filter, masquerade */
}

static void
test_text(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	render_text(&rep, f);
	fclose(f);
	golden("report.txt", buf);
	free(buf);
}

static void
test_json(void **state)
{
	char *s = render_json(&rep);

	assert_non_null(s);
	golden("report.json", s);
	free(s);
}

/* clusters[] (--discovery kubernetes): each state's problem and severity, and
 * both renderings. */
static void
test_clusters(void **state)
{
	static struct report r;
	static const struct report_cluster cl[] = {
		{ .name = "cluster2", .source = "kubernetes", .api = "https://172.18.0.1:6443",
		  .state = "synced", .nodes = 2, .local = true },
		{ .name = "cluster1", .source = "kubernetes", .api = "https://172.18.0.1:6444",
		  .state = "unreachable", .nodes = 2, .error = "connection refused",
		  .origin = "Secret podreach/r1 key cluster1", .identity = "system:serviceaccount:p:r" },
		{ .name = "cluster3", .source = "kubernetes", .api = "https://10.0.0.1",
		  .state = "forbidden", .error = "HTTP 401: Unauthorized",
		  .origin = "Secret podreach/r3 key cluster3", .identity = "system:serviceaccount:p:r" },
		{ .name = "cluster4", .source = "kubernetes", .state = "invalid",
		  .error = "Secret podreach/r4 key cluster4: user.exec is not supported" },
		/* peers speak for themselves (peer-unreachable): no api-* problem */
		{ .name = "cluster5", .source = "peers", .state = "unreachable", .nodes = 1,
		  .error = "peer 172.18.0.9:9750: timeout" },
		{ .source = "static", .state = "synced", .nodes = 3 },
	};
	char *buf = NULL, *js;
	size_t len = 0;
	FILE *f;

	r = (struct report){ .version = "test", .cfg = &cfg, .kv = &fx_kv, .clusters = cl,
			     .nclusters = 6 };
	diag_run(&r);
	assert_int_equal(r.nproblems, 3);
	assert_int_equal(r.problems[0].code, PC_API_UNREACHABLE);
	assert_int_equal(r.problems[0].sev, SEV_WARNING);	/* routes stay */
	assert_non_null(strstr(r.problems[0].message, "Secret podreach/r1 key cluster1"));
	assert_int_equal(r.problems[1].code, PC_API_FORBIDDEN);
	assert_int_equal(r.problems[1].sev, SEV_ERROR);
	assert_non_null(strstr(r.problems[1].message, "system:serviceaccount:p:r"));
	assert_non_null(strstr(r.problems[1].message, "Secret podreach/r3 key cluster3"));
	assert_int_equal(r.problems[2].code, PC_API_UNREACHABLE);
	assert_int_equal(r.problems[2].sev, SEV_ERROR);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	render_text(&r, f);
	fclose(f);
	assert_non_null(strstr(buf, "clusters (6)\n  cluster2         kubernetes synced"));
	assert_non_null(strstr(buf, "\n  -                static     synced          3 nodes"));
	assert_non_null(strstr(buf, "(this cluster)"));
	free(buf);
	js = render_json(&r);
	assert_non_null(strstr(js, "\"name\": \"cluster3\",\n      \"source\": \"kubernetes\",\n"
				 "      \"api\": \"https://10.0.0.1\",\n      \"state\": \"forbidden\",\n"
				 "      \"nodes\": 0,\n      \"error\": \"HTTP 401: Unauthorized\""));
	free(js);
}

/* A probe round with nothing to probe is said (no-probe-targets, a
 * warning), with what to give in the discovery mode in use; no flag, no
 * problem. */
static void
test_no_probe_targets(void **state)
{
	static struct report r;
	struct cfg kube = cfg;

	r = (struct report){ .version = "test", .cfg = &cfg, .kv = &fx_kv };
	diag_run(&r);
	assert_int_equal(r.nproblems, 0);
	r.no_probe_targets = true;
	diag_run(&r);
	assert_int_equal(r.nproblems, 1);
	assert_int_equal(r.problems[0].code, PC_NO_PROBE_TARGETS);
	assert_int_equal(r.problems[0].sev, SEV_WARNING);
	assert_string_equal(report_code_name(PC_NO_PROBE_TARGETS), "no-probe-targets");
	assert_non_null(strstr(r.problems[0].message, "nothing probed"));
	assert_non_null(strstr(r.problems[0].fix, "--peers"));
	kube.discovery = CFG_DISC_KUBERNETES;
	r.cfg = &kube;
	diag_run(&r);
	assert_non_null(strstr(r.problems[0].fix, "remote secret"));
	r.probe_nodes = 2;
	diag_run(&r);
	assert_non_null(strstr(r.problems[0].message, "2 node(s) of other clusters known"));
}

/* A firewall-drop fix starts with the command that removes the drop, whole
 * even with the longest names the report keeps: a rule's handle to delete,
 * or for a chain's policy (handle 0) an accept to insert. */
static void
test_fw_fix(void **state)
{
	static struct report r;
	char table[64], chain[64], want[256];
	struct report_fw f[2] = {
		{ "10.245.0.0/24", "10.244.1.0/24", 5000, "forward", "drop", "", "", 0, "policy drop", "", false, false, 0 },
		{ "10.245.0.0/24", "10.244.0.0/24", 5000, "forward", "reject", "", "", 4, "reject", "", false, false, 0 },
	};

	memset(table, 'T', sizeof(table));
	memcpy(table, "inet ", 5);
	table[sizeof(table) - 1] = '\0';
	memset(chain, 'c', sizeof(chain));
	chain[sizeof(chain) - 1] = '\0';
	f[0].table = table;
	f[0].chain = chain;
	f[1].table = "ip user";
	f[1].chain = "pass";
	r = (struct report){ .version = "test", .cfg = &cfg, .kv = &fx_kv, .fw = f, .nfw = 2 };
	diag_run(&r);
	assert_int_equal(r.nproblems, 2);
	snprintf(want, sizeof(want), "nft insert rule %.60s %.60s ip daddr 10.244.1.0/24 accept, ",
		 f[0].table, f[0].chain);
	assert_int_equal(r.problems[0].code, PC_FIREWALL_DROP);
	assert_memory_equal(r.problems[0].fix, want, strlen(want));
	assert_string_equal(r.problems[1].fix + strlen(r.problems[1].fix) - strlen("node/cluster2-worker with an nftables image"),
			    "node/cluster2-worker with an nftables image");
	assert_memory_equal(r.problems[1].fix, "nft delete rule ip user pass handle 4 (or narrow it)", 51);
}

/* The problems of code c whose message holds want, counted. */
static size_t
with(const struct report *r, enum problem_code c, const char *want)
{
	size_t n = 0;

	for (size_t i = 0; i < r->nproblems; i++)
		n += r->problems[i].code == c && strstr(r->problems[i].message, want);
	return n;
}

/* The receiver's side in the node's own report: rp_filter for what arrives
 * from each remote node (its pods, its node IP) on the device it arrives on,
 * and the route back to it.  A symmetric path under loose or no rp_filter is
 * no problem; strict with the way back through another device is. */
static void
test_rp_back(void **state)
{
	static struct report r;
	struct plan_route *pr = &plan.routes[0];	/* 10.244.0.0/24 via 172.18.0.2, missing */
	const struct problem *p;
	char cause[200];

	r = rep;
	/* Loose, then off: the fixture's paths are symmetric (the way back to
	 * 10.244.0.0/24 is the default route, out of eth0 where it arrives). */
	r.sysctl.rp_dev = 2;
	diag_run(&r);
	assert_int_equal(with(&r, PC_RP_FILTER_STRICT, ""), 0);
	assert_int_equal(with(&r, PC_ROUTE_CONFLICT, "back"), 0);
	r.sysctl.rp_dev = 0;
	diag_run(&r);
	assert_int_equal(with(&r, PC_RP_FILTER_STRICT, ""), 0);

	/* Strict, and the way back to c1's pods leaves through a pod's veth. */
	r.sysctl.rp_dev = 1;
	pr->fib.oif = 3;
	diag_run(&r);
	assert_int_equal(with(&r, PC_RP_FILTER_STRICT, ""), 1);	/* not the general warning too */
	assert_int_equal(with(&r, PC_RP_FILTER_STRICT, "on cluster2-worker: strict rp_filter on eth0 "
			      "drops what arrives from 10.244.0.0/24 (pods of node cluster1-control-plane "
			      "(172.18.0.2) of cluster1): the route back to it leaves through "
			      "veth1a2b3c4d"), 1);
	p = &r.problems[0];
	while (p->code != PC_RP_FILTER_STRICT)
		p++;
	assert_int_equal(p->sev, SEV_ERROR);
	assert_non_null(strstr(p->fix, "net.ipv4.conf.eth0.rp_filter=2"));
	/* ... and for the matrix, whom it stands for: the sender's failing
	 * pair takes it as the receiver's cause. */
	assert_int_equal(r.nback, 1);
	assert_int_equal(r.back[0].from_ip, IP4(172, 18, 0, 2));
	assert_string_equal(r.back[0].cause, "strict rp_filter on eth0 drops it (the way back leaves "
			    "through veth1a2b3c4d)");
	/* Loose lets it in; off too.  The replies' way is the route problem
	 * already reported (route-missing), nothing more. */
	r.sysctl.rp_dev = 2;
	diag_run(&r);
	assert_int_equal(with(&r, PC_RP_FILTER_STRICT, ""), 0);
	assert_int_equal(r.nback, 0);
	/* No way back at all: loose drops it too. */
	pr->fib_err = -ENETUNREACH;
	diag_run(&r);
	assert_int_equal(with(&r, PC_RP_FILTER_STRICT, "rp_filter 2 on eth0 drops what arrives from "
			      "10.244.0.0/24"), 1);
	assert_int_equal(with(&r, PC_RP_FILTER_STRICT, "no route back"), 1);
	r.sysctl.rp_dev = 0;
	diag_run(&r);
	assert_int_equal(with(&r, PC_RP_FILTER_STRICT, ""), 0);
	pr->fib_err = 0;
	pr->fib.oif = 2;

	/* The remote node's own address (what masquerade leaves) routed out of
	 * another device: strict drops it; loose lets it in, the replies take
	 * the other way (a foreign route in the way). */
	fx_add_route((struct route4){ .dst = fx_p("172.18.0.2/32"), .oif = 3,
				      .protocol = RTPROT_STATIC });
	r.sysctl.rp_dev = 1;
	diag_run(&r);
	assert_int_equal(with(&r, PC_RP_FILTER_STRICT, "drops what arrives from 172.18.0.2 (node "
			      "cluster1-control-plane (172.18.0.2) of cluster1): the route back to it "
			      "leaves through veth1a2b3c4d"), 1);
	assert_int_equal(with(&r, PC_RP_FILTER_STRICT, ""), 1);
	r.sysctl.rp_dev = 2;
	diag_run(&r);
	assert_int_equal(with(&r, PC_RP_FILTER_STRICT, ""), 0);
	assert_int_equal(with(&r, PC_ROUTE_CONFLICT, "on cluster2-worker: replies to 172.18.0.2 leave "
			      "through veth1a2b3c4d"), 1);
	fx_kv.nroutes--;

	/* A route of ours in place (10.244.1.0/24, ok) but a more specific
	 * one takes its pods elsewhere: strict drops them. */
	r.nfw = 0;	/* the fixture's drop of 10.244.1.0/24 on the way out would come first */
	fx_add_route((struct route4){ .dst = fx_p("10.244.1.0/25"), .oif = 3,
				      .protocol = RTPROT_STATIC });
	r.sysctl.rp_dev = 1;
	diag_run(&r);
	assert_int_equal(with(&r, PC_RP_FILTER_STRICT, "drops what arrives from 10.244.1.0/24 (pods of "
			      "node 172.18.0.3): the route back to it leaves through veth1a2b3c4d"), 1);
	/* A probe of those pods leaves masqueraded as the node IP: its answers
	 * come from the pod, and that is the probe's likely cause here. */
	diag_probe_cause(&r, IP4(10, 244, 1, 7), cause, sizeof(cause));
	assert_string_equal(cause, "its answers: strict rp_filter on eth0 drops it (the way back "
			    "leaves through veth1a2b3c4d)");
	diag_probe_cause(&r, IP4(10, 244, 1, 200), cause, sizeof(cause));	/* the upper half */
	assert_string_equal(cause, "its answers: strict rp_filter on eth0 drops it (the way back "
			    "leaves through veth1a2b3c4d)");
	r.sysctl.rp_dev = 2;	/* loose: in, and the replies take the other way */
	diag_run(&r);
	assert_int_equal(with(&r, PC_RP_FILTER_STRICT, "drops"), 0);
	assert_int_equal(with(&r, PC_ROUTE_CONFLICT, "replies to 10.244.1.0/24 leave through "
			      "veth1a2b3c4d (\"10.244.1.0/25 dev veth1a2b3c4d"), 1);
	fx_kv.nroutes--;
	r.sysctl.rp_dev = 1;
	diag_run(&r);
	assert_int_equal(with(&r, PC_RP_FILTER_STRICT, "drops"), 0);
	assert_int_equal(with(&r, PC_ROUTE_CONFLICT, "replies"), 0);
}

/* A failed probe's likely cause is the drop of its destination, found
 * through diag_run's index of drops, and by a walk of every flow past
 * REPORT_MAX_DROPS of them; a probe elsewhere has none. */
static void
test_probe_cause(void **state)
{
	static struct report r;
	static struct report_fw f[REPORT_MAX_DROPS + 3];
	char cause[200];
	size_t n = 0;

	f[n++] = (struct report_fw){ "10.245.0.0/24", "10.244.9.0/24", 5000, "forward", "accept",
				     .table = "", .chain = "", .rule = "", .reason = "" };
	for (int i = 0; i < 2; i++) {
		for (; n < (i ? REPORT_MAX_DROPS + 2 : 3); n++) {
			f[n] = (struct report_fw){ "10.245.0.0/24", "", 5000, "forward", "drop",
						   .table = "ip user", .chain = "pass", .handle = n,
						   .rule = "drop", .reason = "" };
			snprintf(f[n].dst, sizeof(f[n].dst), "10.244.%zu.0/24", 10 + n);
		}
		r = (struct report){ .version = "test", .cfg = &cfg, .kv = &fx_kv, .fw = f, .nfw = n };
		diag_run(&r);
		assert_true(r.drops_indexed);
		assert_int_equal(r.drops_many, i == 1);
		diag_probe_cause(&r, 0x0af40000 | (10 + n - 1) << 8 | 5, cause, sizeof(cause));
		assert_int_equal(strncmp(cause, "ip user pass handle ", 20), 0);
		assert_int_equal(strtoul(cause + 20, NULL, 10), n - 1);
		assert_string_equal(strchr(cause + 20, ' '), " drops it");
		diag_probe_cause(&r, 0x0af40905, cause, sizeof(cause));	/* 10.244.9.5: accepted */
		assert_string_equal(cause, "");
	}
}

/* The JSON written a few elements per step (what the agent's loop does
 * between requests) is the JSON written at once, byte for byte, for the
 * golden report and for one of 1,500 flows (compact lines); each step
 * writes at most its budget. */
static void
test_json_steps(void **state)
{
	static struct report r;
	static struct report_fw f[1500];
	const size_t budgets[] = { 1, 2, 7, 1000 };

	for (size_t i = 0; i < 1500; i++)
		f[i] = (struct report_fw){ "10.245.0.0/24", "10.244.1.0/24", (uint16_t)i, "forward",
					   "accept", .table = "", .chain = "", .rule = "", .reason = "" };
	for (int big = 0; big < 2; big++) {
		char *whole;

		r = rep;
		if (big) {
			r.fw = f;
			r.nfw = 1500;
		}
		diag_run(&r);
		assert_non_null(whole = render_json(&r));
		for (size_t b = 0; b < sizeof(budgets) / sizeof(budgets[0]); b++) {
			struct render_job *j = render_json_start(&r);
			size_t steps = 0, elems = (r.plan ? r.plan->n : 0) + r.nfw + r.nprobes + r.nproblems;
			char *s = NULL;
			int e;

			assert_non_null(j);
			while ((e = render_json_step(j, &r, budgets[b], &s)) == 0)
				steps++;
			render_job_free(j);
			assert_int_equal(e, 1);
			assert_string_equal(s, whole);
			assert_int_equal(steps, (elems - 1) / budgets[b]);
			free(s);
		}
		free(whole);
	}
	render_job_free(NULL);
}

int
main(int argc, char *argv[])
{
	update_golden = argc == 2 && !strcmp(argv[1], "--update-golden");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_clusters),
		cmocka_unit_test(test_no_probe_targets),
		cmocka_unit_test(test_fw_fix),
		cmocka_unit_test(test_rp_back),
		cmocka_unit_test(test_probe_cause),
		cmocka_unit_test(test_json_steps),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
