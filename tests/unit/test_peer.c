/* What a peer says is validated field by field before anything uses it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "agent/daemon/peer.h"

static const char good[] =
	"{\"cluster\":\"cluster1\",\"node\":\"cluster1-control-plane\",\"node_ip\":\"172.18.0.2\","
	"\"pod_cidrs\":[\"10.244.0.0/24\"],\"service_cidr\":\"10.96.0.0/16\","
	"\"pod_ips\":[\"10.244.0.9\"],\"probe_addrs\":[\"172.18.0.2:9750\",\"10.244.0.1:9750\"],"
	"\"version\":\"0.1.0\"}";

static void
test_good(void **state)
{
	struct peer_info *in = malloc(sizeof(*in));
	char err[200];

	assert_true(peer_parse_node(good, strlen(good), in, err, sizeof(err)));
	assert_string_equal(in->cluster, "cluster1");
	assert_string_equal(in->node, "cluster1-control-plane");
	assert_int_equal(in->node_ip, 0xac120002);
	assert_int_equal(in->pod_cidrs.n, 1);
	assert_true(in->has_service_cidr);
	assert_int_equal(in->npod_ips, 1);
	assert_int_equal(in->nprobe_addrs, 2);
	assert_int_equal(in->probe_addrs[1].port, 9750);
	free(in);
}

static void
test_bad(void **state)
{
	static const struct { const char *body, *why; } bad[] = {
		{ "garbage", "not JSON" },
		{ "[1,2]", "not a JSON object" },
		{ "{\"a\":[[[[[[[[[[1]]]]]]]]]]}", "nested deeper" },
		{ "{\"cluster\":\"Evil Cluster\"}", "cluster" },
		{ "{\"cluster\":\"c\",\"node\":\"n\",\"node_ip\":\"172.18.0\"}", "node_ip" },
		{ "{\"cluster\":\"c\",\"node\":\"n\",\"node_ip\":\"172.18.0.2\",\"pod_cidrs\":\"10.0.0.0/8\"}",
		  "pod_cidrs: want a list" },
		{ "{\"cluster\":\"c\",\"node\":\"n\",\"node_ip\":\"172.18.0.2\",\"pod_cidrs\":[\"10.0.0.1/8\"]}",
		  "host bits" },
		{ "{\"cluster\":\"c\",\"node\":\"n\",\"node_ip\":\"172.18.0.2\",\"pod_cidrs\":[\"10.1.0.0/16,10.2.0.0/16\"]}",
		  "pod_cidrs[0]" },
		{ "{\"cluster\":\"c\",\"node\":\"n\",\"node_ip\":\"172.18.0.2\",\"pod_cidrs\":[7]}",
		  "not a string" },
		{ "{\"cluster\":\"c\",\"node\":\"n\",\"node_ip\":\"172.18.0.2\",\"pod_cidrs\":[],"
		  "\"probe_addrs\":[\"1.2.3.4:0\"]}", "probe_addrs[0]" },
		{ "{\"cluster\":\"c\",\"node\":\"n\",\"node_ip\":\"172.18.0.2\",\"pod_cidrs\":[],"
		  "\"pod_ips\":[\"x\"]}", "pod_ips[0]" },
		{ "{\"cluster\":\"c\",\"cluster\":\"d\"}", "not JSON" },	/* duplicate keys */
	};
	struct peer_info *in = malloc(sizeof(*in));
	char err[200];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(peer_parse_node(bad[i].body, strlen(bad[i].body), in, err, sizeof(err)));
		if (!strstr(err, bad[i].why))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, bad[i].why);
	}
	free(in);
}

static void
test_depth(void **state)
{
	assert_int_equal(peer_json_depth("{}", 2), 1);
	assert_int_equal(peer_json_depth("{\"a\":\"[[[[\"}", 11), 1);	/* inside a string */
	assert_int_equal(peer_json_depth("{\"a\":\"\\\"[[[\"}", 13), 1);	/* escaped quote */
	assert_int_equal(peer_json_depth("[[{}]]", 6), 3);
}

static void
test_peers_list(void **state)
{
	const char *b = "{\"peers\":[{\"address\":\"172.18.0.3:9750\"},{\"address\":\"nonsense\"},"
			"{\"address\":\"172.18.0.4:9751\",\"state\":\"up\"}]}";
	uint32_t ips[4];
	uint16_t ports[4];
	char err[200];

	assert_int_equal(peer_parse_peers(b, strlen(b), ips, ports, 4, err, sizeof(err)), 2);
	assert_int_equal(ips[1], 0xac120004);
	assert_int_equal(ports[1], 9751);
	assert_int_equal(peer_parse_peers("{}", 2, ips, ports, 4, err, sizeof(err)), -1);
	assert_int_equal(peer_parse_peers(b, strlen(b), ips, ports, 1, err, sizeof(err)), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_peers_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
