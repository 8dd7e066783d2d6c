/*
 * Against the real kernel: in a private network namespace (unshare, so the
 * host's ruleset is never touched and nothing outlives the test) load a
 * kindnet-like ruleset with nft and iptables-nft, read it back with
 * nft_ruleset_read(), compare every rule handle with `nft -a list ruleset`,
 * and evaluate pod flows.  Skips unless root with nft and iptables-nft.
 */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <linux/netfilter.h>

#include "agent/core/fw.h"
#include "agent/core/fw_fmt.h"
#include "netlink/nft.h"

#define IP4(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (d))

static const char ruleset[] =
	"table inet kindnet-ipmasq {\n"
	"  set noMasqV4 { type ipv4_addr; flags interval; auto-merge;\n"
	"    elements = { 10.244.0.0/16, 172.18.0.0/16 } }\n"
	"  chain postrouting {\n"
	"    type nat hook postrouting priority srcnat - 10; policy accept;\n"
	"    ct state established,related accept\n"
	"    fib daddr type local accept\n"
	"    ip daddr @noMasqV4 accept\n"
	"    masquerade\n"
	"  }\n"
	"}\n"
	"table inet filt {\n"
	"  chain pods_fwd {\n"
	"    type filter hook forward priority 0; policy accept;\n"
	"    ct state invalid drop\n"
	"    iifname \"veth*\" tcp dport { 22, 9000-9999 } counter accept comment \"pods\"\n"
	"    ip daddr vmap { 192.168.0.0/16 : drop, 10.99.0.0/16 : jump subc }\n"
	"  }\n"
	"  chain subc {\n"
	"    meta mark & 0x4000 == 0x4000 return\n"
	"    ip saddr != 10.0.0.0/8 reject\n"
	"  }\n"
	"}\n";

static const char iptables[] =
	"iptables-nft -t nat -N KIND-MASQ-AGENT && "
	"iptables-nft -t nat -A POSTROUTING -m addrtype ! --dst-type LOCAL "
	"-m comment --comment 'kind-masq-agent: to KIND-MASQ-AGENT' -j KIND-MASQ-AGENT && "
	"iptables-nft -t nat -A KIND-MASQ-AGENT -d 10.244.0.0/16 "
	"-m comment --comment 'kind-masq-agent: local traffic' -j RETURN && "
	"iptables-nft -t nat -A KIND-MASQ-AGENT "
	"-m comment --comment 'kind-masq-agent: outbound traffic' -j MASQUERADE && "
	"iptables-nft -A FORWARD -m conntrack --ctstate INVALID -j DROP && "
	"iptables-nft -A FORWARD -p tcp --dport 9750 -m mark --mark 0x4000/0x4000 -j ACCEPT && "
	/* kube-proxy's mark rules, as its iptables mode writes them */
	"iptables-nft -t nat -N KUBE-MARK-DROP && "
	"iptables-nft -t nat -A KUBE-MARK-DROP -j MARK --set-xmark 0x8000/0x8000 && "
	"iptables-nft -t nat -N KUBE-POSTROUTING && "
	"iptables-nft -t nat -A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN && "
	"iptables-nft -t nat -A KUBE-POSTROUTING -j MARK --xor-mark 0x4000 && "
	"iptables-nft -N KUBE-FIREWALL && "
	"iptables-nft -A KUBE-FIREWALL -m mark --mark 0x8000/0x8000 -j DROP";

/* Rules of these chains are rendered exactly as `nft -s list` prints them. */
static const char marks[] =
	"table inet marks {\n"
	"  chain m {\n"
	"    meta mark & 0x00004000 == 0x00004000 drop\n"
	"    meta mark & 0x00004000 != 0x00004000 return\n"
	"    ct mark & 0x000000ff == 0x00000001 accept\n"
	"    meta mark set meta mark | 0x00004000\n"
	"    meta mark set meta mark ^ 0x00004000\n"
	"    ip saddr & 0.0.255.0 == 0.0.1.0 drop\n"
	"    ct mark set ct mark | 0x1\n"
	"    ct mark set meta mark & 0xffff\n"
	"    meta mark set ct mark\n"
	"    ct mark & 0xff00 != 0x0 accept\n"
	"  }\n"
	"}\n";

static const struct addr4 node_addrs[] = {
	{ .ifindex = 2, .local = IP4(172, 18, 0, 2), .len = 16 },
};
static const struct fw_ctx ctx = { node_addrs, 1, NULL };
static struct nft_ruleset *rs;

/* Why this test cannot run here, or NULL when it can.  Leaves this process
 * in a network namespace of its own. */
static const char *cannot_run(void)
{
	if (geteuid() != 0)
		return "not root: needs a network namespace of its own and nftables";
	if (system("command -v nft >/dev/null && command -v iptables-nft >/dev/null") != 0)
		return "nft or iptables-nft not installed (tests/deps.sh installs them)";
	if (unshare(CLONE_NEWNET) < 0)
		return "unshare(CLONE_NEWNET) refused";
	if (system("nft list ruleset >/dev/null 2>&1") != 0)
		return "nftables does not answer in a new network namespace";
	return NULL;
}

static int setup(void **state)
{
	FILE *p;

	if (!(p = popen("nft -f -", "w")))
		return -1;
	fputs(ruleset, p);
	fputs(marks, p);
	if (pclose(p) != 0 || system(iptables) != 0)
		return -1;
	return nft_ruleset_read(&rs) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	nft_ruleset_free(rs);
	return 0;
}

static uint32_t family_of(const char *s)
{
	return !strcmp(s, "ip") ? NFPROTO_IPV4 : !strcmp(s, "inet") ? NFPROTO_INET :
	       !strcmp(s, "ip6") ? NFPROTO_IPV6 : NFPROTO_UNSPEC;
}

static bool has_rule(const char *fam, const char *table, const char *chain, uint64_t handle)
{
	const struct nft_chain *c = nft_chain_find(nft_table_find(rs, family_of(fam), table), chain);

	for (size_t i = 0; c && i < c->nrules; i++)
		if (c->rules[i].handle == handle)
			return true;
	return false;
}

/* Every "... # handle N" rule line of `nft -a list ruleset` is in rs, and
 * rs holds no other rule. */
static void test_handles_match_nft(void **state)
{
	char line[1024], fam[16] = "", table[256] = "", chain[256] = "";
	size_t seen = 0, ours = 0;
	unsigned long long h;
	FILE *p;

	assert_non_null(p = popen("nft -a list ruleset", "r"));
	while (fgets(line, sizeof(line), p)) {
		char *mark = strstr(line, "# handle ");

		if (sscanf(line, " table %15s %255s {", fam, table) == 2)
			continue;
		if (sscanf(line, " chain %255s {", chain) == 1 ||
		    !mark || strncmp(line, "\t\t", 2))
			continue;
		assert_int_equal(sscanf(mark, "# handle %llu", &h), 1);
		if (!has_rule(fam, table, chain, h))
			fail_msg("%s %s %s handle %llu not read", fam, table, chain, h);
		seen++;
	}
	pclose(p);
	for (size_t i = 0; i < rs->ntables; i++)
		for (size_t j = 0; j < rs->tables[i].nchains; j++)
			ours += rs->tables[i].chains[j].nrules;
	assert_int_equal(seen, ours);
	assert_true(seen >= 13);
}

static void test_interval_set_from_kernel(void **state)
{
	const struct nft_set *s;

	s = nft_set_find(nft_table_find(rs, NFPROTO_INET, "kindnet-ipmasq"), "noMasqV4");
	assert_non_null(s);
	assert_int_equal(s->nranges, 2);
	assert_memory_equal(s->ranges[0].lo.b, "\x0a\xf4\x00\x00", 4);
	assert_memory_equal(s->ranges[0].hi.b, "\x0a\xf4\xff\xff", 4);
	assert_memory_equal(s->ranges[1].lo.b, "\xac\x12\x00\x00", 4);
	assert_memory_equal(s->ranges[1].hi.b, "\xac\x12\xff\xff", 4);
}

static struct fw_flow flow(uint32_t saddr, uint32_t daddr, const char *iif)
{
	struct fw_flow f;

	fw_flow_init(&f, saddr, daddr, 9750);
	strcpy(f.iifname, iif);
	strcpy(f.oifname, "eth0");
	f.iif = 5;
	f.oif = 2;
	return f;
}

static void show(const struct fw_result *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		print_message("  %-11s %-10s %s %s handle %llu: %s %s\n", fw_hook_name(r[i].hook),
			      fw_verdict_name(r[i].verdict), r[i].table, r[i].chain,
			      (unsigned long long)r[i].handle, r[i].rule, r[i].reason);
}

static void test_flows(void **state)
{
	struct fw_result r[3];
	struct fw_flow f;
	size_t n;

	f = flow(IP4(10, 244, 1, 5), IP4(10, 245, 0, 7), "veth1");
	assert_int_equal(n = fw_eval_forward(rs, &ctx, &f, r), 3);
	show(r, n);
	assert_int_equal(r[1].verdict, FW_ACCEPT);
	assert_string_equal(r[1].table, "inet filt");
	assert_int_equal(r[2].verdict, FW_MASQUERADE);
	assert_string_equal(r[2].table, "inet kindnet-ipmasq");
	assert_string_equal(r[2].rule, "masquerade");
	assert_string_equal(r[1].rule, "iifname \"veth*\" tcp dport { 22, 9000-9999 } counter "
			    "accept comment \"pods\"");

	f = flow(IP4(10, 244, 1, 5), IP4(10, 244, 2, 3), "veth1");
	assert_int_equal(n = fw_eval_forward(rs, &ctx, &f, r), 3);
	show(r, n);
	assert_int_equal(r[2].verdict, FW_ACCEPT);

	f = flow(IP4(192, 0, 2, 1), IP4(10, 99, 1, 1), "eth1");
	assert_int_equal(n = fw_eval_forward(rs, &ctx, &f, r), 2);
	show(r, n);
	assert_int_equal(r[1].verdict, FW_REJECT);
	assert_string_equal(r[1].chain, "subc");

	f = flow(IP4(10, 244, 1, 5), IP4(192, 168, 1, 1), "eth1");
	assert_int_equal(n = fw_eval_forward(rs, &ctx, &f, r), 2);
	show(r, n);
	assert_int_equal(r[1].verdict, FW_DROP);
	assert_string_equal(r[1].chain, "pods_fwd");
	assert_string_equal(r[1].rule,
			    "ip daddr vmap { 10.99.0.0/16 : jump subc, 192.168.0.0/16 : drop }");
}

/* Every rule of the mark chains as fw_fmt_rule renders it is the line
 * `nft -s list chain` prints for it (compat matches aside: nft shows those
 * as xt, podreach natively, so only chains without them are compared). */
static void same_as_nft(const char *fam, const char *table, const char *chain)
{
	const struct nft_table *t = nft_table_find(rs, family_of(fam), table);
	const struct nft_chain *c = nft_chain_find(t, chain);
	char cmd[256], line[1024], ours[512];
	size_t i = 0;
	FILE *p;

	assert_non_null(c);
	snprintf(cmd, sizeof(cmd), "nft -s list chain %s %s %s", fam, table, chain);
	assert_non_null(p = popen(cmd, "r"));
	while (fgets(line, sizeof(line), p)) {
		char *s = line + strspn(line, "\t ");

		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "\t\t", 2) || !*s || !strncmp(s, "type ", 5))
			continue;
		assert_true(i < c->nrules);
		fw_fmt_rule(t, &c->rules[i++], ours, sizeof(ours));
		print_message("  nft: %s\n  ours: %s\n", s, ours);
		assert_string_equal(ours, s);
	}
	pclose(p);
	assert_int_equal(i, c->nrules);
}

static void test_marks_as_nft(void **state)
{
	same_as_nft("inet", "marks", "m");
	same_as_nft("ip", "filter", "KUBE-FIREWALL");
	same_as_nft("ip", "nat", "KUBE-POSTROUTING");
	same_as_nft("ip", "nat", "KUBE-MARK-DROP");
}

/* A test that cannot run says why and exits 77, which tests/run.sh counts
 * as skipped, never as passed.  In CI (CI=true, as root) it must run. */
int main(void)
{
	const char *why = cannot_run();
	const char *ci = getenv("CI");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handles_match_nft),
		cmocka_unit_test(test_interval_set_from_kernel),
		cmocka_unit_test(test_flows),
		cmocka_unit_test(test_marks_as_nft),
	};

	if (why && ci && !strcmp(ci, "true")) {
		printf("cannot run in CI: %s\n", why);
		return 1;
	}
	if (why) {
		printf("skipped: %s\n", why);
		return 77;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
