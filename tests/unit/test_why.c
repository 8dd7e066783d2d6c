/* `podreach why`'s pure parts: the target parser, the receiver's rp_filter
 * and route back, the verdict, the text's first line, and the JSON both
 * ends exchange validated field by field. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "agent/core/why.h"
#include "plan_fixture.h"

static struct cfg cfg;
static struct why_trace t;

static int
setup(void **state)
{
	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.cluster, sizeof(cfg.cluster), "cluster2");
	snprintf(cfg.node_name, sizeof(cfg.node_name), "c2n1");
	cfg.node_ip = IP4(172, 18, 0, 4);
	memset(&t, 0, sizeof(t));
	fx_reset();
	(void)fx_add_route;	/* the fixture's, unused here */
	return 0;
}

static void
test_parse_target(void **state)
{
	uint32_t ip;
	uint16_t port;
	char err[160];

	assert_true(why_parse_target("10.244.1.5:5000", 9750, &ip, &port, err, sizeof(err)));
	assert_int_equal(ip, IP4(10, 244, 1, 5));
	assert_int_equal(port, 5000);
	assert_true(why_parse_target("10.244.1.5", 9750, &ip, &port, err, sizeof(err)));
	assert_int_equal(port, 9750);
	assert_false(why_parse_target("10.244.1.5:0", 1, &ip, &port, err, sizeof(err)));
	assert_false(why_parse_target("10.244.1.5:65536", 1, &ip, &port, err, sizeof(err)));
	assert_false(why_parse_target("10.244.1.5:+80", 1, &ip, &port, err, sizeof(err)));
	assert_false(why_parse_target("10.244.1.5:80x", 1, &ip, &port, err, sizeof(err)));
	assert_false(why_parse_target("10.244.1.5:", 1, &ip, &port, err, sizeof(err)));
	assert_false(why_parse_target("host:80", 1, &ip, &port, err, sizeof(err)));
	assert_false(why_parse_target("", 1, &ip, &port, err, sizeof(err)));
	assert_false(why_parse_target(NULL, 1, &ip, &port, err, sizeof(err)));
	assert_non_null(strstr(err, "IP[:PORT]"));
}

/* The receiver without a ruleset: the firewall is unknown, and rp_filter
 * and the route back are judged from the lookups. */
static void
receive(int rp, int back_oif, int back_err)
{
	struct why_in in = { .n = { &cfg, &fx_kv, NULL }, .src = IP4(172, 18, 0, 3),
			     .dst = IP4(10, 245, 0, 7), .port = 5000, .iif = 2, .rp = rp,
			     .to_dst = { .dst = { IP4(10, 245, 0, 7), 32 }, .oif = 3, .type = RTN_UNICAST },
			     .back = { .dst = { IP4(172, 18, 0, 3), 32 }, .oif = back_oif,
				       .type = RTN_UNICAST },
			     .back_err = back_err };

	memset(&t, 0, sizeof(t));
	why_receiver(&in, &t);
}

static const struct why_hop *
stage(const char *s)
{
	for (size_t i = 0; i < t.nhops; i++)
		if (!strcmp(t.hops[i].stage, s))
			return &t.hops[i];
	fail_msg("no hop %s", s);
	return NULL;
}

static void
test_receiver_rp_filter_and_route_back(void **state)
{
	receive(1, 2, 0);	/* strict, symmetric: in */
	assert_string_equal(stage("firewall")->verdict, "unknown");
	assert_string_equal(stage("rp_filter")->verdict, "accept");
	assert_string_equal(stage("route-back")->verdict, "accept");
	assert_string_equal(stage("rp_filter")->node, "c2n1");
	receive(1, 3, 0);	/* strict, the way back through another device: dropped */
	assert_string_equal(stage("rp_filter")->verdict, "drop");
	assert_non_null(strstr(stage("rp_filter")->message, "leaves through veth1a2b3c4d"));
	assert_non_null(strstr(stage("route-back")->message, "asymmetric"));
	receive(2, 3, 0);	/* loose: in, but asymmetric */
	assert_string_equal(stage("rp_filter")->verdict, "accept");
	receive(2, 2, -ENETUNREACH);	/* no way back: rp_filter drops, replies lost */
	assert_string_equal(stage("rp_filter")->verdict, "drop");
	assert_string_equal(stage("route-back")->verdict, "drop");
	receive(0, 2, -ENETUNREACH);
	assert_string_equal(stage("rp_filter")->verdict, "accept");
	assert_string_equal(stage("route-back")->verdict, "drop");
	why_finish(&t);
	assert_string_equal(t.verdict, "blocked");
}

/* Not delivered here (routed on via a gateway): one drop hop, nothing more. */
static void
test_receiver_not_here(void **state)
{
	struct why_in in = { .n = { &cfg, &fx_kv, NULL }, .src = IP4(172, 18, 0, 3),
			     .dst = IP4(10, 245, 9, 9), .port = 5000, .iif = 2,
			     .to_dst = { .gw = IP4(172, 18, 0, 1), .oif = 2, .type = RTN_UNICAST } };

	why_receiver(&in, &t);
	assert_int_equal(t.nhops, 1);
	assert_string_equal(t.hops[0].stage, "route");
	assert_string_equal(t.hops[0].verdict, "drop");
}

static void
test_verdict_and_text(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	why_note(&t, "c2n1", "cluster2", "route", "accept", "via 172.18.0.3");
	t.probe = (struct why_probe){ .done = true, .target = "10.244.1.5:5000", .result = "open",
				      .rtt_ms = 0.4 };
	why_finish(&t);
	assert_string_equal(t.verdict, "open");
	assert_int_equal(why_exit(&t), 0);
	snprintf(t.probe.result, sizeof(t.probe.result), "refused");
	why_finish(&t);
	assert_string_equal(t.verdict, "unknown");	/* nothing blocks, nothing listens */
	assert_int_equal(why_exit(&t), 1);
	why_note(&t, "c1n2", "cluster1", "firewall", "drop", "tcp dport 5000 drop");
	snprintf(t.hops[1].hook, sizeof(t.hops[1].hook), "forward");
	snprintf(t.hops[1].table, sizeof(t.hops[1].table), "ip filter");
	snprintf(t.hops[1].chain, sizeof(t.hops[1].chain), "FORWARD");
	t.hops[1].handle = 7;
	why_finish(&t);
	assert_string_equal(t.verdict, "blocked");
	assert_ptr_equal(why_blocker(&t), &t.hops[1]);
	f = open_memstream(&buf, &len);
	why_text(&t, f);
	fclose(f);
	assert_true(!strncmp(buf, "blocked at c1n2 (cluster1): firewall forward ip filter FORWARD "
			     "handle 7: tcp dport 5000 drop\n", 90));
	free(buf);
}

static void
test_json_round_trip(void **state)
{
	static struct why_trace got;
	char err[200], *s;

	why_note(&t, "c1n2", "cluster1", "firewall", "drop", "a \"quoted\" rule");
	t.hops[0].handle = 12;
	snprintf(t.probe.target, sizeof(t.probe.target), "10.244.1.5:5000");
	snprintf(t.probe.detail, sizeof(t.probe.detail), "not probed");
	why_finish(&t);
	s = why_json(&t);
	assert_non_null(s);
	assert_true(why_parse(s, strlen(s), &got, err, sizeof(err)));
	assert_string_equal(got.verdict, "blocked");
	assert_int_equal(got.nhops, 1);
	assert_int_equal(got.hops[0].handle, 12);
	assert_string_equal(got.hops[0].message, "a \"quoted\" rule");
	assert_false(got.probe.done);
	free(s);
}

/* Every field of another agent's answer is checked. */
static void
test_json_invalid(void **state)
{
	static struct why_trace got;
	static const char *bad[] = {
		"[]", "{\"verdict\":\"maybe\",\"hops\":[]}", "{\"verdict\":\"open\"}",
		"{\"verdict\":\"open\",\"hops\":[{}]}",
		"{\"verdict\":\"open\",\"hops\":[{\"node\":\"a\",\"cluster\":\"b\",\"stage\":\"teleport\","
		"\"hook\":\"\",\"verdict\":\"accept\",\"table\":\"\",\"chain\":\"\",\"handle\":0,\"message\":\"\"}]}",
		"{\"verdict\":\"open\",\"hops\":[{\"node\":\"a\",\"cluster\":\"b\",\"stage\":\"route\","
		"\"hook\":\"\",\"verdict\":\"accept\",\"table\":\"\",\"chain\":\"\",\"handle\":-1,\"message\":\"\"}]}",
		"{\"verdict\":\"open\",\"hops\":[{\"node\":\"a\\nb\",\"cluster\":\"b\",\"stage\":\"route\","
		"\"hook\":\"\",\"verdict\":\"accept\",\"table\":\"\",\"chain\":\"\",\"handle\":0,\"message\":\"\"}]}",
		"{\"verdict\":\"open\",\"hops\":[],\"probe\":{\"target\":\"x\",\"detail\":\"\",\"result\":\"great\",\"rtt_ms\":1}}",
		"{\"verdict\":\"open\",\"hops\":[],\"verdict\":\"blocked\"}",
		"{\"verdict\":\"open\",\"hops\":[],\"x\":[[[[[]]]]]}",
	};
	char err[200], *big;
	size_t n = WHY_MAX_BODY + 2;
	FILE *f;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_false(why_parse(bad[i], strlen(bad[i]), &got, err, sizeof(err)));
		assert_true(err[0] != '\0');
		assert_int_equal(got.nhops, 0);
	}
	big = malloc(n);
	memset(big, ' ', n);
	assert_false(why_parse(big, n, &got, err, sizeof(err)));
	free(big);
	/* WHY_MAX_HOPS pass, one more does not. */
	for (size_t i = 0; i <= WHY_MAX_HOPS; i++)
		why_note(&t, "a", "b", "route", "accept", "x");
	assert_int_equal(t.nhops, WHY_MAX_HOPS);
	why_finish(&t);
	big = why_json(&t);
	assert_true(why_parse(big, strlen(big), &got, err, sizeof(err)));
	assert_int_equal(got.nhops, WHY_MAX_HOPS);
	free(big);
	big = NULL;
	f = open_memstream(&big, &n);
	fprintf(f, "{\"verdict\":\"open\",\"hops\":[");
	for (size_t i = 0; i <= WHY_MAX_HOPS; i++)
		fprintf(f, "%s{\"node\":\"a\",\"cluster\":\"b\",\"stage\":\"route\",\"hook\":\"\","
			"\"verdict\":\"accept\",\"table\":\"\",\"chain\":\"\",\"handle\":0,"
			"\"message\":\"\"}", i ? "," : "");
	fprintf(f, "]}");
	fclose(f);
	assert_false(why_parse(big, strlen(big), &got, err, sizeof(err)));
	assert_non_null(strstr(err, "at most 32"));
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_parse_target, setup),
		cmocka_unit_test_setup(test_receiver_rp_filter_and_route_back, setup),
		cmocka_unit_test_setup(test_receiver_not_here, setup),
		cmocka_unit_test_setup(test_verdict_and_text, setup),
		cmocka_unit_test_setup(test_json_round_trip, setup),
		cmocka_unit_test_setup(test_json_invalid, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
