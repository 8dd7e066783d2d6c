/* Nodes, lists, watch events and remote Secrets as the API server sends them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "agent/core/kobj.h"

static json_t *
obj(const char *s)
{
	json_error_t je;
	json_t *o = json_loads(s, 0, &je);

	if (!o)
		fail_msg("bad fixture: %s", je.text);
	return o;
}

static void
node_of(const char *json, struct kobj_node *n)
{
	json_t *o = obj(json);
	char err[200];

	if (!kobj_node(o, n, err, sizeof(err)))
		fail_msg("refused: %s", err);
	json_decref(o);
}

static void
test_node(void **state)
{
	struct kobj_node n;
	char b[CIDR_STRLEN];

	/* Dual stack, as kube-controller-manager assigns it; addresses in any order. */
	node_of("{\"metadata\":{\"name\":\"c2n1\",\"resourceVersion\":\"812\"},"
		"\"spec\":{\"podCIDR\":\"10.245.0.0/24\",\"podCIDRs\":[\"10.245.0.0/24\",\"fd00::/64\"]},"
		"\"status\":{\"addresses\":[{\"type\":\"Hostname\",\"address\":\"c2n1\"},"
		"{\"type\":\"InternalIP\",\"address\":\"fc00::4\"},"
		"{\"type\":\"InternalIP\",\"address\":\"172.18.0.4\"}]}}", &n);
	assert_string_equal(n.name, "c2n1");
	assert_string_equal(n.rv, "812");
	assert_string_equal(cidr_fmt_ip(n.ip, b), "172.18.0.4");
	assert_int_equal(n.cidrs.n, 1);
	assert_string_equal(cidr_fmt(&n.cidrs.v[0], b), "10.245.0.0/24");
	assert_string_equal(n.error, "");
	/* The older single field. */
	node_of("{\"metadata\":{\"name\":\"a\"},\"spec\":{\"podCIDR\":\"10.1.2.0/24\"}}", &n);
	assert_int_equal(n.cidrs.n, 1);
	assert_int_equal(n.ip, 0);
	/* No CIDR yet (node IPAM has not got to it): valid, nothing to route. */
	node_of("{\"metadata\":{\"name\":\"a\"},\"spec\":{}}", &n);
	assert_int_equal(n.cidrs.n, 0);
	assert_string_equal(n.error, "");
}

static void
test_node_refused(void **state)
{
	static const struct { const char *json, *want; } bad[] = {
		{ "{\"metadata\":{\"name\":\"a\"},\"spec\":{\"podCIDRs\":[\"10.1.2.1/24\"]}}",
		  "spec.podCIDRs[0]: \"10.1.2.1/24\" has host bits set" },
		{ "{\"metadata\":{\"name\":\"a\"},\"spec\":{\"podCIDRs\":[\"10.1.2.0/24,10.2.0.0/24\"]}}",
		  "spec.podCIDRs[0]" },
		{ "{\"metadata\":{\"name\":\"a\"},\"spec\":{\"podCIDRs\":[7]}}",
		  "spec.podCIDRs[0]: not a string" },
		{ "{\"metadata\":{\"name\":\"a\"},\"spec\":{\"podCIDRs\":\"10.1.0.0/16\"}}",
		  "spec.podCIDRs is not a list" },
		{ "{\"metadata\":{\"name\":\"a\"},\"spec\":{\"podCIDR\":\"junk\"}}", "spec.podCIDR: " },
		{ "{\"metadata\":{\"name\":\"a\"},\"spec\":{\"podCIDRs\":[\"10.1.0.0/24\"]},\"status\":"
		  "{\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"172.18.0.256\"}]}}",
		  "status.addresses[0] (InternalIP) \"172.18.0.256\" is not an IPv4 address" },
	};
	struct kobj_node n;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		node_of(bad[i].json, &n);
		assert_string_equal(n.name, "a");
		assert_int_equal(n.cidrs.n, 0);
		if (!strstr(n.error, bad[i].want))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, n.error, bad[i].want);
	}
	/* Well-formed but hostile CIDRs pass here: the planner's rails refuse them. */
	node_of("{\"metadata\":{\"name\":\"a\"},\"spec\":{\"podCIDRs\":[\"0.0.0.0/0\"]}}", &n);
	assert_int_equal(n.cidrs.n, 1);
}

static void
test_node_no_name(void **state)
{
	static const char *bad[] = { "{}", "{\"metadata\":{\"name\":\"A_b\"}}",
				     "{\"metadata\":{\"name\":3}}", "[]",
				     "{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"1 2\"}}" };
	struct kobj_node n;
	char err[200];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *o = obj(bad[i]);

		assert_false(kobj_node(o, &n, err, sizeof(err)));
		json_decref(o);
	}
}

static int
list(const char *page, size_t len, char rv[static KOBJ_RV_MAX], char cont[static KOBJ_CONTINUE_MAX],
     char *err, size_t errlen)
{
	struct kobj_list l;
	json_t *it;
	int n = 0, r;

	if (!kobj_list_open(page, len, &l, rv, cont, err, errlen))
		return -1;
	while ((r = kobj_list_next(&l, &it, err, errlen)) > 0) {
		n++;
		json_decref(it);
	}
	assert_int_equal(r, 0);
	assert_int_equal(n, l.n);
	return n;
}

static void
test_list(void **state)
{
	static const char page[] = "{\"kind\":\"NodeList\",\"metadata\":{\"resourceVersion\":\"900\","
		"\"continue\":\"eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ==\"},\"items\":[{\"metadata\":{\"name\":\"x\"}}]}";
	static const char spaced[] = " { \"items\" : [ {\"a\":\"]\"} , [ ] ,\t{}\n] , \"x\":{\"items\":1},"
		"\"metadata\" : {\"resourceVersion\":\"7\"} }\n";
	static const char badit[] = "{\"metadata\":{\"resourceVersion\":\"1\"},\"items\":[{},{\"a\":x}]}";
	char rv[KOBJ_RV_MAX], cont[KOBJ_CONTINUE_MAX], err[200];
	struct kobj_list l;
	json_t *it;

	assert_int_equal(list(page, strlen(page), rv, cont, err, sizeof(err)), 1);
	assert_string_equal(rv, "900");
	assert_string_equal(cont, "eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ==");
	assert_int_equal(list(spaced, strlen(spaced), rv, cont, err, sizeof(err)), 3);
	assert_string_equal(rv, "7");
	assert_string_equal(cont, "");
	assert_int_equal(list(page + 96, 0, rv, cont, err, sizeof(err)), -1);
	assert_int_equal(list("{\"metadata\":{\"resourceVersion\":\"1\"},\"items\":[]}", 47, rv, cont,
			      err, sizeof(err)), 0);
	assert_int_equal(list("{\"items\":[]}", 12, rv, cont, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "resourceVersion"));
	assert_int_equal(list("{\"metadata\":{\"resourceVersion\":\"1\"}}", 36, rv, cont, err,
			      sizeof(err)), -1);
	assert_non_null(strstr(err, "items"));
	/* An item that jansson refuses: the ones before it were handed out. */
	assert_true(kobj_list_open(badit, strlen(badit), &l, rv, cont, err, sizeof(err)));
	assert_int_equal(l.n, 2);
	assert_int_equal(kobj_list_next(&l, &it, err, sizeof(err)), 1);
	json_decref(it);
	assert_int_equal(kobj_list_next(&l, &it, err, sizeof(err)), -1);
	assert_null(it);
	assert_non_null(strstr(err, "not JSON"));
}

/* What the structure walk refuses before anything is decoded. */
static void
test_list_refused(void **state)
{
	static const char *bad[] = {
		"", "{", "[]", "{}", "{\"items\":[],\"metadata\":{\"resourceVersion\":\"1\"},}",
		"{\"items\":[1,],\"metadata\":{\"resourceVersion\":\"1\"}}",
		"{\"items\":[] \"metadata\":{\"resourceVersion\":\"1\"}}",
		"{\"items\":[],\"metadata\":{\"resourceVersion\":\"1\"}} x",
		"{\"items\":[],\"items\":[],\"metadata\":{\"resourceVersion\":\"1\"}}",
		"{\"items\":{},\"metadata\":{\"resourceVersion\":\"1\"}}",
		"{\"items\":[],\"metadata\":{\"resourceVersion\":\"1\"},\"metadata\":{}}",
		"{\"items\":[],\"metadata\":{\"resourceVersion\":1}}",
		"{\"it\\u0065ms\":[],\"metadata\":{\"resourceVersion\":\"1\"}}",
		"{\"items\":[],\"metadata\":{\"resourceVersion\":\"1\"}}\0",
		"{\"items\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],"
		"\"metadata\":{\"resourceVersion\":\"1\"}}",
	};
	char rv[KOBJ_RV_MAX], cont[KOBJ_CONTINUE_MAX], err[200];
	struct kobj_list l;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (kobj_list_open(bad[i], strlen(bad[i]) + (i == 13), &l, rv, cont, err, sizeof(err)))
			fail_msg("accepted %s", bad[i]);
}

/* A page's cost is bounded by objects, not bytes: 10,000,000 "[]" in 30 MB
 * cost 1.4 GB decoded whole.  Refused before jansson sees a byte. */
static void
test_list_shape(void **state)
{
	static const char head[] = "{\"metadata\":{\"resourceVersion\":\"1\"},\"items\":[{\"a\":[";
	char rv[KOBJ_RV_MAX], cont[KOBJ_CONTINUE_MAX], err[200], *page;
	size_t n = 3 * (KOBJ_MAX_VALUES + 10), len = strlen(head) + n + 8;
	struct kobj_list l;

	page = malloc(len);
	memcpy(page, head, strlen(head));
	for (size_t i = 0; i < n; i += 3)
		memcpy(page + strlen(head) + i, "[],", 3);
	memcpy(page + strlen(head) + n - 1, "]}]}", 5);
	assert_false(kobj_list_open(page, strlen(page), &l, rv, cont, err, sizeof(err)));
	assert_string_equal(err, "an item of more than 20000 JSON values");
	/* The same values spread over many items: each is within bounds. */
	for (size_t i = strlen(head) + 5; i + 4 < strlen(head) + n; i += 30)
		memcpy(page + i, "]},{\"a\":[", 9);
	assert_true(kobj_list_open(page, strlen(page), &l, rv, cont, err, sizeof(err)));
	free(page);
	assert_false(kobj_list_open("{}", KOBJ_MAX_PAGE + 1, &l, rv, cont, err, sizeof(err)));
	assert_non_null(strstr(err, "more than"));
}

static void
test_events(void **state)
{
	static const char added[] = "{\"type\":\"ADDED\",\"object\":{\"kind\":\"Node\",\"metadata\":"
		"{\"name\":\"n\",\"resourceVersion\":\"17\"}}}";
	static const char bookmark[] = "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Node\","
		"\"metadata\":{\"resourceVersion\":\"23\"}}}";
	static const char gone[] = "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":"
		"\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"too old resource version: 5 (23)\","
		"\"reason\":\"Expired\",\"code\":410}}";
	struct kobj_event ev;
	char err[200];

	assert_true(kobj_parse_event(added, strlen(added), &ev, err, sizeof(err)));
	assert_int_equal(ev.type, KOBJ_ADDED);
	assert_string_equal(ev.rv, "17");
	assert_non_null(ev.object);
	kobj_event_free(&ev);
	assert_null(ev.object);
	assert_true(kobj_parse_event(bookmark, strlen(bookmark), &ev, err, sizeof(err)));
	assert_int_equal(ev.type, KOBJ_BOOKMARK);
	assert_string_equal(ev.rv, "23");
	kobj_event_free(&ev);
	assert_true(kobj_parse_event(gone, strlen(gone), &ev, err, sizeof(err)));
	assert_int_equal(ev.type, KOBJ_ERROR);
	assert_int_equal(ev.code, 410);
	assert_string_equal(ev.message, "too old resource version: 5 (23)");
	assert_null(ev.object);
	assert_string_equal(kobj_type_name(ev.type), "ERROR");
	kobj_event_free(&ev);
	kobj_event_free(NULL);
}

static void
test_events_refused(void **state)
{
	static const char *bad[] = {
		"", "{", "[]", "{\"type\":\"ADDED\"}", "{\"type\":\"RENAMED\",\"object\":{}}",
		"{\"type\":\"ADDED\",\"object\":[]}", "{\"type\":\"ERROR\",\"object\":{\"code\":\"410\"}}",
		"{\"type\":\"ERROR\",\"object\":{\"code\":99}}",
		"{\"type\":\"ADDED\",\"type\":\"DELETED\",\"object\":{}}",
		"{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"resourceVersion\":7}}}",
	};
	struct kobj_event ev;
	char err[200], *big;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (kobj_parse_event(bad[i], strlen(bad[i]), &ev, err, sizeof(err)))
			fail_msg("accepted %s", bad[i]);
	big = calloc(1, KOBJ_MAX_EVENT + 2);
	memset(big, ' ', KOBJ_MAX_EVENT + 1);
	assert_false(kobj_parse_event(big, KOBJ_MAX_EVENT + 1, &ev, err, sizeof(err)));
	assert_non_null(strstr(err, "more than"));
	/* 1 MiB of nested lists cost 61 MB decoded: refused by shape first. */
	memcpy(big, "{\"type\":\"ADDED\",\"object\":{\"a\":", 30);
	memset(big + 30, '[', KOBJ_MAX_DEPTH);
	memset(big + 30 + KOBJ_MAX_DEPTH, ']', KOBJ_MAX_DEPTH);
	memcpy(big + 30 + 2 * KOBJ_MAX_DEPTH, "}}", 3);
	assert_false(kobj_parse_event(big, strlen(big), &ev, err, sizeof(err)));
	assert_string_equal(err, "a watch event nested deeper than 33");
	big[29 + KOBJ_MAX_DEPTH] = ' ';
	big[30 + KOBJ_MAX_DEPTH] = ' ';
	assert_true(kobj_parse_event(big, strlen(big), &ev, err, sizeof(err)));
	kobj_event_free(&ev);
	for (size_t i = 0; i + 30 < KOBJ_MAX_EVENT - 3; i += 3)
		memcpy(big + 30 + i, "[],", 3);
	memcpy(big + 30 + 3 * ((KOBJ_MAX_EVENT - 34) / 3) - 1, "1}}", 4);
	assert_false(kobj_parse_event(big, strlen(big), &ev, err, sizeof(err)));
	assert_string_equal(err, "a watch event of more than 20000 JSON values");
	free(big);
}

static void
test_secret(void **state)
{
	json_t *o = obj("{\"kind\":\"Secret\",\"metadata\":{\"name\":\"istio-remote-secret-cluster2\","
		"\"namespace\":\"podreach\",\"resourceVersion\":\"4\",\"labels\":"
		"{\"istio/multiCluster\":\"true\"}},\"data\":{\"cluster2\":\"YXBpVmVyc2lvbjogdjEKa2luZDogQ29uZmlnCg==\","
		"\"Bad_Key\":\"YXBpVmVyc2lvbjogdjEKa2luZDogQ29uZmlnCg==\",\"c3\":\"%%%\",\"c4\":\"AA==\"}}");
	struct kobj_secret s;
	char err[200];

	assert_true(kobj_secret(o, 4096, &s, err, sizeof(err)));
	assert_true(s.labelled);
	assert_string_equal(s.ns, "podreach");
	assert_string_equal(s.name, "istio-remote-secret-cluster2");
	assert_int_equal(s.n, 4);
	assert_string_equal(s.data[0].cluster, "cluster2");
	assert_string_equal(s.data[0].value, "apiVersion: v1\nkind: Config\n");
	assert_string_equal(s.data[0].error, "");
	assert_non_null(strstr(s.data[1].error, "\"Bad_Key\" is not a cluster name"));
	assert_null(s.data[1].value);
	assert_non_null(strstr(s.data[2].error, "data[c3]: not base64"));
	assert_non_null(strstr(s.data[3].error, "data[c4] holds a NUL byte"));
	assert_null(s.data[3].value);
	kobj_secret_free(&s);
	kobj_secret_free(NULL);
	json_decref(o);
	/* Too large a value; not labelled; no metadata. */
	o = obj("{\"metadata\":{\"name\":\"s\",\"namespace\":\"n\",\"labels\":{\"istio/multiCluster\":"
		"\"false\"}},\"data\":{\"c\":\"YXBpVmVyc2lvbjogdjEKa2luZDogQ29uZmlnCg==\"}}");
	assert_true(kobj_secret(o, 8, &s, err, sizeof(err)));
	assert_false(s.labelled);
	assert_non_null(strstr(s.data[0].error, "more than 8"));
	kobj_secret_free(&s);
	json_decref(o);
	o = obj("{\"data\":{}}");
	assert_false(kobj_secret(o, 8, &s, err, sizeof(err)));
	json_decref(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_node),
		cmocka_unit_test(test_node_refused),
		cmocka_unit_test(test_node_no_name),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_list_refused),
		cmocka_unit_test(test_list_shape),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_events_refused),
		cmocka_unit_test(test_secret),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
