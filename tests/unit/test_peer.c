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
		/* Issue 9: pod IPs and probe addresses only where the node is. */
		{ "{\"cluster\":\"c\",\"node\":\"n\",\"node_ip\":\"172.18.0.2\",\"pod_cidrs\":[\"10.244.0.0/24\"],"
		  "\"pod_ips\":[\"10.244.0.9\",\"10.245.0.7\"]}", "pod_ips[1] is outside" },
		{ "{\"cluster\":\"c\",\"node\":\"n\",\"node_ip\":\"172.18.0.2\",\"pod_cidrs\":[\"10.244.0.0/24\"],"
		  "\"probe_addrs\":[\"172.18.0.2:9750\",\"127.0.0.1:22\"]}", "probe_addrs[1] is neither" },
		{ "{\"cluster\":\"c\",\"node\":\"n\",\"node_ip\":\"172.18.0.2\",\"pod_cidrs\":[\"10.244.0.0/24\"],"
		  "\"probe_addrs\":[\"169.254.169.254:80\"]}", "probe_addrs[0] is neither" },
		{ "{\"cluster\":\"c\",\"node\":\"n\",\"node_ip\":\"172.18.0.2\",\"pod_cidrs\":[\"10.244.0.0/24\"],"
		  "\"probe_addrs\":[\"172.18.0.2:+1\"]}", "probe_addrs[0] is not" },
		{ "{\"cluster\":\"c\",\"node\":\"n\",\"node_ip\":\"172.18.0.2\",\"pod_cidrs\":[\"10.1.0.0/24\","
		  "\"10.2.0.0/24\",\"10.3.0.0/24\",\"10.4.0.0/24\",\"10.5.0.0/24\"]}", "at most 2 CIDRs" },
		{ "{\"cluster\":\"c\",\"node\":\"n\",\"node_ip\":\"172.18.0.2\",\"pod_cidrs\":[],"
		  "\"version\":\"1\\u001b[31m\"}", "version" },
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

/* X-Podreach-Peer: digits only, 1..65535 (strtol took "+1" and " 9750"). */
static void
test_port(void **state)
{
	static const char *bad[] = { "+1", " 9750", "9750 ", "0", "65536", "0x10", "", "-1",
				     "123456", "97a0", "00000" };
	uint16_t port = 0;

	assert_true(peer_parse_port("9750", &port));
	assert_int_equal(port, 9750);
	assert_true(peer_parse_port("1", &port) && port == 1);
	assert_true(peer_parse_port("65535", &port) && port == 65535);
	assert_true(peer_parse_port("09750", &port) && port == 9750);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (peer_parse_port(bad[i], &port))
			fail_msg("\"%s\" accepted", bad[i]);
	assert_false(peer_parse_port(NULL, &port));
}

/* jansson quotes what it choked on: raw ESC must not reach a log or the report. */
static void
test_sanitized(void **state)
{
	static const char body[] = "{\"cluster\": \x1b[2J\x1b]0;pwned\x07}";
	struct peer_info *in = malloc(sizeof(*in));
	char err[200], s[] = "a\x1b[31mb\x7f\xc3\xa9\n";

	assert_false(peer_parse_node(body, strlen(body), in, err, sizeof(err)));
	assert_non_null(strstr(err, "not JSON"));
	for (const char *c = err; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
			fail_msg("byte 0x%02x in \"%s\"", (unsigned char)*c, err);
	peer_sanitize(s);
	assert_string_equal(s, "a?[31mb????");
	peer_sanitize(NULL);
	free(in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_peers_list),
		cmocka_unit_test(test_port),
		cmocka_unit_test(test_sanitized),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
