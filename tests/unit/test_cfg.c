/* Option parsing: flags, PODREACH_* variables, and errors that name both the
 * option and the value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "agent/core/cfg.h"

static char *no_env[] = { NULL };
static char *cluster_env[] = { "PODREACH_CLUSTER=c", NULL };

/* Parses a NULL-terminated argument list after the command word. */
static bool
parse(struct cfg *c, char **env, char *err, ...)
{
	char *argv[32] = { "check" };
	int argc = 1;
	va_list ap;

	va_start(ap, err);
	while (argc < 31 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	return cfg_parse(c, argc, argv, env, err);
}

static void
expect_error(char **env, const char *want, char *a1, char *a2, char *a3, char *a4)
{
	struct cfg c;
	char err[CFG_ERR_MAX];

	if (parse(&c, env, err, a1, a2, a3, a4, NULL))
		fail_msg("accepted %s %s %s %s", a1, a2 ? a2 : "", a3 ? a3 : "", a4 ? a4 : "");
	if (!strstr(err, want))
		fail_msg("error \"%s\" lacks \"%s\"", err, want);
}

static void
test_defaults(void **state)
{
	struct cfg c;
	char err[CFG_ERR_MAX];

	assert_true(parse(&c, no_env, err, "--cluster", "cluster1", NULL));
	assert_string_equal(c.cluster, "cluster1");
	assert_int_equal(c.mode, CFG_MODE_REPORT);
	assert_int_equal(c.output, CFG_OUT_TEXT);
	assert_string_equal(c.cni_conf_dir, "/etc/cni/net.d");
	assert_int_equal(c.listen.port, 9750);
	assert_int_equal(c.nprobe_ports, 1);
	assert_int_equal(c.probe_ports[0], 9750);
	assert_int_equal(c.allow_cidrs.n, 4);
	assert_true(c.interval == 10 && c.timeout == 1);
	assert_int_equal(c.node_ip, 0);
	assert_int_equal(c.pod_cidrs.n, 0);
}

static void
test_all_flags(void **state)
{
	struct cfg c;
	char err[CFG_ERR_MAX];
	char *argv[] = { "check", "--cluster", "c2", "--node-name", "c2-control-plane",
		"--node-ip", "172.18.0.4", "--pod-cidr", "10.245.0.0/24", "--cluster-cidr",
		"10.245.0.0/16", "--service-cidr", "10.97.0.0/16", "--route-services",
		"--peers", "172.18.0.2,172.18.0.3:9751", "--remote",
		"172.18.0.2=10.244.0.0/24+10.244.9.0/24,172.18.0.3=10.244.1.0/24",
		"--mode", "enforce", "--listen", "127.0.0.1:9999", "--probe-port", "5000,9750",
		"--probe", "10.244.0.9:5000,http://10.244.0.9:5000/hello", "--interval", "2.5",
		"--timeout", "0.25", "--allow-cidr", "10.0.0.0/8", "--output", "json",
		"--cni-conf-dir", "/tmp/cni" };

	assert_true(cfg_parse(&c, sizeof(argv) / sizeof(argv[0]), argv, no_env, err));
	assert_string_equal(c.node_name, "c2-control-plane");
	assert_int_equal(c.node_ip, 0xac120004);
	assert_int_equal(c.cluster_cidrs.n, 1);
	assert_true(c.has_service_cidr && c.route_services);
	assert_int_equal(c.npeers, 2);
	assert_int_equal(c.peers[0].port, 9750);
	assert_int_equal(c.peers[1].port, 9751);
	assert_int_equal(c.nremotes, 2);
	assert_int_equal(c.remotes[0].cidrs.n, 2);
	assert_int_equal(c.mode, CFG_MODE_ENFORCE);
	assert_int_equal(c.listen.port, 9999);
	assert_int_equal(c.nprobe_ports, 2);
	assert_int_equal(c.nprobes, 2);
	assert_false(c.probes[0].http);
	assert_true(c.probes[1].http);
	assert_string_equal(c.probes[1].url, "http://10.244.0.9:5000/hello");
	assert_true(c.interval == 2.5 && c.timeout == 0.25);
	assert_int_equal(c.allow_cidrs.n, 1);
	assert_int_equal(c.output, CFG_OUT_JSON);
	assert_string_equal(c.cni_conf_dir, "/tmp/cni");
}

static void
test_env_and_precedence(void **state)
{
	struct cfg c;
	char err[CFG_ERR_MAX];
	char *env[] = { "PODREACH_CLUSTER=fromenv", "PODREACH_POD_CIDR=10.1.0.0/24",
		"NODE_NAME=node-a", "HOST_IP=172.18.0.9", "PODREACH_MODE=enforce",
		"PODREACH_OUTPUT=", NULL };

	assert_true(parse(&c, env, err, "--pod-cidr", "10.2.0.0/24", NULL));
	assert_string_equal(c.cluster, "fromenv");
	assert_int_equal(c.pod_cidrs.n, 1);
	assert_int_equal(c.pod_cidrs.v[0].addr, 0x0a020000);	/* the flag wins */
	assert_string_equal(c.node_name, "node-a");
	assert_int_equal(c.node_ip, 0xac120009);
	assert_int_equal(c.mode, CFG_MODE_ENFORCE);
	assert_int_equal(c.output, CFG_OUT_TEXT);		/* empty means unset */
}

static void
test_env_errors_name_the_variable(void **state)
{
	char *env[] = { "PODREACH_CLUSTER=c", "PODREACH_POD_CIDR=10.1.0.1/24", NULL };

	expect_error(env, "PODREACH_POD_CIDR=\"10.1.0.1/24\": \"10.1.0.1/24\" has host bits set",
		     NULL, NULL, NULL, NULL);
}

static void
test_bad_values(void **state)
{
	expect_error(no_env, "--cluster is required", NULL, NULL, NULL, NULL);
	expect_error(no_env, "--cluster \"Bad_Name\"", "--cluster", "Bad_Name", NULL, NULL);
	expect_error(no_env, "--pod-cidr \"10.244.0.0/33\": \"10.244.0.0/33\": prefix length 33",
		     "--cluster", "c", "--pod-cidr", "10.244.0.0/33");
	expect_error(no_env, "--pod-cidr \"garbage\"", "--cluster", "c", "--pod-cidr", "garbage");
	expect_error(no_env, "10.244.0.0/24 is listed twice", "--cluster", "c", "--pod-cidr",
		     "10.244.0.0/24,10.244.0.0/24");
	expect_error(no_env, "--node-ip \"172.18.0\"", "--cluster", "c", "--node-ip", "172.18.0");
	expect_error(no_env, "--probe-port \"0\"", "--cluster", "c", "--probe-port", "0");
	expect_error(no_env, "--probe-port \"65536\"", "--cluster", "c", "--probe-port", "65536");
	expect_error(no_env, "port 5000 is listed twice", "--cluster", "c", "--probe-port",
		     "5000,5000");
	expect_error(no_env, "--interval \"-1\"", "--cluster", "c", "--interval", "-1");
	expect_error(no_env, "--interval \"1e3\"", "--cluster", "c", "--interval", "1e3");
	expect_error(no_env, "--timeout \"0\"", "--cluster", "c", "--timeout", "0");
	expect_error(no_env, "--timeout \"nan\"", "--cluster", "c", "--timeout", "nan");
	expect_error(no_env, "--mode \"force\": want report or enforce", "--cluster", "c",
		     "--mode", "force");
	expect_error(no_env, "--output \"yaml\"", "--cluster", "c", "--output", "yaml");
	expect_error(no_env, "--listen \"9750\"", "--cluster", "c", "--listen", "9750");
	expect_error(no_env, "--remote \"172.18.0.2\"", "--cluster", "c", "--remote",
		     "172.18.0.2");
	expect_error(no_env, "node 172.18.0.2 is listed twice", "--cluster", "c", "--remote",
		     "172.18.0.2=10.1.0.0/24,172.18.0.2=10.2.0.0/24");
	expect_error(no_env, "node 172.18.0.2: \"10.1.0.1/24\" has host bits", "--cluster", "c",
		     "--remote", "172.18.0.2=10.1.0.1/24");
	expect_error(no_env, "--probe \"10.0.0.1\"", "--cluster", "c", "--probe", "10.0.0.1");
	expect_error(no_env, "--probe \"http://host:80/\"", "--cluster", "c", "--probe",
		     "http://host:80/");
	expect_error(no_env, "--peers \"a.b.c.d\"", "--cluster", "c", "--peers", "a.b.c.d");
	expect_error(no_env, "unknown option --bogus", "--cluster", "c", "--bogus", NULL);
	expect_error(no_env, "--mode is given twice", "--mode", "report", "--mode", "enforce");
	expect_error(no_env, "unexpected argument \"extra\"", "--cluster", "c", "extra", NULL);
	expect_error(no_env, "--cluster needs a value", "--cluster", NULL, NULL, NULL);
	expect_error(cluster_env, "--timeout 5 is longer than --interval 2", "--interval", "2",
		     "--timeout", "5");
}

static void
test_discovery(void **state)
{
	char *pod_env[] = { "PODREACH_CLUSTER=c1", "KUBERNETES_SERVICE_HOST=10.96.0.1",
			    "POD_NAMESPACE=podreach", NULL };
	char *off_env[] = { "PODREACH_CLUSTER=c1", "KUBERNETES_SERVICE_HOST=10.96.0.1",
			    "POD_NAMESPACE=podreach", "PODREACH_REMOTE_SECRETS=", NULL };
	char *twin_env[] = { "PODREACH_CLUSTER=c1", "PODREACH_DISCOVERY=kubernetes",
			     "PODREACH_KUBECONFIG=/k", "PODREACH_REMOTE_KUBECONFIG=c2=/a,c3=/b",
			     "PODREACH_REMOTE_SECRETS=istio-system", NULL };
	struct cfg c;
	char err[CFG_ERR_MAX];

	/* Outside a pod and without --kubeconfig: peers, no secrets. */
	assert_true(parse(&c, cluster_env, err, NULL));
	assert_int_equal(c.discovery, CFG_DISC_PEERS);
	assert_string_equal(c.remote_secrets, "");
	/* In a pod: kubernetes, secrets from the agent's own namespace. */
	assert_true(parse(&c, pod_env, err, NULL));
	assert_int_equal(c.discovery, CFG_DISC_KUBERNETES);
	assert_string_equal(c.remote_secrets, "podreach");
	assert_true(parse(&c, pod_env, err, "--remote-secrets", "", NULL));
	assert_string_equal(c.remote_secrets, "");
	assert_true(parse(&c, off_env, err, NULL));
	assert_string_equal(c.remote_secrets, "");
	assert_true(parse(&c, pod_env, err, "--discovery", "peers", NULL));
	assert_int_equal(c.discovery, CFG_DISC_PEERS);
	assert_string_equal(c.remote_secrets, "");
	/* --kubeconfig alone picks kubernetes; every option has its twin. */
	assert_true(parse(&c, cluster_env, err, "--kubeconfig", "/etc/k", NULL));
	assert_int_equal(c.discovery, CFG_DISC_KUBERNETES);
	assert_string_equal(c.kubeconfig, "/etc/k");
	assert_true(parse(&c, twin_env, err, NULL));
	assert_int_equal(c.discovery, CFG_DISC_KUBERNETES);
	assert_int_equal(c.nremote_kubeconfigs, 2);
	assert_string_equal(c.remote_kubeconfigs[1].name, "c3");
	assert_string_equal(c.remote_kubeconfigs[1].path, "/b");
	assert_string_equal(c.remote_secrets, "istio-system");
}

static void
test_discovery_errors(void **state)
{
	expect_error(cluster_env, "--discovery \"k8s\": want kubernetes or peers", "--discovery",
		     "k8s", NULL, NULL);
	expect_error(cluster_env, "--discovery kubernetes needs --kubeconfig", "--discovery",
		     "kubernetes", NULL, NULL);
	expect_error(cluster_env, "--remote-kubeconfig needs --discovery kubernetes",
		     "--remote-kubeconfig", "c2=/f", NULL, NULL);
	expect_error(cluster_env, "--remote-secrets needs --discovery kubernetes",
		     "--remote-secrets", "ns", NULL, NULL);
	expect_error(cluster_env, "--remote-kubeconfig \"c2\": \"c2\" is not NAME=FILE",
		     "--kubeconfig", "/k", "--remote-kubeconfig", "c2");
	expect_error(cluster_env, "cluster name \"C2\"", "--kubeconfig", "/k",
		     "--remote-kubeconfig", "C2=/f");
	expect_error(cluster_env, "cluster c2 is listed twice", "--kubeconfig", "/k",
		     "--remote-kubeconfig", "c2=/f,c2=/g");
	expect_error(cluster_env, "--remote-kubeconfig c: that is this cluster", "--kubeconfig",
		     "/k", "--remote-kubeconfig", "c=/f");
	expect_error(cluster_env, "--remote-secrets \"istio.system\"", "--kubeconfig", "/k",
		     "--remote-secrets", "istio.system");
	expect_error(cluster_env, "--kubeconfig \"\": want a file path", "--kubeconfig", "", NULL,
		     NULL);
}

static void
test_lists_append(void **state)
{
	struct cfg c;
	char err[CFG_ERR_MAX];

	assert_true(parse(&c, no_env, err, "--cluster", "c", "--remote", "172.18.0.2=10.1.0.0/24",
			  "--remote", "172.18.0.3=10.2.0.0/24", NULL));
	assert_int_equal(c.nremotes, 2);
}

static void
test_help(void **state)
{
	struct cfg c;
	char err[CFG_ERR_MAX];

	assert_false(parse(&c, no_env, err, "--help", NULL));
	assert_string_equal(err, "help");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_all_flags),
		cmocka_unit_test(test_env_and_precedence),
		cmocka_unit_test(test_env_errors_name_the_variable),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_lists_append),
		cmocka_unit_test(test_discovery),
		cmocka_unit_test(test_discovery_errors),
		cmocka_unit_test(test_help),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
