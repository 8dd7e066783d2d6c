/* What a peer says is validated field by field before anything uses it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "agent/daemon/peer.h"
#include "agent/io/ev.h"

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

/* ---- a table of Node agents that do not answer (quiet) ------------------------------ */

#define NQUIET 100

static struct ev_loop *qloop;
static int qchanged;

static void
q_changed(void *arg)
{
	qchanged++;
	ev_stop(qloop);
}

static void
q_stop(struct ev_loop *loop, void *arg)
{
	ev_stop(loop);
}

/* Runs the loop until changed() or secs. */
static void
q_run(double secs)
{
	struct ev_timer *t = ev_timer_new(qloop, q_stop, NULL);

	ev_timer_arm(t, secs);
	ev_run(qloop);
	ev_timer_free(t);
}

/* Lines in the file stderr went to that contain s. */
static int
lines_with(const char *path, const char *s)
{
	char line[1024];
	FILE *f = fopen(path, "r");
	int n = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, s) != NULL;
	fclose(f);
	return n;
}

static size_t
q_fails(const struct peers *ps, int fails)
{
	size_t n = 0;

	for (size_t i = 0; i < peers_count(ps); i++)
		n += peers_get(ps, i)->fails == fails;
	return n;
}

/* The agents of 100 remote Nodes, none answering (127.77.0.x refuses):
 * one log line and one changed() for the round, not one per peer; each
 * later round asks PEER_ROUND_BUDGET of them, in turn, and says nothing
 * when nothing changed. */
static void
test_quiet_rounds(void **state)
{
	char path[] = "/tmp/podreach-test-peer.XXXXXX";
	int fd = mkstemp(path), saved = dup(2), changed[4];
	size_t fails[4];
	struct peers_opts o = { .self_ip = 1, .self_port = 9750, .timeout = 2, .drop_after = 60,
				.quiet = true };
	struct peers *ps;

	assert_true(fd >= 0 && saved >= 0);
	qloop = ev_new();
	assert_non_null(ps = peers_new(qloop, &o, q_changed, NULL));
	/* stderr to the file: what is asserted is asserted after it is back */
	fflush(stderr);
	dup2(fd, 2);
	for (uint32_t i = 1; i <= NQUIET; i++)
		peers_add(ps, 0x7f4d0000 | i, 9750, true);
	q_run(10);
	changed[0] = qchanged;
	fails[0] = q_fails(ps, 1);
	q_run(0.3);
	changed[1] = qchanged;
	peers_poll(ps);
	q_run(0.5);
	fails[1] = q_fails(ps, 2);
	peers_poll(ps);
	q_run(0.5);
	fails[2] = q_fails(ps, 3);
	fails[3] = q_fails(ps, 2);
	changed[2] = qchanged;	/* the same states: no reconcile */
	peers_remove(ps, 0x7f4d0001, 9750, "no Node there");
	changed[3] = qchanged;
	peers_free(ps);
	ev_free(qloop);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	assert_int_equal(changed[0], 1);
	assert_int_equal(fails[0], NQUIET);
	assert_int_equal(changed[1], 1);
	assert_int_equal(fails[1], PEER_ROUND_BUDGET);
	assert_int_equal(fails[2], 2 * PEER_ROUND_BUDGET - NQUIET);
	assert_int_equal(fails[3], NQUIET - (2 * PEER_ROUND_BUDGET - NQUIET));
	assert_int_equal(changed[2], 1);
	assert_int_equal(changed[3], 2);
	assert_int_equal(lines_with(path, "podreach: "), 2);
	assert_int_equal(lines_with(path, "agents of remote nodes: 0 up, 100 unreachable"), 1);
	assert_int_equal(lines_with(path, "99 unreachable, 0 invalid, 0 not asked yet, 1 dropped "
				    "(last: 127.77.0.1:9750: no Node there)"), 1);
	unlink(path);
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
		cmocka_unit_test(test_quiet_rounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
