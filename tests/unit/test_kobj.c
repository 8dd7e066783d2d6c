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

static void
test_list(void **state)
{
	static const char page[] = "{\"kind\":\"NodeList\",\"metadata\":{\"resourceVersion\":\"900\","
		"\"continue\":\"eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ==\"},\"items\":[{\"metadata\":{\"name\":\"x\"}}]}";
	char rv[KOBJ_RV_MAX], cont[KOBJ_CONTINUE_MAX], err[200];
	json_t *items;

	assert_true(kobj_parse_list(page, strlen(page), &items, rv, cont, err, sizeof(err)));
	assert_string_equal(rv, "900");
	assert_string_equal(cont, "eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ==");
	assert_int_equal(json_array_size(items), 1);
	json_decref(items);
	assert_false(kobj_parse_list("{\"items\":[]}", 12, &items, rv, cont, err, sizeof(err)));
	assert_non_null(strstr(err, "resourceVersion"));
	assert_false(kobj_parse_list("{\"metadata\":{\"resourceVersion\":\"1\"}}", 36, &items, rv,
				     cont, err, sizeof(err)));
	assert_non_null(strstr(err, "items"));
	assert_false(kobj_parse_list("{", 1, &items, rv, cont, err, sizeof(err)));
	assert_null(items);
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
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_events_refused),
		cmocka_unit_test(test_secret),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
