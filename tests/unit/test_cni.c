/* The pod CIDR from the CNI config kindnet writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "agent/io/cni.h"
#include "agent/io/kube.h"

/* As kindnet writes /etc/cni/net.d/10-kindnet.conflist (dual stack). */
static const char kindnet[] =
	"{\n"
	"  \"cniVersion\": \"0.3.1\",\n"
	"  \"name\": \"kindnet\",\n"
	"  \"plugins\": [\n"
	"    {\n"
	"      \"type\": \"ptp\",\n"
	"      \"ipMasq\": false,\n"
	"      \"ipam\": {\n"
	"        \"type\": \"host-local\",\n"
	"        \"dataDir\": \"/run/cni-ipam-state\",\n"
	"        \"routes\": [ { \"dst\": \"0.0.0.0/0\" }, { \"dst\": \"::/0\" } ],\n"
	"        \"ranges\": [ [ { \"subnet\": \"10.244.1.0/24\" } ],\n"
	"                      [ { \"subnet\": \"fd00:10:244:1::/64\" } ] ]\n"
	"      },\n"
	"      \"mtu\": 1500\n"
	"    },\n"
	"    { \"type\": \"portmap\", \"capabilities\": { \"portMappings\": true } }\n"
	"  ]\n"
	"}\n";

static void
test_kindnet(void **state)
{
	struct cidr_list l;
	char err[256], b[CIDR_STRLEN];

	assert_true(cni_parse(kindnet, strlen(kindnet), &l, err, sizeof(err)));
	assert_int_equal(l.n, 1);
	assert_string_equal(cidr_fmt(&l.v[0], b), "10.244.1.0/24");
}

static void
test_single_conf_with_subnet(void **state)
{
	static const char conf[] = "{\"type\":\"bridge\",\"ipam\":{\"type\":\"host-local\","
				   "\"subnet\":\"10.88.0.0/16\"}}";
	struct cidr_list l;
	char err[256];

	assert_true(cni_parse(conf, strlen(conf), &l, err, sizeof(err)));
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].len, 16);
}

static void
test_errors(void **state)
{
	static const struct { const char *json, *why; } bad[] = {
		{ "{not json", "not JSON" },
		{ "{\"plugins\":[{\"type\":\"calico\",\"ipam\":{\"type\":\"calico-ipam\"}}]}",
		  "no plugin with host-local IPAM" },
		{ "{\"plugins\":[{\"ipam\":{\"type\":\"host-local\",\"ranges\":[[{\"subnet\":"
		  "\"10.244.1.1/24\"}]]}}]}", "host bits set" },
		{ "{\"plugins\":[{\"ipam\":{\"type\":\"host-local\",\"ranges\":[[{\"subnet\":"
		  "\"fd00::/64\"}]]}}]}", "no IPv4 subnet" },
		{ "{\"plugins\":[{\"ipam\":{\"type\":\"host-local\",\"ranges\":[[{\"subnet\":"
		  "42}]]}}]}", "not a string" },
		{ "{\"plugins\":[{\"ipam\":{\"type\":\"host-local\"}}]}", "neither" },
	};
	struct cidr_list l;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(cni_parse(bad[i].json, strlen(bad[i].json), &l, err, sizeof(err)));
		if (!strstr(err, bad[i].why))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, bad[i].why);
	}
}

static void
test_dir(void **state)
{
	char dir[] = "/tmp/podreach-cni-XXXXXX", path[128], err[512];
	struct cidr_list l;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	assert_false(cni_read_dir(dir, &l, err, sizeof(err)));
	assert_non_null(strstr(err, "no CNI config"));
	/* The kubelet takes the first file by name: 10-kindnet before 99-other. */
	snprintf(path, sizeof(path), "%s/99-other.conflist", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"plugins\":[{\"ipam\":{\"type\":\"host-local\",\"subnet\":\"10.9.0.0/16\"}}]}", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/10-kindnet.conflist", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(kindnet, f);
	fclose(f);
	assert_true(cni_read_dir(dir, &l, err, sizeof(err)));
	assert_int_equal(l.v[0].addr, 0x0af40100);
	unlink(path);
	snprintf(path, sizeof(path), "%s/99-other.conflist", dir);
	unlink(path);
	rmdir(dir);
	assert_false(cni_read_dir("/nonexistent/podreach", &l, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/podreach"));
}

/* A FIFO named *.conflist: open() would wait for a writer forever.  It is
 * refused by name, and so are a directory and a file over the size limit.
 * The alarm makes the old hang a failure. */
static void
test_dir_not_regular(void **state)
{
	char dir[] = "/tmp/podreach-cni-XXXXXX", path[128], err[512];
	struct cidr_list l;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/10-fifo.conflist", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(20);
	assert_false(cni_read_dir(dir, &l, err, sizeof(err)));
	alarm(0);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "not a regular file"));
	unlink(path);

	snprintf(path, sizeof(path), "%s/10-dir.conflist", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_false(cni_read_dir(dir, &l, err, sizeof(err)));
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "not a regular file"));
	rmdir(path);

	snprintf(path, sizeof(path), "%s/10-big.conflist", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(ftruncate(fileno(f), CNI_MAX_BYTES + 1), 0);
	fclose(f);
	assert_false(cni_read_dir(dir, &l, err, sizeof(err)));
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "larger than"));
	unlink(path);
	rmdir(dir);
}

/* jansson quotes the offending bytes in its error text: a control byte
 * (an escape sequence for the terminal) never reaches the log. */
static void
test_error_text_printable(void **state)
{
	static const char *const bad[] = {
		"{\"plugins\": \x1b[2J\x07}",
		/* a subnet quoted in the error as the file has it (fuzz_cni) */
		"{\"type\":\"b\",\"ipam\":{\"type\":\"host-local\",\"subnet\":\"6,8\x7f\x1b[0m\"}}",
	};
	struct cidr_list l;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(cni_parse(bad[i], strlen(bad[i]), &l, err, sizeof(err)));
		assert_true(strstr(err, "not JSON") || strstr(err, "subnet"));
		for (const char *p = err; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				fail_msg("control byte 0x%02x in \"%s\"", (unsigned char)*p, err);
	}
}

/* The pod CIDR of last resort: the Node object from the Kubernetes API. */
static void
test_kube_node(void **state)
{
	static const char deep[] = "{\"spec\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}";
	static const char node[] = "{\"kind\":\"Node\",\"spec\":{\"podCIDR\":\"10.244.2.0/24\","
				   "\"podCIDRs\":[\"10.244.2.0/24\",\"fd00:10:244:2::/64\"]}}";
	static const char old[] = "{\"spec\":{\"podCIDR\":\"10.244.3.0/24\"}}";
	struct cidr_list l;
	char err[200];

	assert_true(kube_parse_node(node, strlen(node), &l, err, sizeof(err)));
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].addr, 0x0af40200);
	assert_true(kube_parse_node(old, strlen(old), &l, err, sizeof(err)));
	assert_int_equal(l.v[0].addr, 0x0af40300);
	const char *none = "{\"spec\":{}}", *bad = "{\"spec\":{\"podCIDRs\":[\"10.1.1.1/24\"]}}";

	assert_false(kube_parse_node(none, strlen(none), &l, err, sizeof(err)));
	assert_non_null(strstr(err, "no IPv4 spec.podCIDRs"));
	assert_false(kube_parse_node(bad, strlen(bad), &l, err, sizeof(err)));
	assert_non_null(strstr(err, "host bits"));
	assert_false(kube_parse_node("nope", 4, &l, err, sizeof(err)));
	assert_non_null(strstr(err, "not JSON"));
	/* Bounded by shape before decoding, as the watches' Nodes are. */
	assert_false(kube_parse_node(deep, strlen(deep), &l, err, sizeof(err)));
	assert_string_equal(err, "the Node nested deeper than 32");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kindnet),
		cmocka_unit_test(test_single_conf_with_subnet),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_dir),
		cmocka_unit_test(test_dir_not_regular),
		cmocka_unit_test(test_error_text_printable),
		cmocka_unit_test(test_kube_node),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
