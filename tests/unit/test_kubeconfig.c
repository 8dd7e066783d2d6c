/* Kubeconfigs as istioctl create-remote-secret and kind write them, and
 * everything else refused with an error naming the field; base64. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "agent/core/b64.h"
#include "agent/core/kubeconfig.h"

#define PEM_B64 "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJmYWtlCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K"
#define KEY_B64 "LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFZmFrZQotLS0tLUVORCBSU0EgUFJJVkFURSBLRVktLS0tLQo="

/* What istioctl create-remote-secret puts under the cluster's data key. */
static const char istio[] =
	"apiVersion: v1\n"
	"clusters:\n"
	"- cluster:\n"
	"    certificate-authority-data: " PEM_B64 "\n"
	"    server: https://172.18.0.4:6443\n"
	"  name: cluster2\n"
	"contexts:\n"
	"- context:\n"
	"    cluster: cluster2\n"
	"    user: cluster2\n"
	"  name: cluster2\n"
	"current-context: cluster2\n"
	"kind: Config\n"
	"preferences: {}\n"
	"users:\n"
	"- name: cluster2\n"
	"  user:\n"
	"    token: eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln\n";

/* kind's: client certificate, two contexts, flow style here and there. */
static const char kind[] =
	"apiVersion: v1\n"
	"kind: Config\n"
	"current-context: kind-cluster1\n"
	"clusters:\n"
	"- name: other\n"
	"  cluster: {server: 'https://10.0.0.1', certificate-authority-data: " PEM_B64 "}\n"
	"- name: kind-cluster1\n"
	"  cluster:\n"
	"    server: \"https://127.0.0.1:36443/\"\n"
	"    certificate-authority-data: " PEM_B64 "\n"
	"contexts:\n"
	"- {name: other, context: {cluster: other, user: other}}\n"
	"- name: kind-cluster1\n"
	"  context: {cluster: kind-cluster1, user: kind-cluster1}\n"
	"users:\n"
	"- name: kind-cluster1\n"
	"  user:\n"
	"    client-certificate-data: " PEM_B64 "\n"
	"    client-key-data: " KEY_B64 "\n";

static void
test_istio(void **state)
{
	struct kubeconfig k;
	char err[256];

	assert_true(kubeconfig_parse(istio, strlen(istio), &k, err, sizeof(err)));
	assert_string_equal(k.server, "https://172.18.0.4:6443");
	assert_string_equal(k.user, "cluster2");
	assert_string_equal(k.context, "cluster2");
	assert_string_equal(k.token, "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln");
	assert_non_null(strstr(k.ca, "-----BEGIN CERTIFICATE-----\nMIIBfake\n"));
	assert_int_equal(k.ca_len, strlen(k.ca));
	assert_null(k.cert);
	kubeconfig_free(&k);
	kubeconfig_free(&k);	/* idempotent */
	kubeconfig_free(NULL);
	/* Without current-context, the only context there is. */
	char doc[8192];
	const char *cc = strstr(istio, "current-context");

	snprintf(doc, sizeof(doc), "%.*s%s", (int)(cc - istio), istio, strchr(cc, '\n') + 1);
	assert_true(kubeconfig_parse(doc, strlen(doc), &k, err, sizeof(err)));
	assert_string_equal(k.context, "cluster2");
	kubeconfig_free(&k);
}

static void
test_kind_client_cert(void **state)
{
	struct kubeconfig k;
	char err[256];

	assert_true(kubeconfig_parse(kind, strlen(kind), &k, err, sizeof(err)));
	assert_string_equal(k.server, "https://127.0.0.1:36443");
	assert_string_equal(k.cluster, "kind-cluster1");
	assert_null(k.token);
	assert_non_null(strstr(k.cert, "BEGIN CERTIFICATE"));
	assert_non_null(strstr(k.key, "BEGIN RSA PRIVATE KEY"));
	kubeconfig_free(&k);
}

/* Replaces the first "from" in the istio document by "to" and expects err. */
static void
expect(const char *from, const char *to, const char *want)
{
	char doc[8192], err[256] = "";
	const char *at = strstr(istio, from);
	struct kubeconfig k;

	assert_non_null(at);
	snprintf(doc, sizeof(doc), "%.*s%s%s", (int)(at - istio), istio, to, at + strlen(from));
	if (kubeconfig_parse(doc, strlen(doc), &k, err, sizeof(err)))
		fail_msg("accepted with %s -> %s", from, to);
	if (!strstr(err, want))
		fail_msg("error \"%s\" lacks \"%s\"", err, want);
	if (strstr(err, "s3cret"))
		fail_msg("error \"%s\" repeats a credential", err);
	assert_null(k.ca);
	assert_null(k.token);
}

static void
test_refused(void **state)
{
	expect("current-context: cluster2", "current-context: nope", "contexts has no entry named \"nope\"");
	expect("server: https://172.18.0.4:6443", "server: http://172.18.0.4:6443",
	       "cluster.server \"http://172.18.0.4:6443\" is not https://");
	/* Credentials in the URL are refused without being repeated. */
	expect("server: https://172.18.0.4:6443", "server: https://admin:s3cret@evil:6443",
	       "cluster.server holds user info, a query or a fragment: refused");
	expect("server: https://172.18.0.4:6443", "server: https://evil:6443/?token=s3cret",
	       "refused (not repeated here)");
	expect("server: https://172.18.0.4:6443", "server: https://evil:6443/#s3cret",
	       "refused (not repeated here)");
	expect("server: https://172.18.0.4:6443", "serverx: x", "cluster.server is missing");
	expect("server: https://172.18.0.4:6443", "server: [a]", "cluster.server is not a string");
	expect("certificate-authority-data: ", "certificate-authority-data: A", "not base64");
	expect("certificate-authority-data: " PEM_B64, "certificate-authority-data: aGVsbG8=",
	       "cluster.certificate-authority-data does not hold a PEM block");
	expect("certificate-authority-data: " PEM_B64, "certificate-authority: /etc/ca.crt",
	       "cluster.certificate-authority names a file");
	expect("    server:", "    insecure-skip-tls-verify: true\n    server:",
	       "insecure-skip-tls-verify is true: refused");
	expect("    token:", "    exec: {command: aws}\n    token:", "user.exec is not supported");
	expect("    token: eyJ", "    tokenx: eyJ", "user has neither token nor client-certificate-data");
	expect("    token: eyJ", "    token: \"a b\"\n    x: eyJ", "user.token holds a space");
	expect("    token: eyJ", "    client-certificate-data: " PEM_B64 "\n    x: eyJ",
	       "user.client-key-data is missing");
	expect("    user: cluster2\n", "    user: someone\n", "users has no entry named \"someone\"");
	expect("apiVersion", "- a\n- b\nx", "not YAML");
	expect("apiVersion: v1\nclusters:", "clusters: 3\nx:", "clusters is missing or not a list");
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* libyaml's time grows with the square of the nesting: 120,000 '[' (240 KB)
 * took 64 s and froze the loop.  Refused by depth, at once. */
static void
test_deep(void **state)
{
	size_t n = 120000;
	char *doc = malloc(2 * n + 1), err[256] = "";
	struct kubeconfig k;
	double t0;

	/* An exec plugin's env, 6 deep, is fine by depth (refused as exec). */
	expect("    token: ", "    exec:\n      env: [{name: A, value: [[b]]}]\n    x: ", "user.exec");
	/* As flow and as block nesting, in the document and where a field is. */
	expect("current-context: cluster2", "current-context: cluster2\nx: [[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]",
	       "nested deeper than 16");
	expect("    token: ", "    x: {a: {b: {c: {d: {e: {f: {g: {h: {i: {j: {k: {l: {m: {n: 1}}}}}}}}}}}}}}\n    token: ",
	       "nested deeper than 16");
	memset(doc, '[', n);
	memset(doc + n, ']', n);
	doc[2 * n] = '\0';
	t0 = now();
	assert_false(kubeconfig_parse(doc, 2 * n, &k, err, sizeof(err)));
	assert_string_equal(err, "nested deeper than 16 at line 1");
	assert_true(now() - t0 < 0.5);
	for (size_t i = 0; i < n; i++)		/* "- " per level, each a line deeper */
		doc[i] = i % 2 ? ' ' : '-';
	doc[n] = '\0';
	assert_false(kubeconfig_parse(doc, n, &k, err, sizeof(err)));
	assert_non_null(strstr(err, "nested deeper than 16"));
	free(doc);
}

static void
test_not_a_mapping(void **state)
{
	struct kubeconfig k;
	char err[256];

	assert_false(kubeconfig_parse("- 1\n- 2\n", 8, &k, err, sizeof(err)));
	assert_non_null(strstr(err, "not a mapping"));
	assert_false(kubeconfig_parse("", 0, &k, err, sizeof(err)));
	/* A cyclic alias is walked no further than the fixed paths. */
	assert_false(kubeconfig_parse("current-context: &a [*a]\n", 25, &k, err, sizeof(err)));
	assert_non_null(strstr(err, "current-context is not a string"));
}

static void
test_b64(void **state)
{
	char *out, err[128];
	size_t n;

	assert_true(b64_decode("aGVsbG8=", 8, 100, &out, &n, err, sizeof(err)));
	assert_int_equal(n, 5);
	assert_string_equal(out, "hello");
	free(out);
	assert_true(b64_decode("", 0, 100, &out, &n, err, sizeof(err)));
	assert_int_equal(n, 0);
	free(out);
	assert_true(b64_decode("AP8=", 4, 100, &out, &n, err, sizeof(err)));
	assert_int_equal(n, 2);
	assert_int_equal((unsigned char)out[1], 0xff);
	free(out);
	assert_false(b64_decode("aGVsbG8", 7, 100, &out, &n, err, sizeof(err)));
	assert_false(b64_decode("aG=sbG8=", 8, 100, &out, &n, err, sizeof(err)));
	assert_non_null(strstr(err, "byte 2"));
	assert_false(b64_decode("aGVs\nbG8=", 9, 100, &out, &n, err, sizeof(err)));
	assert_false(b64_decode("aGVsbG8=", 8, 4, &out, &n, err, sizeof(err)));
	assert_non_null(strstr(err, "more than 4"));
	assert_null(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_istio),
		cmocka_unit_test(test_kind_client_cert),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_deep),
		cmocka_unit_test(test_not_a_mapping),
		cmocka_unit_test(test_b64),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
