/* Node settings read from a fake /proc laid out as the kernel's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "agent/io/node.h"

static char root[64];

static void
put(const char *rel, const char *content)
{
	char path[256], cmd[320];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	assert_int_equal(system(cmd), 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static int
setup(void **state)
{
	snprintf(root, sizeof(root), "/tmp/podreach-proc.XXXXXX");
	assert_non_null(mkdtemp(root));
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd);
}

static void
test_reads_every_setting(void **state)
{
	struct node_sysctl s;

	put("sys/net/ipv4/ip_forward", "0\n");
	put("sys/net/ipv4/conf/all/rp_filter", "0\n");
	put("sys/net/ipv4/conf/eth0/rp_filter", "1\n");
	put("net/ip_tables_names", "nat\nfilter\n\n");
	node_read(root, "eth0", &s);
	assert_int_equal(s.ip_forward, 0);
	assert_int_equal(s.rp_all, 0);
	assert_int_equal(s.rp_dev, 1);
	assert_int_equal(sysctl_rp_effective(&s), 1);	/* the larger of all and dev */
	assert_string_equal(s.legacy_tables, "nat filter");
}

static void
test_missing_files_are_unknown(void **state)
{
	struct node_sysctl s;

	put("sys/net/ipv4/ip_forward", "garbage\n");
	node_read(root, "eth1", &s);
	assert_int_equal(s.ip_forward, -1);
	assert_int_equal(s.rp_dev, -1);
	assert_string_equal(s.legacy_tables, "");
}

/* An interface name never walks out of conf/. */
static void
test_device_name_is_not_a_path(void **state)
{
	struct node_sysctl s;

	put("sys/net/ipv4/conf/all/rp_filter", "2\n");
	put("sys/net/ipv4/x/rp_filter", "1\n");
	node_read(root, "../x", &s);
	assert_int_equal(s.rp_dev, -1);
	assert_int_equal(sysctl_rp_effective(&s), 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reads_every_setting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_files_are_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_name_is_not_a_path, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
