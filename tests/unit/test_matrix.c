/* The matrix's pure parts: which node a probe target belongs to, one agent's
 * row from its probes, /v1/row validated field by field, /v1/matrix, and the
 * sizes at 150 nodes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "agent/core/diag.h"
#include "agent/core/report.h"
#include "agent/daemon/matrix.h"
#include "agent/io/probe.h"

static uint32_t
ip(const char *s)
{
	uint32_t v = 0;

	assert_true(cidr_parse_ip(s, &v));
	return v;
}

static struct prefix4
pfx(const char *s)
{
	struct prefix4 p;
	char err[100];

	assert_true(cidr_parse(s, &p, err, sizeof(err)));
	return p;
}

/* cluster1: c1n1 (self) 172.18.0.2 10.244.0.0/24, c1n2 172.18.0.3 10.244.1.0/24;
 * cluster2: c2n1 172.18.0.4 10.245.0.0/24 (+ a /16 of c2n2 overlapping it). */
static struct prefix4 cidrs[4][2];

static size_t
lab(struct mx_node *v)
{
	static const char *names[][4] = {
		{ "cluster1", "c1n1", "172.18.0.2", "10.244.0.0/24" },
		{ "cluster1", "c1n2", "172.18.0.3", "10.244.1.0/24" },
		{ "cluster2", "c2n1", "172.18.0.4", "10.245.0.0/24" },
		{ "cluster2", "c2n2", "172.18.0.5", "10.245.0.0/16" },
	};

	for (size_t i = 0; i < 4; i++) {
		v[i] = (struct mx_node){ .node_ip = ip(names[i][2]), .cidrs = cidrs[i], .ncidrs = 1,
					 .self = i == 0 };
		cidrs[i][0] = pfx(names[i][3]);
		snprintf(v[i].cluster, sizeof(v[i].cluster), "%s", names[i][0]);
		snprintf(v[i].name, sizeof(v[i].name), "%s", names[i][1]);
		snprintf(v[i].agent, sizeof(v[i].agent), "%s:9750", names[i][2]);
	}
	v[2].probe_ips[v[2].nprobe_ips++] = ip("10.99.0.1");
	return 4;
}

static void
test_node_of(void **state)
{
	struct mx_node v[4];
	size_t n = lab(v);

	assert_int_equal(mx_node_of(v, n, ip("10.244.1.77")), 1);	/* a pod */
	assert_int_equal(mx_node_of(v, n, ip("172.18.0.4")), 2);	/* the node IP */
	assert_int_equal(mx_node_of(v, n, ip("10.99.0.1")), 2);	/* a probe address */
	assert_int_equal(mx_node_of(v, n, ip("10.245.0.9")), 2);	/* /24 beats /16 */
	assert_int_equal(mx_node_of(v, n, ip("10.245.7.9")), 3);
	assert_int_equal(mx_node_of(v, n, ip("192.168.1.1")), -1);
	assert_int_equal(mx_node_of(v, n, 0), -1);
	assert_int_equal(mx_node_by_ip(v, n, ip("172.18.0.5")), 3);
	assert_int_equal(mx_node_by_ip(v, n, ip("10.245.0.9")), -1);
	{	/* in either order */
		struct mx_node t = v[2];

		v[2] = v[3];
		v[3] = t;
		assert_int_equal(mx_node_of(v, n, ip("10.245.0.9")), 3);
	}
}

static void
test_nodes_finish(void **state)
{
	struct mx_node v[6];

	lab(v);
	v[4] = v[1];	/* c1n2 again, newer, with another IP: the newest claim stays */
	v[4].node_ip = ip("172.18.0.13");
	v[4].seen = 5;
	v[1].seen = 1;
	v[5] = v[3];	/* a stranger on c1n1's IP: c1n1 is this agent, it stays */
	snprintf(v[5].name, sizeof(v[5].name), "aaa");
	v[5].node_ip = v[0].node_ip;
	v[5].self = false;
	{
		struct mx_node t = v[0];	/* shuffle: sorting is the function's job */

		v[0] = v[3];
		v[3] = t;
	}
	assert_int_equal(mx_nodes_finish(v, 6), 4);
	assert_string_equal(v[0].name, "c1n1");
	assert_true(v[0].self);
	assert_string_equal(v[1].name, "c1n2");
	assert_int_equal(v[1].node_ip, ip("172.18.0.13"));
	assert_string_equal(v[2].name, "c2n1");
	assert_string_equal(v[3].name, "c2n2");
}

static struct report_probe
probe(const char *target, const char *result, double rtt, const char *detail)
{
	struct report_probe p = { .rtt_ms = rtt };
	char host[32];

	snprintf(p.target, sizeof(p.target), "%s", target);
	snprintf(p.kind, sizeof(p.kind), "tcp");
	snprintf(p.result, sizeof(p.result), "%s", result);
	snprintf(p.detail, sizeof(p.detail), "%s", detail);
	snprintf(host, sizeof(host), "%s", target);
	*strchr(host, ':') = '\0';
	p.ip = ip(host);
	return p;
}

static void
fake_cause(void *ctx, uint32_t a, char *buf, size_t len)
{
	snprintf(buf, len, a == ip("10.245.0.9") ? "ip user pass handle 4 drops it" : "");
	(*(int *)ctx)++;
}

static void
test_row_build(void **state)
{
	struct mx_node v[4];
	size_t n = lab(v);
	struct report_probe p[] = {
		probe("10.245.0.9:9750", "timeout", 500, "no answer within 0.5 s"),
		probe("172.18.0.4:9750", "open", 0.2, ""),
		probe("10.99.0.1:9750", "refused", 0.4, ""),
		probe("10.245.0.10:9750", "unreachable", 1, ""),	/* the second failure: counted */
		probe("10.245.3.3:9750", "refused", 0.3, ""),	/* c2n2 */
		probe("10.245.3.4:9750", "open", 0.5, ""),
		probe("10.244.0.5:9750", "timeout", 1, ""),	/* ourselves: no cell */
		probe("192.168.9.9:80", "timeout", 1, ""),	/* nobody's: no cell */
	};
	struct mx_row row = { 0 };
	int calls = 0;

	assert_int_equal(mx_row_build(v, n, p, 8, fake_cause, &calls, &row), 0);
	assert_int_equal(calls, 1);	/* asked once: for the first failure */
	assert_int_equal(row.ncells, 2);
	assert_int_equal(row.cells[0].to_ip, ip("172.18.0.4"));
	assert_string_equal(probe_result_name(row.cells[0].result), "timeout");
	assert_int_equal(row.cells[0].reached, 2);
	assert_int_equal(row.cells[0].probed, 4);
	assert_true(row.cells[0].rtt_ms > 0.29 && row.cells[0].rtt_ms < 0.31);	/* mean of reached */
	assert_string_equal(row.cells[0].target, "10.245.0.9:9750");
	assert_string_equal(row.cells[0].cause, "ip user pass handle 4 drops it");
	assert_string_equal(row.cells[0].detail, "no answer within 0.5 s");
	/* Every failing target is named, not only the first. */
	assert_int_equal(row.cells[0].nfailing, 2);
	assert_string_equal(row.cells[0].failing[0], "10.245.0.9:9750");
	assert_string_equal(row.cells[0].failing[1], "10.245.0.10:9750");
	assert_int_equal(row.cells[1].nfailing, 0);
	assert_int_equal(row.cells[1].to_ip, ip("172.18.0.5"));
	assert_string_equal(probe_result_name(row.cells[1].result), "open");	/* open beats refused */
	assert_int_equal(row.cells[1].reached, 2);
	assert_null(row.cells[1].target);
	assert_null(row.cells[1].cause);
	mx_row_free(&row);
	assert_int_equal(mx_row_build(v, n, NULL, 0, NULL, NULL, &row), 0);
	assert_int_equal(row.ncells, 0);
	mx_row_free(&row);
	mx_row_free(NULL);
}

/* A node whose targets all fail: the first MX_MAX_FAILING are named, the
 * count (probed - reached) says how many in all. */
static void
test_row_failing_bound(void **state)
{
	struct mx_node v[4];
	size_t n = lab(v);
	struct report_probe p[MX_MAX_FAILING + 3];
	struct mx_row row = { 0 };
	char t[32];

	for (size_t i = 0; i < MX_MAX_FAILING + 3; i++) {
		snprintf(t, sizeof(t), "10.245.0.%zu:5000", i + 2);
		p[i] = probe(t, "timeout", 1000, "");
	}
	assert_int_equal(mx_row_build(v, n, p, MX_MAX_FAILING + 3, NULL, NULL, &row), 0);
	assert_int_equal(row.ncells, 1);
	assert_int_equal(row.cells[0].probed, MX_MAX_FAILING + 3);
	assert_int_equal(row.cells[0].nfailing, MX_MAX_FAILING);
	assert_string_equal(row.cells[0].failing[MX_MAX_FAILING - 1], "10.245.0.9:5000");
	mx_row_free(&row);
}

/* The cause the report knows, as the row shows it. */
static void
test_cause_from_report(void **state)
{
	struct report_fw fw = { .dst = "10.245.0.0/24", .hook = "output", .verdict = "drop",
				.table = "ip block", .chain = "out", .handle = 7, .rule = "", .reason = "",
				.from_node = true };
	struct report r = { .fw = &fw, .nfw = 1 };
	char buf[200];

	diag_probe_cause(&r, ip("10.245.0.9"), buf, sizeof(buf));
	assert_string_equal(buf, "ip block out handle 7 drops it");
	diag_probe_cause(&r, ip("10.244.0.9"), buf, sizeof(buf));
	assert_string_equal(buf, "");
	snprintf(fw.verdict, sizeof(fw.verdict), "masquerade");
	diag_probe_cause(&r, ip("10.245.0.9"), buf, sizeof(buf));
	assert_string_equal(buf, "");
}

static const char good_row[] =
	"{\"cluster\":\"cluster2\",\"node\":\"c2n1\",\"node_ip\":\"172.18.0.4\",\"age_s\":1.5,"
	"\"cells\":[{\"node_ip\":\"172.18.0.2\",\"result\":\"timeout\",\"rtt_ms\":0.3,\"reached\":1,"
	"\"probed\":3,\"target\":\"10.244.0.9:9750\",\"cause\":\"ip block out handle 2 drops it\","
	"\"detail\":null,\"failing\":[\"10.244.0.9:9750\",\"10.244.0.7:5000\"]},"
	"{\"node_ip\":\"172.18.0.3\",\"result\":\"open\",\"rtt_ms\":0.12,\"reached\":3,\"probed\":3}]}";

static void
test_row_parse_good(void **state)
{
	struct mx_row row, again;
	char err[200], *s;

	assert_true(mx_row_parse(good_row, strlen(good_row), &row, err, sizeof(err)));
	assert_string_equal(row.cluster, "cluster2");
	assert_string_equal(row.node, "c2n1");
	assert_int_equal(row.node_ip, ip("172.18.0.4"));
	assert_true(row.age_s == 1.5);
	assert_int_equal(row.ncells, 2);
	assert_string_equal(row.cells[0].cause, "ip block out handle 2 drops it");
	assert_null(row.cells[0].detail);
	assert_null(row.cells[1].target);
	/* What we serve, we accept: out and back in, unchanged. */
	s = mx_row_json(&row);
	assert_non_null(s);
	assert_true(mx_row_parse(s, strlen(s), &again, err, sizeof(err)));
	assert_int_equal(again.ncells, 2);
	assert_int_equal(again.cells[0].reached, 1);
	assert_string_equal(again.cells[0].target, "10.244.0.9:9750");
	assert_int_equal(again.cells[0].nfailing, 2);
	assert_string_equal(again.cells[0].failing[1], "10.244.0.7:5000");
	assert_int_equal(again.cells[1].nfailing, 0);
	assert_true(again.cells[1].rtt_ms > 0.119 && again.cells[1].rtt_ms < 0.121);
	free(s);
	mx_row_free(&again);
	mx_row_free(&row);
}

/* good_row with one substitution. */
static char *
bad_row(const char *from, const char *to)
{
	const char *at = strstr(good_row, from);
	char *s;

	assert_non_null(at);
	assert_true(asprintf(&s, "%.*s%s%s", (int)(at - good_row), good_row, to, at + strlen(from)) > 0);
	return s;
}

static void
test_row_parse_bad(void **state)
{
	static const struct { const char *from, *to, *why; } bad[] = {
		{ "{", "[", "not JSON" },
		{ "\"cluster2\"", "\"Cluster2\"", "cluster: want" },
		{ "\"cluster2\"", "\"<b>x</b>\"", "cluster: want" },
		{ "\"node\":\"c2n1\",", "", "node: want" },
		{ "\"node\":\"c2n1\"", "\"node\":\"c2n1\",\"node\":\"x\"", "not JSON" },	/* duplicate key */
		{ "\"172.18.0.4\"", "\"172.18.0.256\"", "node_ip: want" },
		{ "1.5", "-1", "age_s: want" },
		{ "1.5", "1e300", "age_s: want" },
		{ "1.5", "\"1\"", "age_s: want" },
		{ "\"cells\":[", "\"cells\":{\"a\":1},\"x\":[", "cells: want a list" },
		{ "{\"node_ip\":\"172.18.0.3\"", "7,{\"node_ip\":\"172.18.0.3\"", "cells[1]: want an object" },
		{ "\"172.18.0.3\"", "\"x\"", "cells[1].node_ip" },
		{ "\"172.18.0.3\"", "\"0.0.0.0\"", "cells[1].node_ip" },
		{ "\"172.18.0.3\"", "\"172.18.0.2\"", "cells[1].node_ip: given twice" },
		{ "\"open\"", "\"pwned\"", "cells[1].result" },
		{ "\"reached\":1", "\"reached\":4", "reached <= probed" },
		{ "\"reached\":1", "\"reached\":-1", "reached <= probed" },
		{ "\"reached\":1", "\"reached\":1.5", "reached <= probed" },
		{ "\"probed\":3,\"target\"", "\"probed\":4097,\"target\"", "reached <= probed" },
		{ "\"reached\":1,\"probed\":3", "\"reached\":0,\"probed\":0", "reached <= probed" },
		{ "\"timeout\"", "\"open\"", "contradicts" },
		{ "\"open\"", "\"timeout\"", "contradicts" },
		{ "\"rtt_ms\":0.3", "\"rtt_ms\":-0.3", "rtt_ms" },
		{ "\"rtt_ms\":0.3", "\"rtt_ms\":\"fast\"", "rtt_ms" },
		{ "\"10.244.0.9:9750\"", "[\"x\"]", "cells[0].target" },
		{ "\"detail\":null", "\"detail\":\"a\\u0000b\"", "not JSON" },	/* jansson refuses NUL */
		{ "\"10.244.0.7:5000\"]", "\"10.244.0.7:5000\",\"x\"]", "cells[0].failing" },	/* > 3 - 1 */
		{ "\"10.244.0.7:5000\"]", "7]", "cells[0].failing" },
		{ "[\"10.244.0.9:9750\",\"10.244.0.7:5000\"]", "\"10.244.0.9:9750\"", "cells[0].failing" },
	};
	struct mx_row row;
	char err[200];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *s = bad_row(bad[i].from, bad[i].to);

		err[0] = '\0';
		if (mx_row_parse(s, strlen(s), &row, err, sizeof(err)))
			fail_msg("accepted #%zu: %s", i, s);
		if (!strstr(err, bad[i].why))
			fail_msg("#%zu: \"%s\" does not say \"%s\"", i, err, bad[i].why);
		assert_null(row.cells);	/* bad input leaves nothing behind */
		free(s);
	}
}

static void
test_row_parse_bounds(void **state)
{
	char long_text[MX_MAX_TEXT + 16], *s, *body, err[200];
	struct mx_row row;
	size_t len = MX_MAX_NODES * 80 + 200, off;

	/* Strings: at most MX_MAX_TEXT / MX_MAX_TARGET bytes. */
	memset(long_text, 'a', MX_MAX_TEXT + 1);
	long_text[MX_MAX_TEXT + 1] = '\0';
	assert_true(asprintf(&body, "\"%s\"", long_text) > 0);
	s = bad_row("\"ip block out handle 2 drops it\"", body);
	assert_false(mx_row_parse(s, strlen(s), &row, err, sizeof(err)));
	assert_non_null(strstr(err, "cells[0].cause: want a string of at most 200 bytes"));
	free(s);
	free(body);
	long_text[MX_MAX_TARGET + 1] = '\0';
	assert_true(asprintf(&body, "\"%s\"", long_text) > 0);
	s = bad_row("\"10.244.0.9:9750\"", body);
	assert_false(mx_row_parse(s, strlen(s), &row, err, sizeof(err)));
	assert_non_null(strstr(err, "cells[0].target"));
	free(s);
	free(body);
	/* Depth: one more level than a row has. */
	s = bad_row("\"rtt_ms\":0.3", "\"rtt_ms\":[[0.3]]");
	assert_false(mx_row_parse(s, strlen(s), &row, err, sizeof(err)));
	assert_non_null(strstr(err, "nested deeper"));
	free(s);
	/* Size: a body past MX_MAX_BODY is refused before it is parsed. */
	assert_false(mx_row_parse(good_row, MX_MAX_BODY + 1, &row, err, sizeof(err)));
	assert_non_null(strstr(err, "larger than"));
	/* Count: MX_MAX_NODES cells pass, one more does not. */
	for (int extra = 0; extra <= 1; extra++) {
		body = malloc(len);
		off = (size_t)snprintf(body, len, "{\"cluster\":\"c\",\"node\":\"n\",\"node_ip\":\"1.1.1.1\",\"cells\":[");
		for (int i = 0; i < MX_MAX_NODES + extra; i++)
			off += (size_t)snprintf(body + off, len - off, "%s{\"node_ip\":\"10.0.%d.%d\",\"result\":"
						"\"open\",\"reached\":1,\"probed\":1}", i ? "," : "",
						i / 250, i % 250 + 1);
		snprintf(body + off, len - off, "]}");
		assert_int_equal(mx_row_parse(body, strlen(body), &row, err, sizeof(err)), !extra);
		if (extra)
			assert_non_null(strstr(err, "at most 256"));
		mx_row_free(&row);
		free(body);
	}
}

/* Control bytes and anything past ASCII become '?'; markup stays text (the
 * page never parses it as HTML). */
static void
test_row_sanitize(void **state)
{
	char *s = bad_row("\"detail\":null", "\"detail\":\"\\u001b[31m\\u00e9<img src=x>\"");
	struct mx_row row;
	char err[200];

	assert_true(mx_row_parse(s, strlen(s), &row, err, sizeof(err)));
	assert_string_equal(row.cells[0].detail, "?[31m?\?<img src=x>");
	mx_row_free(&row);
	free(s);
}

static json_t *
matrix(const struct mx_node *v, size_t n, const struct mx_view *w)
{
	char *s = mx_matrix_json(v, n, w, "cluster1", "c1n1", 1);
	json_error_t je;
	json_t *j;

	assert_non_null(s);
	j = json_loads(s, 0, &je);
	assert_non_null(j);
	free(s);
	return j;
}

static void
test_matrix_json(void **state)
{
	struct mx_node v[4];
	size_t n = lab(v);
	struct mx_row self = { 0 }, c2n1;
	struct report_probe p[] = {
		probe("172.18.0.4:9750", "open", 0.25, ""),
		probe("10.245.3.3:9750", "timeout", 500, "no answer"),
	};
	struct mx_view w[4] = {
		{ .state = MX_ROW_SELF, .age_s = 0.5, .row = &self },
		/* Unreachable now: the cells of its last answer must not show. */
		{ .state = MX_ROW_UNREACHABLE, .error = "Couldn't connect to server", .age_s = -1,
		  .row = &c2n1 },
		{ .state = MX_ROW_OK, .age_s = 1.5, .row = &c2n1 },
		{ .state = MX_ROW_PENDING, .age_s = -1 },
	};
	char err[200];
	json_t *j, *nodes, *f;

	assert_int_equal(mx_row_build(v, n, p, 2, NULL, NULL, &self), 0);
	assert_true(mx_row_parse(good_row, strlen(good_row), &c2n1, err, sizeof(err)));
	j = matrix(v, n, w);
	nodes = json_object_get(j, "nodes");
	assert_int_equal(json_array_size(nodes), 4);
	assert_string_equal(json_string_value(json_object_get(json_array_get(nodes, 1), "row")), "unreachable");
	assert_string_equal(json_string_value(json_object_get(json_array_get(nodes, 1), "error")),
			    "Couldn't connect to server");
	/* Columns follow nodes[]; null: not probed or not known. */
	assert_string_equal(json_string_value(json_array_get(json_object_get(json_array_get(nodes, 0),
		"result"), 2)), "open");
	assert_true(json_is_null(json_array_get(json_object_get(json_array_get(nodes, 0), "result"), 1)));
	assert_string_equal(json_string_value(json_array_get(json_object_get(json_array_get(nodes, 2),
		"result"), 0)), "timeout");
	for (size_t k = 0; k < 4; k++)
		assert_true(json_is_null(json_array_get(json_object_get(json_array_get(nodes, 1), "result"), k)));
	assert_true(json_real_value(json_array_get(json_object_get(json_array_get(nodes, 0), "rtt_ms"), 2))
		    == 0.25);
	/* Failures: ours to c2n2, c2n1's to c1n1 with the cause it sent. */
	f = json_object_get(j, "failures");
	assert_int_equal(json_array_size(f), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(f, 1), "from")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(f, 1), "to")), 0);
	assert_string_equal(json_string_value(json_object_get(json_array_get(f, 1), "cause")),
			    "ip block out handle 2 drops it");
	/* The failing application targets of the pair, every one (the row's list). */
	assert_int_equal(json_array_size(json_object_get(json_array_get(f, 1), "failing")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(json_array_get(f, 1),
		"failing"), 1)), "10.244.0.7:5000");
	assert_string_equal(json_string_value(json_array_get(json_object_get(json_array_get(f, 0),
		"failing"), 0)), "10.245.3.3:9750");
	assert_int_equal(json_integer_value(json_object_get(j, "failures_omitted")), 0);
	assert_int_equal(json_integer_value(json_object_get(j, "probed_pairs")), 4);
	assert_string_equal(json_string_value(json_object_get(j, "summary")),
			    "2 of 4 probed pairs failing");
	json_decref(j);
	mx_row_free(&self);
	mx_row_free(&c2n1);
}

/* The receiver's side: c1n1 (this agent) drops what c2n1 sends to port
 * 9750; c2n1's row knows no cause (it saw no answer), so the pair's cause
 * names c1n1 and the handle.  Its drops go out on /v1/row and come back
 * validated. */
static void
test_matrix_receiver_cause(void **state)
{
	struct mx_node v[4];
	size_t n = lab(v);
	struct report_fw fw[] = {
		{ "172.18.0.4/32", "10.244.0.0/24", 9750, "forward", "accept", "", "", 0, "", "",
		  false, true, 0 },
		{ "172.18.0.4/32", "10.244.0.0/24", 9750, "forward", "drop", "ip filter", "FORWARD", 4,
		  "tcp dport 9750 drop", "", false, true, 0 },
		{ "10.245.0.0/24", "10.244.0.0/24", 9750, "forward", "drop", "ip filter", "FORWARD", 4,
		  "tcp dport 9750 drop", "", false, true, 0 },
		{ "10.244.0.0/24", "10.245.0.0/24", 9750, "forward", "drop", "ip x", "y", 9, "", "",
		  false, false, 0 },	/* outbound: not the receiver's business */
	};
	struct mx_row self = { 0 }, c2n1, back;
	struct mx_view w[4] = {
		{ .state = MX_ROW_SELF, .age_s = 0.5, .row = &self },
		{ .state = MX_ROW_PENDING, .age_s = -1 },
		{ .state = MX_ROW_OK, .age_s = 1.5, .row = &c2n1 },
		{ .state = MX_ROW_PENDING, .age_s = -1 },
	};
	char err[200], *row = bad_row("\"ip block out handle 2 drops it\"", "null"), *s;
	json_t *j, *f;

	struct report_back rpb[] = {
		{ ip("172.18.0.4"), { 0, 0 }, "strict rp_filter on eth0 drops it (the way back leaves through x)" },
		{ ip("172.18.0.5"), { 0, 0 }, "strict rp_filter on eth0 drops it (the way back leaves through x)" },
	};
	uint16_t ports[] = { 9750, 5000 };

	fw[1].from_ip = fw[2].from_ip = ip("172.18.0.4");
	assert_int_equal(mx_row_drops(fw, 4, "c1n1", &self), 0);
	assert_int_equal(self.ndrops, 1);	/* one per sender and port */
	assert_string_equal(self.drops[0].cause, "c1n1: ip filter FORWARD handle 4 drops it (forward)");
	/* rp_filter's drops, on every probe port: a rule's drop on a port stays first. */
	assert_int_equal(mx_row_back(rpb, 2, ports, 2, "c1n1", &self), 0);
	assert_int_equal(self.ndrops, 4);
	assert_int_equal(self.drops[1].from_ip, ip("172.18.0.4"));
	assert_int_equal(self.drops[1].port, 5000);
	assert_string_equal(self.drops[1].cause, "c1n1: strict rp_filter on eth0 drops it (the way "
			    "back leaves through x)");
	assert_int_equal(self.drops[3].from_ip, ip("172.18.0.5"));
	for (size_t k = 1; k < 4; k++)
		free(self.drops[k].cause);
	self.ndrops = 1;
	assert_true(mx_row_parse(row, strlen(row), &c2n1, err, sizeof(err)));
	j = matrix(v, n, w);
	f = json_array_get(json_object_get(j, "failures"), 0);
	assert_int_equal(json_integer_value(json_object_get(f, "from")), 2);
	assert_int_equal(json_integer_value(json_object_get(f, "to")), 0);
	assert_string_equal(json_string_value(json_object_get(f, "cause")),
			    "c1n1: ip filter FORWARD handle 4 drops it (forward)");
	assert_string_equal(json_string_value(json_object_get(f, "receiver")),
			    "c1n1: ip filter FORWARD handle 4 drops it (forward)");
	json_decref(j);
	/* Nothing made up: a receiver that drops nothing of c2n1's adds nothing. */
	self.drops[0].from_ip = ip("172.18.0.5");
	j = matrix(v, n, w);
	f = json_array_get(json_object_get(j, "failures"), 0);
	assert_true(json_is_null(json_object_get(f, "cause")));
	assert_true(json_is_null(json_object_get(f, "receiver")));
	json_decref(j);
	snprintf(self.cluster, sizeof(self.cluster), "cluster1");
	snprintf(self.node, sizeof(self.node), "c1n1");
	self.node_ip = ip("172.18.0.2");
	s = mx_row_json(&self);
	assert_true(mx_row_parse(s, strlen(s), &back, err, sizeof(err)));
	assert_int_equal(back.ndrops, 1);
	assert_int_equal(back.drops[0].port, 9750);
	assert_int_equal(back.drops[0].from_ip, ip("172.18.0.5"));
	free(s);
	mx_row_free(&back);
	free(row);
	row = bad_row("\"cells\"", "\"drops\":[{\"from\":\"172.18.0.4\",\"port\":0,\"cause\":\"x\"}],\"cells\"");
	assert_false(mx_row_parse(row, strlen(row), &back, err, sizeof(err)));
	assert_non_null(strstr(err, "drops[0]"));
	free(row);
	row = bad_row("\"cells\"", "\"drops\":[{\"from\":\"172.18.0.4\",\"port\":80}],\"cells\"");
	assert_false(mx_row_parse(row, strlen(row), &back, err, sizeof(err)));
	free(row);
	mx_row_free(&self);
	mx_row_free(&c2n1);
}

/* Rows that probed nothing are no all-clear: the matrix says "nothing
 * probed", not "0 failing". */
static void
test_matrix_nothing_probed(void **state)
{
	struct mx_node v[4];
	size_t n = lab(v);
	struct mx_row self = { 0 }, empty = { .cluster = "cluster2", .node = "c2n1" };
	struct mx_view w[4] = {
		{ .state = MX_ROW_SELF, .age_s = 0.5, .row = &self },
		{ .state = MX_ROW_OK, .age_s = 1, .row = &empty },
		{ .state = MX_ROW_OK, .age_s = 1, .row = &empty },
		{ .state = MX_ROW_NONE, .age_s = -1 },
	};
	json_t *j;

	assert_int_equal(mx_row_build(v, n, NULL, 0, NULL, NULL, &self), 0);
	j = matrix(v, n, w);
	assert_int_equal(json_array_size(json_object_get(j, "failures")), 0);
	assert_int_equal(json_integer_value(json_object_get(j, "probed_pairs")), 0);
	assert_string_equal(json_string_value(json_object_get(j, "summary")), "nothing probed");
	json_decref(j);
	mx_row_free(&self);
}

static void
write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(s, f);
	assert_int_equal(fclose(f), 0);
}

/* 3 clusters x 50 nodes, every node probing the 100 of the other clusters
 * (3 targets each, one failing per row), and the worst case: every pair
 * failing.  Prints the sizes; the bounds asserted are what README claims. */
static void
test_matrix_150(void **state)
{
	enum { N = 150 };
	struct mx_node *v = calloc(N, sizeof(*v));
	struct mx_row *rows = calloc(N, sizeof(*rows));
	struct mx_view *w = calloc(N, sizeof(*w));
	struct report_probe *p = calloc(3 * N, sizeof(*p));
	static struct prefix4 pc[N];
	char t[64], *s, *page = matrix_ui();
	size_t ok_len, bad_len;

	for (int i = 0; i < N; i++) {
		snprintf(v[i].cluster, sizeof(v[i].cluster), "cluster%d", i / 50 + 1);
		snprintf(v[i].name, sizeof(v[i].name), "cluster%d-worker%d", i / 50 + 1, i % 50);
		v[i].node_ip = ip("172.18.1.0") + (uint32_t)i;
		pc[i] = (struct prefix4){ ip("10.0.0.0") + ((uint32_t)i << 8), 24 };
		v[i].cidrs = &pc[i];
		v[i].ncidrs = 1;
	}
	for (int fail_all = 0; fail_all <= 1; fail_all++) {
		for (int i = 0; i < N; i++) {
			size_t np = 0;

			for (int j = 0; j < N; j++) {
				if (i / 50 == j / 50)
					continue;
				for (int k = 0; k < 3; k++) {
					bool bad = fail_all ? k == 0 : (j == (i + 50) % N && k == 0);

					snprintf(t, sizeof(t), "10.0.%d.%d:9750", j, k + 2);
					p[np] = probe(t, bad ? "timeout" : "open", bad ? 1000 : 0.2 + k * 0.01,
						      bad ? "no answer within 1 s; from 10.0.0.1 (pod gateway)" : "");
					np++;
				}
			}
			v[i].self = true;
			assert_int_equal(mx_row_build(v, N, p, np, NULL, NULL, &rows[i]), 0);
			v[i].self = false;
			for (size_t c = 0; c < rows[i].ncells; c++)
				if (rows[i].cells[c].target)
					rows[i].cells[c].cause = strdup("ip filter FORWARD handle 1234 drops it");
			w[i] = (struct mx_view){ .state = i ? MX_ROW_OK : MX_ROW_SELF, .age_s = 1.2,
						 .row = &rows[i] };
		}
		s = mx_matrix_json(v, N, w, "cluster1", "cluster1-worker0", 10);
		assert_non_null(s);
		if (!fail_all && getenv("MATRIX_JSON_OUT"))	/* for tests/bench/ui_bench.sh */
			write_file(getenv("MATRIX_JSON_OUT"), s);
		*(fail_all ? &bad_len : &ok_len) = strlen(s);
		free(s);
		for (int i = 0; i < N; i++)
			mx_row_free(&rows[i]);
	}
	printf("# /ui page: %zu bytes; /v1/matrix at 150 nodes: %zu bytes (150 failing pairs), "
	       "%zu bytes (all 15000 pairs failing, %d detailed)\n", strlen(page), ok_len, bad_len,
	       MX_MAX_DETAILS);
	assert_true(strlen(page) < 100 * 1024);
	assert_true(ok_len < 400 * 1024);
	assert_true(bad_len < 600 * 1024);
	free(page);
	free(v);
	free(rows);
	free(w);
	free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_node_of),
		cmocka_unit_test(test_nodes_finish),
		cmocka_unit_test(test_row_build),
		cmocka_unit_test(test_row_failing_bound),
		cmocka_unit_test(test_cause_from_report),
		cmocka_unit_test(test_row_parse_good),
		cmocka_unit_test(test_row_parse_bad),
		cmocka_unit_test(test_row_parse_bounds),
		cmocka_unit_test(test_row_sanitize),
		cmocka_unit_test(test_matrix_json),
		cmocka_unit_test(test_matrix_receiver_cause),
		cmocka_unit_test(test_matrix_nothing_probed),
		cmocka_unit_test(test_matrix_150),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
