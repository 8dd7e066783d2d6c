/*
 * tests/fuzz/nftnl_types.c — asks the installed libnftnl which attribute
 * lengths each of its expression parsers accepts, and prints the table
 * netlink/nft_check.c keeps (exprs_libnftnl[]).  libnftnl exit()s on an
 * attribute of the wrong length for its type ("nf_tables kernel ABI is
 * broken"), so each probe runs in a child process:
 *
 *     cc -o /tmp/nftnl_types tests/fuzz/nftnl_types.c -lnftnl -lmnl && /tmp/nftnl_types
 *
 * A developer tool, not part of the build or the suite; run it again when
 * libnftnl changes.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>

#define MAX_ATTR 24

static const char *const names[] = {
	"bitwise", "byteorder", "cmp", "range", "connlimit", "counter", "ct", "dup", "exthdr",
	"flow_offload", "fib", "fwd", "last", "limit", "log", "lookup", "dynset", "immediate",
	"match", "meta", "numgen", "nat", "tproxy", "objref", "payload", "queue", "quota",
	"reject", "rt", "target", "tunnel", "masq", "redir", "hash", "socket", "synproxy",
	"osf", "xfrm", "notrack", "secmark", "inner",
};

/* Whether libnftnl parses a rule whose one expression `name` has one
 * attribute `type` of len bytes (fill: their value) without exiting. */
static bool accepts(const char *name, uint16_t type, size_t len, char fill)
{
	char buf[512], val[64];
	struct nlmsghdr *nlh;
	struct nlattr *l, *e, *d;
	int status;
	pid_t pid;

	memset(val, fill, sizeof(val));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWRULE;
	mnl_nlmsg_put_extra_header(nlh, 4);
	mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, "t");
	mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, "c");
	l = mnl_attr_nest_start(nlh, NFTA_RULE_EXPRESSIONS);
	e = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
	mnl_attr_put_strz(nlh, NFTA_EXPR_NAME, name);
	d = mnl_attr_nest_start(nlh, NFTA_EXPR_DATA);
	mnl_attr_put(nlh, type, len, val);
	mnl_attr_nest_end(nlh, d);
	mnl_attr_nest_end(nlh, e);
	mnl_attr_nest_end(nlh, l);
	fflush(stdout);
	if ((pid = fork()) == 0) {
		struct nftnl_rule *r = nftnl_rule_alloc();

		freopen("/dev/null", "w", stderr);
		nftnl_rule_nlmsg_parse(nlh, r);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* The mnl type whose check matches what was accepted, or NULL: any. */
static const char *classify(const char *name, uint16_t type)
{
	static const size_t lens[] = { 0, 1, 2, 3, 4, 5, 8, 9, 16 };
	unsigned ok = 0;

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		if (accepts(name, type, lens[i], 0))
			ok |= 1u << i;
	if (ok == 0x1ffu)
		return NULL;
	if (ok == 1u << 1)
		return "MNL_TYPE_U8";
	if (ok == 1u << 2)
		return "MNL_TYPE_U16";
	if (ok == 1u << 4)
		return "MNL_TYPE_U32";
	if (ok == 1u << 6)
		return "MNL_TYPE_U64";
	if (ok == 0x1feu)	/* anything but empty: a string, strdup()ed */
		return "MNL_TYPE_NUL_STRING";
	if (ok == (0x1ffu & ~0xeu))
		return "MNL_TYPE_NESTED";
	fprintf(stderr, "%s attribute %u: accepted lengths mask 0x%x\n", name, type, ok);
	return "?";
}

int main(void)
{
	for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++) {
		struct nftnl_expr *probe = nftnl_expr_alloc(names[n]);
		bool any = false;

		if (!probe)
			continue;
		nftnl_expr_free(probe);
		printf("\t{ \"%s\", (const uint8_t[]){ ", names[n]);
		for (uint16_t t = 1; t <= MAX_ATTR; t++) {
			const char *ty = classify(names[n], t);

			if (ty) {
				printf("%s[%u] = %s", any ? ", " : "", t, ty);
				any = true;
			}
		}
		printf("%s } },\n", any ? "" : "0");
	}
	return 0;
}
