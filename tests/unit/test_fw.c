/*
 * Rulesets built with libnftnl, serialized as the kernel's dump would send
 * them, parsed back through nft_ruleset_add_msg() and evaluated by fw_*.
 * No root, no kernel.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/xt_addrtype.h>
#include <linux/netfilter/xt_mark.h>
#include <linux/netfilter/xt_tcpudp.h>
#include <linux/rtnetlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "agent/core/cfg.h"
#include "agent/core/diag.h"
#include "agent/core/flows.h"
#include "agent/core/fw.h"
#include "agent/core/report.h"
#include "agent/core/strpool.h"
#include "agent/core/why.h"
#include "agent/core/fw_fmt.h"
#include "netlink/nft.h"

#define IP4(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (d))

static struct nft_ruleset *rs;
static char msgbuf[1 << 16];
static uint32_t seq;
static struct nftnl_rule *cur;

/* The node: 172.18.0.2/16 on eth0 (2), 127.0.0.1/8 on lo (1). */
static const struct addr4 node_addrs[] = {
	{ .ifindex = 1, .local = IP4(127, 0, 0, 1), .len = 8 },
	{ .ifindex = 2, .local = IP4(172, 18, 0, 2), .len = 16 },
};
static const struct fw_ctx ctx = { node_addrs, 2, NULL };

/* Every message is also parsed through libnftnl alone into shadow: the
 * fast rule parser must fill exactly what the libnftnl path fills. */
static struct nft_ruleset *shadow;

static int setup(void **state)
{
	rs = nft_ruleset_new();
	shadow = nft_ruleset_new();
	return rs && shadow ? 0 : -1;
}

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void same_expr(const struct nft_expr *a, const struct nft_expr *b, uint64_t handle)
{
	if (a->kind != b->kind || strcmp(a->name, b->name) || !same_str(a->str, b->str) ||
	    a->infolen != b->infolen || (a->infolen && memcmp(a->info, b->info, a->infolen)) ||
	    memcmp(&a->u, &b->u, sizeof(a->u)))
		fail_msg("rule handle %llu: expression %s differs between the fast and libnftnl parsers",
			 (unsigned long long)handle, a->name);
}

static void same_rules(const struct nft_ruleset *a, const struct nft_ruleset *b)
{
	assert_int_equal(a->ntables, b->ntables);
	for (size_t t = 0; t < a->ntables; t++) {
		assert_int_equal(a->tables[t].nchains, b->tables[t].nchains);
		for (size_t c = 0; c < a->tables[t].nchains; c++) {
			const struct nft_chain *ca = &a->tables[t].chains[c], *cb = &b->tables[t].chains[c];

			assert_int_equal(ca->nrules, cb->nrules);
			for (size_t r = 0; r < ca->nrules; r++) {
				const struct nft_rule *ra = &ca->rules[r], *rb = &cb->rules[r];

				assert_true(ra->handle == rb->handle);
				assert_true(same_str(ra->comment, rb->comment));
				assert_int_equal(ra->partial, rb->partial);
				assert_int_equal(ra->nexprs, rb->nexprs);
				for (size_t e = 0; e < ra->nexprs; e++)
					same_expr(&ra->exprs[e], &rb->exprs[e], ra->handle);
			}
		}
	}
}

static int teardown(void **state)
{
	same_rules(rs, shadow);
	nft_ruleset_free(rs);
	nft_ruleset_free(shadow);
	rs = shadow = NULL;
	return 0;
}

/* ---- building messages ------------------------------------------------ */

static void feed(const struct nlmsghdr *nlh)
{
	assert_int_equal(nft_ruleset_add_msg(rs, nlh, nlh->nlmsg_len), 0);
	nft_parse_fast = false;
	assert_int_equal(nft_ruleset_add_msg(shadow, nlh, nlh->nlmsg_len), 0);
	nft_parse_fast = true;
}

static void mk_table(uint16_t fam, const char *name, uint32_t flags)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(msgbuf, NFT_MSG_NEWTABLE, fam, 0, ++seq);

	nftnl_table_set_str(t, NFTNL_TABLE_NAME, name);
	nftnl_table_set_u32(t, NFTNL_TABLE_FLAGS, flags);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	feed(nlh);
}

/* hook < 0: a regular chain. */
static void mk_chain(uint16_t fam, const char *table, const char *name, int hook, int prio,
		     uint32_t policy, const char *type)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(msgbuf, NFT_MSG_NEWCHAIN, fam, 0, ++seq);

	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	nftnl_chain_set_u64(c, NFTNL_CHAIN_HANDLE, seq);
	if (hook >= 0) {
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, (uint32_t)hook);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, policy);
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, type);
	}
	nftnl_chain_nlmsg_build_payload(nlh, c);
	nftnl_chain_free(c);
	feed(nlh);
}

static void rule_begin(uint16_t fam, const char *table, const char *chain, uint64_t handle,
		       const char *comment)
{
	cur = nftnl_rule_alloc();
	nftnl_rule_set_u32(cur, NFTNL_RULE_FAMILY, fam);
	nftnl_rule_set_str(cur, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(cur, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u64(cur, NFTNL_RULE_HANDLE, handle);
	if (comment) {
		struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);

		nftnl_udata_put_strz(ud, NFTNL_UDATA_RULE_COMMENT, comment);
		nftnl_rule_set_data(cur, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(ud),
				    nftnl_udata_buf_len(ud));
		nftnl_udata_buf_free(ud);
	}
}

static void rule_end(void)
{
	uint16_t fam = (uint16_t)nftnl_rule_get_u32(cur, NFTNL_RULE_FAMILY);
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(msgbuf, NFT_MSG_NEWRULE, fam, 0, ++seq);

	nftnl_rule_nlmsg_build_payload(nlh, cur);
	nftnl_rule_free(cur);
	cur = NULL;
	feed(nlh);
}

static struct nftnl_expr *x_new(const char *name)
{
	struct nftnl_expr *e = nftnl_expr_alloc(name);

	assert_non_null(e);
	nftnl_rule_add_expr(cur, e);
	return e;
}

static void x_payload(uint32_t base, uint32_t off, uint32_t len)
{
	struct nftnl_expr *e = x_new("payload");

	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
}

static void x_cmp(uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = x_new("cmp");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
}

static void x_cmp_u32(uint32_t op, uint32_t v)
{
	x_cmp(op, &v, 4);
}

static void x_cmp_u8(uint32_t op, uint8_t v)
{
	x_cmp(op, &v, 1);
}

static void x_cmp_be32(uint32_t op, uint32_t hostv)
{
	uint32_t v = htonl(hostv);

	x_cmp(op, &v, 4);
}

static void x_bitwise(const void *mask, const void *xor, uint32_t len)
{
	struct nftnl_expr *e = x_new("bitwise");

	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, xor, len);
}

/* ip saddr/daddr [!=] a.b.c.d/len, the way nft and iptables-nft write it. */
static void x_ip_prefix(bool daddr, uint32_t op, uint32_t net, int len)
{
	uint32_t mask = htonl(len ? ~0u << (32 - len) : 0), zero = 0;

	x_payload(NFT_PAYLOAD_NETWORK_HEADER, daddr ? 16 : 12, 4);
	if (len < 32)
		x_bitwise(&mask, &zero, 4);
	x_cmp_be32(op, net);
}

static void x_meta(uint32_t key)
{
	struct nftnl_expr *e = x_new("meta");

	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
}

static void x_verdict(int32_t v, const char *chain)
{
	struct nftnl_expr *e = x_new("immediate");

	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)v);
	if (chain)
		nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain);
}

static void x_imm_data(uint32_t reg, const void *data, uint32_t len)
{
	struct nftnl_expr *e = x_new("immediate");

	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, reg);
	nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, data, len);
}

static void x_lookup(const char *set, uint32_t flags)
{
	struct nftnl_expr *e = x_new("lookup");

	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, flags);
}

static void x_fib_daddr_type(void)
{
	struct nftnl_expr *e = x_new("fib");

	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
}

static void x_ct_state(void)
{
	struct nftnl_expr *e = x_new("ct");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
}

/* ct state established,related: load, mask, != 0. */
static void x_ct_est_rel(void)
{
	uint32_t mask = FW_CT_ESTABLISHED | FW_CT_RELATED, zero = 0;

	x_ct_state();
	x_bitwise(&mask, &zero, 4);
	x_cmp_u32(NFT_CMP_NEQ, 0);
}

static void x_plain(const char *name)
{
	x_new(name);
}

static void x_xt(bool match, const char *name, uint32_t rev, const void *info, uint32_t len)
{
	struct nftnl_expr *e = x_new(match ? "match" : "target");

	nftnl_expr_set_str(e, match ? NFTNL_EXPR_MT_NAME : NFTNL_EXPR_TG_NAME, name);
	nftnl_expr_set_u32(e, match ? NFTNL_EXPR_MT_REV : NFTNL_EXPR_TG_REV, rev);
	/* libnftnl keeps the pointer (it frees it): hand it a copy. */
	void *copy = malloc(len);

	memcpy(copy, info, len);
	nftnl_expr_set(e, match ? NFTNL_EXPR_MT_INFO : NFTNL_EXPR_TG_INFO, copy, len);
}

static void mk_set(uint16_t fam, const char *table, const char *name, uint32_t flags,
		   uint32_t klen, uint32_t dtype)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(msgbuf, NFT_MSG_NEWSET, fam, 0, ++seq);

	nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, flags);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, klen);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, 7);	/* ipv4_addr */
	nftnl_set_set_u32(s, NFTNL_SET_ID, seq);
	if (flags & NFT_SET_MAP) {
		nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, dtype);
		nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, dtype == NFT_DATA_VERDICT ? 0 : 4);
	}
	nftnl_set_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	feed(nlh);
}

struct el {
	uint32_t ip;		/* host order, key of a 4-byte set */
	bool end;		/* NFT_SET_ELEM_INTERVAL_END */
	int32_t verdict;
	const char *chain;
};

#define S(a) { .ip = (a) }
#define E(a) { .ip = (a), .end = true }

/* As the kernel dumps them: every element an NFTA_LIST_ELEM (libnftnl's
 * own list builder numbers them 1, 2, ... which its parser then refuses). */
static void mk_elems(uint16_t fam, const char *table, const char *set, const struct el *els,
		     size_t n)
{
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(msgbuf, NFT_MSG_NEWSETELEM, fam, 0, ++seq);
	struct nlattr *list;

	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, table);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set);
	list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
	for (size_t i = 0; i < n; i++) {
		struct nftnl_set_elem *e = nftnl_set_elem_alloc();
		uint32_t k = htonl(els[i].ip);

		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, &k, 4);
		if (els[i].end)
			nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
		if (els[i].chain) {
			nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_VERDICT, (uint32_t)els[i].verdict);
			nftnl_set_elem_set_str(e, NFTNL_SET_ELEM_CHAIN, els[i].chain);
		}
		nftnl_set_elem_nlmsg_build(nlh, e, NFTA_LIST_ELEM);
		nftnl_set_elem_free(e);
	}
	mnl_attr_nest_end(nlh, list);
	feed(nlh);
}

/* ---- flows ------------------------------------------------------------ */

/* A pod on this node (10.244.1.5 via veth1) to a pod at daddr via eth0. */
static struct fw_flow pod_flow(uint32_t daddr)
{
	struct fw_flow f;

	fw_flow_init(&f, IP4(10, 244, 1, 5), daddr, 9750);
	strcpy(f.iifname, "veth1");
	strcpy(f.oifname, "eth0");
	f.iif = 5;
	f.oif = 2;
	return f;
}

static struct fw_result eval(enum fw_hook hook, struct fw_flow f)
{
	struct fw_result r;

	assert_int_equal(fw_eval_hook(rs, &ctx, &f, hook, &r), 0);
	return r;
}

#define assert_result(r, v, tbl, ch, h) do {					\
	assert_string_equal(fw_verdict_name((r).verdict), fw_verdict_name(v));	\
	assert_string_equal((r).table, tbl);					\
	assert_string_equal((r).chain, ch);					\
	assert_int_equal((r).handle, h);					\
} while (0)

/* ---- parsing ---------------------------------------------------------- */

static void test_parse_tables_chains_rules(void **state)
{
	const struct nft_table *t;
	const struct nft_chain *c;

	mk_table(NFPROTO_IPV4, "nat", 0);
	mk_chain(NFPROTO_IPV4, "nat", "POSTROUTING", NF_INET_POST_ROUTING, 100, NF_ACCEPT, "nat");
	mk_chain(NFPROTO_IPV4, "nat", "KIND-MASQ-AGENT", -1, 0, 0, NULL);
	rule_begin(NFPROTO_IPV4, "nat", "KIND-MASQ-AGENT", 7, "hello");
	x_ip_prefix(true, NFT_CMP_EQ, IP4(10, 244, 0, 0), 16);
	x_plain("counter");
	x_verdict(NFT_RETURN, NULL);
	rule_end();

	assert_non_null(t = nft_table_find(rs, NFPROTO_IPV4, "nat"));
	assert_null(nft_table_find(rs, NFPROTO_INET, "nat"));
	assert_int_equal(t->nchains, 2);
	c = nft_chain_find(t, "POSTROUTING");
	assert_true(c->base);
	assert_int_equal(c->hooknum, NF_INET_POST_ROUTING);
	assert_int_equal(c->prio, 100);
	assert_string_equal(c->type, "nat");
	c = nft_chain_find(t, "KIND-MASQ-AGENT");
	assert_false(c->base);
	assert_int_equal(c->nrules, 1);
	assert_int_equal(c->rules[0].handle, 7);
	assert_string_equal(c->rules[0].comment, "hello");
	assert_int_equal(c->rules[0].nexprs, 5);
	assert_int_equal(c->rules[0].exprs[0].kind, NFT_EXPR_PAYLOAD);
	assert_int_equal(c->rules[0].exprs[0].u.payload.offset, 16);
	assert_int_equal(c->rules[0].exprs[1].kind, NFT_EXPR_BITWISE);
	assert_int_equal(c->rules[0].exprs[2].kind, NFT_EXPR_CMP);
	assert_int_equal(c->rules[0].exprs[3].kind, NFT_EXPR_COUNTER);
	assert_int_equal(c->rules[0].exprs[4].kind, NFT_EXPR_IMMEDIATE);
	assert_int_equal(c->rules[0].exprs[4].u.imm.verdict, NFT_RETURN);
	assert_string_equal(nft_family_name(NFPROTO_INET), "inet");
}

static void test_parse_orphans_and_garbage(void **state)
{
	struct nlmsghdr *nlh;
	struct nftnl_chain *c = nftnl_chain_alloc();

	nlh = nftnl_nlmsg_build_hdr(msgbuf, NFT_MSG_NEWCHAIN, NFPROTO_IPV4, 0, 1);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, "nope");
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, "x");
	nftnl_chain_nlmsg_build_payload(nlh, c);
	nftnl_chain_free(c);
	assert_int_equal(nft_ruleset_add_msg(rs, nlh, nlh->nlmsg_len), -ENOENT);
	assert_int_equal(nft_ruleset_add_msg(rs, nlh, nlh->nlmsg_len - 1), -EINVAL);
	assert_int_equal(nft_ruleset_add_msg(NULL, nlh, nlh->nlmsg_len), -EINVAL);
	nft_ruleset_free(NULL);
}

/* The renderer alone (agent/core/fw_fmt.c): no flow, no evaluation; and a
 * buffer too small for the rule gets its start and "...". */
static void test_fmt_rule(void **state)
{
	const struct nft_chain *c;
	char buf[FW_RULE_LEN], small[16];

	mk_table(NFPROTO_INET, "f", 0);
	mk_chain(NFPROTO_INET, "f", "fwd", NF_INET_FORWARD, 0, NF_ACCEPT, "filter");
	rule_begin(NFPROTO_INET, "f", "fwd", 2, "to the pods");
	x_ip_prefix(true, NFT_CMP_NEQ, IP4(10, 244, 0, 0), 16);
	x_plain("counter");
	x_verdict(NFT_JUMP, "pods");
	rule_end();
	c = nft_chain_find(nft_table_find(rs, NFPROTO_INET, "f"), "fwd");
	fw_fmt_rule(nft_table_find(rs, NFPROTO_INET, "f"), &c->rules[0], buf, sizeof(buf));
	assert_string_equal(buf, "ip daddr != 10.244.0.0/16 counter jump pods comment \"to the pods\"");
	fw_fmt_rule(nft_table_find(rs, NFPROTO_INET, "f"), &c->rules[0], small, sizeof(small));
	assert_string_equal(small, "ip daddr != ...");
}

/* Both parsers, on one message: the result both return. */
static int feed_both(const struct nlmsghdr *nlh)
{
	int a = nft_ruleset_add_msg(rs, nlh, nlh->nlmsg_len), b;

	nft_parse_fast = false;
	b = nft_ruleset_add_msg(shadow, nlh, nlh->nlmsg_len);
	nft_parse_fast = true;
	assert_int_equal(a, b);
	return a;
}

static struct nlmsghdr *raw_rule(uint64_t handle)
{
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(msgbuf, NFT_MSG_NEWRULE, NFPROTO_IPV4, 0, ++seq);

	mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, "f");
	mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, "fwd");
	mnl_attr_put_u64(nlh, NFTA_RULE_HANDLE, htobe64(handle));
	return nlh;
}

/*
 * Messages no kernel sends, found by tests/fuzz/fuzz_nft.c: refused as
 * malformed by both parsers alike, where libnftnl would exit() the process
 * (an attribute of the wrong length), strdup() a NULL chain (a goto without
 * one) or its userdata walk read past a truncated comment.
 */
static void test_parse_malformed(void **state)
{
	struct nlmsghdr *nlh;
	struct nlattr *list, *el, *data, *d, *v;

	mk_table(NFPROTO_IPV4, "f", 0);
	mk_chain(NFPROTO_IPV4, "f", "fwd", NF_INET_FORWARD, 0, NF_ACCEPT, "filter");
	nlh = nftnl_nlmsg_build_hdr(msgbuf, NFT_MSG_NEWRULE, NFPROTO_IPV4, 0, ++seq);
	mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, "f");
	mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, "fwd");
	mnl_attr_put(nlh, NFTA_RULE_HANDLE, 3, "\0\0\7");
	assert_int_equal(feed_both(nlh), -EINVAL);

	nlh = raw_rule(5);
	list = mnl_attr_nest_start(nlh, NFTA_RULE_EXPRESSIONS);
	el = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
	mnl_attr_put_strz(nlh, NFTA_EXPR_NAME, "immediate");
	data = mnl_attr_nest_start(nlh, NFTA_EXPR_DATA);
	mnl_attr_put_u32(nlh, NFTA_IMMEDIATE_DREG, htonl(NFT_REG_VERDICT));
	d = mnl_attr_nest_start(nlh, NFTA_IMMEDIATE_DATA);
	v = mnl_attr_nest_start(nlh, NFTA_DATA_VERDICT);
	mnl_attr_put_u32(nlh, NFTA_VERDICT_CODE, htonl((uint32_t)NFT_GOTO));
	mnl_attr_nest_end(nlh, v);
	mnl_attr_nest_end(nlh, d);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, el);
	mnl_attr_nest_end(nlh, list);
	assert_int_equal(feed_both(nlh), -EINVAL);

}

/* More of the same: what libnftnl would exit() or crash on, a truncated
 * comment, keys longer than the kernel allows. */
static void test_parse_malformed_more(void **state)
{
	struct nlmsghdr *nlh;
	struct nlattr *list, *el, *data;
	const struct nft_chain *c;

	mk_table(NFPROTO_IPV4, "f", 0);
	mk_chain(NFPROTO_IPV4, "f", "fwd", NF_INET_FORWARD, 0, NF_ACCEPT, "filter");
	/* Expressions podreach does not read are checked as libnftnl would:
	 * a 2-byte tproxy register made it exit(), a dynset expression
	 * without a name made it crash (tests/fuzz/nftnl_types.c). */
	for (int k = 0; k < 2; k++) {
		nlh = raw_rule(7);
		list = mnl_attr_nest_start(nlh, NFTA_RULE_EXPRESSIONS);
		el = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
		mnl_attr_put_strz(nlh, NFTA_EXPR_NAME, k ? "dynset" : "tproxy");
		data = mnl_attr_nest_start(nlh, NFTA_EXPR_DATA);
		if (k)
			mnl_attr_nest_end(nlh, mnl_attr_nest_start(nlh, NFTA_DYNSET_EXPR));
		else
			mnl_attr_put(nlh, NFTA_TPROXY_REG_ADDR, 2, "\0\1");
		mnl_attr_nest_end(nlh, data);
		mnl_attr_nest_end(nlh, el);
		mnl_attr_nest_end(nlh, list);
		assert_int_equal(feed_both(nlh), -EINVAL);
	}

	/* A comment TLV whose length runs past the userdata: no comment. */
	nlh = raw_rule(6);
	mnl_attr_put(nlh, NFTA_RULE_USERDATA, 4, "\0\100ab");
	assert_int_equal(feed_both(nlh), 0);
	c = nft_chain_find(nft_table_find(rs, NFPROTO_IPV4, "f"), "fwd");
	assert_int_equal(c->nrules, 1);
	assert_null(c->rules[0].comment);

	/* Set keys longer than the kernel's 64 bytes. */
	nlh = nftnl_nlmsg_build_hdr(msgbuf, NFT_MSG_NEWSET, NFPROTO_IPV4, 0, ++seq);
	mnl_attr_put_strz(nlh, NFTA_SET_TABLE, "f");
	mnl_attr_put_strz(nlh, NFTA_SET_NAME, "s");
	mnl_attr_put_u32(nlh, NFTA_SET_KEY_LEN, htonl(200));
	assert_int_equal(feed_both(nlh), -EINVAL);
	assert_null(nft_set_find(nft_table_find(rs, NFPROTO_IPV4, "f"), "s"));
}

/* Elements in the kernel's rbtree dump order (highest first), nft's lone
 * end at 0, an open last range, split over two messages. */
static void test_interval_set_named(void **state)
{
	static const struct el a[] = {
		S(IP4(224, 0, 0, 0)),
		E(IP4(172, 19, 0, 0)), S(IP4(172, 18, 0, 0)),
	};
	static const struct el b[] = {
		E(IP4(10, 245, 0, 0)), S(IP4(10, 244, 0, 0)),
		E(0),
	};
	const struct nft_set *s;

	mk_table(NFPROTO_INET, "t", 0);
	mk_set(NFPROTO_INET, "t", "s", NFT_SET_INTERVAL, 4, 0);
	mk_elems(NFPROTO_INET, "t", "s", a, 3);
	mk_elems(NFPROTO_INET, "t", "s", b, 3);
	s = nft_set_find(nft_table_find(rs, NFPROTO_INET, "t"), "s");
	assert_non_null(s);
	assert_int_equal(s->nelems, 6);
	assert_int_equal(s->nranges, 3);
	assert_memory_equal(s->ranges[0].lo.b, "\x0a\xf4\x00\x00", 4);
	assert_memory_equal(s->ranges[0].hi.b, "\x0a\xf4\xff\xff", 4);
	assert_memory_equal(s->ranges[1].lo.b, "\xac\x12\x00\x00", 4);
	assert_memory_equal(s->ranges[1].hi.b, "\xac\x12\xff\xff", 4);
	assert_memory_equal(s->ranges[2].lo.b, "\xe0\x00\x00\x00", 4);
	assert_memory_equal(s->ranges[2].hi.b, "\xff\xff\xff\xff", 4);
}

/* A rule with an expression libnftnl does not know still arrives, whole
 * and unknown, naming its table, chain and handle. */
static void test_unknown_expression_fallback(void **state)
{
	struct nlmsghdr *nlh;
	struct nlattr *list, *el;
	struct fw_result r;
	const struct nft_chain *c;

	mk_table(NFPROTO_IPV4, "filter", 0);
	mk_chain(NFPROTO_IPV4, "filter", "FORWARD", NF_INET_FORWARD, 0, NF_ACCEPT, "filter");
	nlh = nftnl_nlmsg_build_hdr(msgbuf, NFT_MSG_NEWRULE, NFPROTO_IPV4, 0, 9);
	mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, "filter");
	mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, "FORWARD");
	mnl_attr_put_u64(nlh, NFTA_RULE_HANDLE, htobe64(42));
	list = mnl_attr_nest_start(nlh, NFTA_RULE_EXPRESSIONS);
	el = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
	mnl_attr_put_strz(nlh, NFTA_EXPR_NAME, "frobnicate");
	mnl_attr_nest_end(nlh, el);
	mnl_attr_nest_end(nlh, list);
	feed(nlh);

	c = nft_chain_find(nft_table_find(rs, NFPROTO_IPV4, "filter"), "FORWARD");
	assert_int_equal(c->nrules, 1);
	assert_true(c->rules[0].partial);
	assert_string_equal(c->rules[0].exprs[0].name, "frobnicate");
	r = eval(FW_HOOK_FORWARD, pod_flow(IP4(10, 245, 0, 7)));
	assert_result(r, FW_UNKNOWN, "ip filter", "FORWARD", 42);
	assert_string_equal(r.rule, "[frobnicate]");
	assert_non_null(strstr(r.reason, "frobnicate"));
}

/* An expression libnftnl knows but fw does not model. */
static void test_unknown_known_expression(void **state)
{
	struct fw_result r;

	mk_table(NFPROTO_IPV4, "filter", 0);
	mk_chain(NFPROTO_IPV4, "filter", "FORWARD", NF_INET_FORWARD, 0, NF_ACCEPT, "filter");
	rule_begin(NFPROTO_IPV4, "filter", "FORWARD", 3, NULL);
	x_plain("quota");
	x_verdict(NF_DROP, NULL);
	rule_end();
	r = eval(FW_HOOK_FORWARD, pod_flow(IP4(10, 245, 0, 7)));
	assert_result(r, FW_UNKNOWN, "ip filter", "FORWARD", 3);

	/* A packet byte it does not model (the TTL) is unknown too. */
	teardown(NULL);
	setup(NULL);
	mk_table(NFPROTO_IPV4, "filter", 0);
	mk_chain(NFPROTO_IPV4, "filter", "FORWARD", NF_INET_FORWARD, 0, NF_ACCEPT, "filter");
	rule_begin(NFPROTO_IPV4, "filter", "FORWARD", 4, NULL);
	x_payload(NFT_PAYLOAD_NETWORK_HEADER, 8, 1);
	x_cmp_u8(NFT_CMP_LT, 2);
	x_verdict(NF_DROP, NULL);
	rule_end();
	r = eval(FW_HOOK_FORWARD, pod_flow(IP4(10, 245, 0, 7)));
	assert_result(r, FW_UNKNOWN, "ip filter", "FORWARD", 4);
}

/* ---- kindnet ---------------------------------------------------------- */

/* iptables-nft's kind-masq-agent: POSTROUTING -m addrtype ! --dst-type
 * LOCAL -j KIND-MASQ-AGENT; -d 10.244.0.0/16 -j RETURN; -j MASQUERADE.
 * compat: as iptables-nft 1.8.9 writes it (xt addrtype, xt comment, a
 * 2-byte daddr load, xt MASQUERADE); else the native form newer ones use
 * (fib, userdata comments, payload+bitwise+cmp, masq). */
static const char kc1[] = "kind-masq-agent: ensure nat POSTROUTING directs all "
			  "non-LOCAL destination traffic to our custom KIND-MASQ-AGENT chain";
static const char kc2[] = "kind-masq-agent: local traffic is not subject to MASQUERADE";
static const char kc3[] = "kind-masq-agent: outbound traffic is subject to "
			  "MASQUERADE (must be last in chain)";

static void x_xt_comment(const char *text)
{
	char info[256] = { 0 };

	snprintf(info, sizeof(info), "%s", text);
	x_xt(true, "comment", 0, info, sizeof(info));
}

static void kindnet_iptables(bool compat)
{
	struct xt_addrtype_info_v1 at = { .dest = XT_ADDRTYPE_LOCAL,
					  .flags = XT_ADDRTYPE_INVERT_DEST };
	uint8_t masq_info[56] = { 0 };

	mk_table(NFPROTO_IPV4, "nat", 0);
	mk_chain(NFPROTO_IPV4, "nat", "KIND-MASQ-AGENT", -1, 0, 0, NULL);
	mk_chain(NFPROTO_IPV4, "nat", "POSTROUTING", NF_INET_POST_ROUTING, 100, NF_ACCEPT, "nat");
	rule_begin(NFPROTO_IPV4, "nat", "POSTROUTING", 3, compat ? NULL : kc1);
	if (compat) {
		x_xt(true, "addrtype", 1, &at, sizeof(at));
		x_xt_comment(kc1);
	} else {
		x_fib_daddr_type();
		x_cmp_u32(NFT_CMP_NEQ, RTN_LOCAL);
	}
	x_plain("counter");
	x_verdict(NFT_JUMP, "KIND-MASQ-AGENT");
	rule_end();
	rule_begin(NFPROTO_IPV4, "nat", "KIND-MASQ-AGENT", 4, compat ? NULL : kc2);
	if (compat) {
		x_payload(NFT_PAYLOAD_NETWORK_HEADER, 16, 2);
		x_cmp(NFT_CMP_EQ, "\x0a\xf4", 2);
		x_xt_comment(kc2);
	} else {
		x_ip_prefix(true, NFT_CMP_EQ, IP4(10, 244, 0, 0), 16);
	}
	x_plain("counter");
	x_verdict(NFT_RETURN, NULL);
	rule_end();
	rule_begin(NFPROTO_IPV4, "nat", "KIND-MASQ-AGENT", 5, compat ? NULL : kc3);
	if (compat)
		x_xt_comment(kc3);
	x_plain("counter");
	if (compat)
		x_xt(false, "MASQUERADE", 0, masq_info, sizeof(masq_info));
	else
		x_plain("masq");
	rule_end();
}

static void check_kindnet_iptables(bool compat)
{
	char want[FW_RULE_LEN];
	struct fw_result r;

	kindnet_iptables(compat);
	/* Another cluster's pod: masqueraded, the cross-cluster breakage. */
	r = eval(FW_HOOK_POSTROUTING, pod_flow(IP4(10, 245, 0, 7)));
	assert_result(r, FW_MASQUERADE, "ip nat", "KIND-MASQ-AGENT", 5);
	if (compat)
		snprintf(want, sizeof(want), "comment \"%s\" counter xt target \"MASQUERADE\"", kc3);
	else
		snprintf(want, sizeof(want), "counter masquerade comment \"%s\"", kc3);
	assert_string_equal(r.rule, want);
	/* Its own cluster: returned, so accepted by the policy. */
	r = eval(FW_HOOK_POSTROUTING, pod_flow(IP4(10, 244, 2, 3)));
	assert_result(r, FW_ACCEPT, "ip nat", "KIND-MASQ-AGENT", 4);
	if (compat)
		snprintf(want, sizeof(want), "ip daddr 10.244.0.0/16 comment \"%s\" counter return", kc2);
	else
		snprintf(want, sizeof(want), "ip daddr 10.244.0.0/16 counter return comment \"%s\"", kc2);
	assert_string_equal(r.rule, want);
	/* To the node itself: local, no jump, the policy accepts. */
	r = eval(FW_HOOK_POSTROUTING, pod_flow(IP4(172, 18, 0, 2)));
	assert_result(r, FW_ACCEPT, "ip nat", "POSTROUTING", 0);
	assert_string_equal(r.rule, "policy accept");
	/* The node's own probe to a remote pod leaves masqueraded too. */
	{
		struct fw_result out[2];
		struct fw_flow f;

		fw_flow_init(&f, IP4(172, 18, 0, 2), IP4(10, 245, 0, 7), 9750);
		strcpy(f.oifname, "eth0");
		f.oif = 2;
		assert_int_equal(fw_eval_local(rs, &ctx, &f, out), 2);
		assert_result(out[0], FW_ACCEPT, "", "", 0);
		assert_result(out[1], FW_MASQUERADE, "ip nat", "KIND-MASQ-AGENT", 5);
	}
	/* Forward has no chain at all. */
	r = eval(FW_HOOK_FORWARD, pod_flow(IP4(10, 245, 0, 7)));
	assert_result(r, FW_ACCEPT, "", "", 0);
}

static void test_kindnet_iptables_native(void **state)
{
	check_kindnet_iptables(false);
}

static void test_kindnet_iptables_compat(void **state)
{
	check_kindnet_iptables(true);
}

/* Standalone kindnet: table inet kindnet-ipmasq, noMasqV4 interval set,
 * postrouting at srcnat - 10.  ret: the `return` variant of the rule. */
static void kindnet_ipmasq(bool ret)
{
	static const struct el cidrs[] = {
		E(0),
		S(IP4(10, 244, 0, 0)), E(IP4(10, 245, 0, 0)),
		S(IP4(172, 18, 0, 0)), E(IP4(172, 19, 0, 0)),
	};
	uint8_t v4 = NFPROTO_IPV4, v6 = NFPROTO_IPV6;

	mk_table(NFPROTO_INET, "kindnet-ipmasq", 0);
	mk_set(NFPROTO_INET, "kindnet-ipmasq", "noMasqV4", NFT_SET_INTERVAL, 4, 0);
	mk_elems(NFPROTO_INET, "kindnet-ipmasq", "noMasqV4", cidrs, 5);
	mk_chain(NFPROTO_INET, "kindnet-ipmasq", "postrouting", NF_INET_POST_ROUTING, 90,
		 NF_ACCEPT, "nat");
	rule_begin(NFPROTO_INET, "kindnet-ipmasq", "postrouting", 3, NULL);
	x_ct_est_rel();
	x_verdict(NF_ACCEPT, NULL);
	rule_end();
	rule_begin(NFPROTO_INET, "kindnet-ipmasq", "postrouting", 4, NULL);
	x_fib_daddr_type();
	x_cmp_u32(NFT_CMP_EQ, RTN_LOCAL);
	x_verdict(NF_ACCEPT, NULL);
	rule_end();
	rule_begin(NFPROTO_INET, "kindnet-ipmasq", "postrouting", 5, NULL);
	x_meta(NFT_META_NFPROTO);
	x_cmp(NFT_CMP_EQ, &v4, 1);
	x_payload(NFT_PAYLOAD_NETWORK_HEADER, 16, 4);
	x_lookup("noMasqV4", 0);
	x_verdict(ret ? NFT_RETURN : NF_ACCEPT, NULL);
	rule_end();
	rule_begin(NFPROTO_INET, "kindnet-ipmasq", "postrouting", 6, NULL);
	x_meta(NFT_META_NFPROTO);
	x_cmp(NFT_CMP_EQ, &v6, 1);
	x_verdict(NF_ACCEPT, NULL);
	rule_end();
	rule_begin(NFPROTO_INET, "kindnet-ipmasq", "postrouting", 7, NULL);
	x_plain("masq");
	x_plain("counter");
	rule_end();
}

static void check_kindnet_ipmasq(bool ret)
{
	struct fw_result r;
	struct fw_flow f;

	kindnet_ipmasq(ret);
	r = eval(FW_HOOK_POSTROUTING, pod_flow(IP4(10, 246, 0, 7)));
	assert_result(r, FW_MASQUERADE, "inet kindnet-ipmasq", "postrouting", 7);
	assert_string_equal(r.rule, "masquerade counter");
	r = eval(FW_HOOK_POSTROUTING, pod_flow(IP4(10, 244, 9, 9)));
	assert_result(r, FW_ACCEPT, "inet kindnet-ipmasq", "postrouting", 5);
	assert_string_equal(r.rule, ret ? "ip daddr @noMasqV4 return"
					: "ip daddr @noMasqV4 accept");
	r = eval(FW_HOOK_POSTROUTING, pod_flow(IP4(172, 18, 0, 9)));
	assert_int_equal(r.handle, 5);
	r = eval(FW_HOOK_POSTROUTING, pod_flow(IP4(172, 18, 0, 2)));
	assert_result(r, FW_ACCEPT, "inet kindnet-ipmasq", "postrouting", 4);
	assert_string_equal(r.rule, "fib daddr type local accept");
	/* An established flow never reaches NAT chains at all. */
	f = pod_flow(IP4(10, 246, 0, 7));
	f.ctstate = FW_CT_ESTABLISHED;
	r = eval(FW_HOOK_POSTROUTING, f);
	assert_result(r, FW_ACCEPT, "", "", 0);
}

static void test_kindnet_ipmasq_accept(void **state)
{
	check_kindnet_ipmasq(false);
}

static void test_kindnet_ipmasq_return(void **state)
{
	check_kindnet_ipmasq(true);
}

/* ---- control flow ----------------------------------------------------- */

/* base: jump A, then drop.  A: goto B, then accept (skipped).  B: return.
 * The return pops to base past the jump (goto pushed nothing). */
static void test_jump_goto_return(void **state)
{
	struct fw_result r;

	mk_table(NFPROTO_IPV4, "f", 0);
	mk_chain(NFPROTO_IPV4, "f", "fwd", NF_INET_FORWARD, 0, NF_ACCEPT, "filter");
	mk_chain(NFPROTO_IPV4, "f", "A", -1, 0, 0, NULL);
	mk_chain(NFPROTO_IPV4, "f", "B", -1, 0, 0, NULL);
	rule_begin(NFPROTO_IPV4, "f", "fwd", 10, NULL);
	x_verdict(NFT_JUMP, "A");
	rule_end();
	rule_begin(NFPROTO_IPV4, "f", "fwd", 11, NULL);
	x_plain("counter");
	x_verdict(NF_DROP, NULL);
	rule_end();
	rule_begin(NFPROTO_IPV4, "f", "A", 12, NULL);
	x_verdict(NFT_GOTO, "B");
	rule_end();
	rule_begin(NFPROTO_IPV4, "f", "A", 13, NULL);
	x_verdict(NF_ACCEPT, NULL);
	rule_end();
	rule_begin(NFPROTO_IPV4, "f", "B", 14, NULL);
	x_verdict(NFT_CONTINUE, NULL);
	x_verdict(NFT_RETURN, NULL);
	rule_end();
	rule_begin(NFPROTO_IPV4, "f", "B", 15, NULL);
	x_verdict(NF_ACCEPT, NULL);
	rule_end();
	r = eval(FW_HOOK_FORWARD, pod_flow(IP4(10, 245, 0, 7)));
	assert_result(r, FW_DROP, "ip f", "fwd", 11);
	assert_string_equal(r.rule, "counter drop");
}

/* A chain that jumps to itself runs out of stack: unknown, not a loop. */
static void test_jump_depth(void **state)
{
	struct fw_result r;

	mk_table(NFPROTO_IPV4, "f", 0);
	mk_chain(NFPROTO_IPV4, "f", "fwd", NF_INET_FORWARD, 0, NF_ACCEPT, "filter");
	mk_chain(NFPROTO_IPV4, "f", "loop", -1, 0, 0, NULL);
	rule_begin(NFPROTO_IPV4, "f", "fwd", 2, NULL);
	x_verdict(NFT_JUMP, "loop");
	rule_end();
	rule_begin(NFPROTO_IPV4, "f", "loop", 3, NULL);
	x_verdict(NFT_JUMP, "loop");
	rule_end();
	r = eval(FW_HOOK_FORWARD, pod_flow(IP4(10, 245, 0, 7)));
	assert_result(r, FW_UNKNOWN, "ip f", "loop", 3);
	assert_non_null(strstr(r.reason, "16"));
}

/* A goto cycle (the kernel refuses one; a hand-built ruleset need not) ends
 * as unknown naming the loop instead of running forever.  The alarm turns
 * the endless loop this guards against into a failure, not a hang. */
static void test_goto_loop(void **state)
{
	struct fw_result r;

	alarm(20);
	mk_table(NFPROTO_IPV4, "f", 0);
	mk_chain(NFPROTO_IPV4, "f", "fwd", NF_INET_FORWARD, 0, NF_ACCEPT, "filter");
	mk_chain(NFPROTO_IPV4, "f", "ping", -1, 0, 0, NULL);
	mk_chain(NFPROTO_IPV4, "f", "pong", -1, 0, 0, NULL);
	rule_begin(NFPROTO_IPV4, "f", "fwd", 2, NULL);
	x_verdict(NFT_JUMP, "ping");
	rule_end();
	rule_begin(NFPROTO_IPV4, "f", "ping", 3, NULL);
	x_plain("counter");
	x_verdict(NFT_GOTO, "pong");
	rule_end();
	rule_begin(NFPROTO_IPV4, "f", "pong", 4, NULL);
	x_verdict(NFT_GOTO, "ping");
	rule_end();
	r = eval(FW_HOOK_FORWARD, pod_flow(IP4(10, 245, 0, 7)));
	alarm(0);
	assert_string_equal(fw_verdict_name(r.verdict), "unknown");
	assert_string_equal(r.table, "ip f");
	assert_true(r.handle == 3 || r.handle == 4);
	assert_non_null(strstr(r.reason, "loop"));
	assert_non_null(strstr(r.reason, "ping"));
	assert_non_null(strstr(r.reason, "pong"));
	print_message("  %s\n", r.reason);
}

/* A goto loop through a long chain ends at the bound on rules evaluated,
 * before the one on chains entered, and is named all the same. */
static void test_goto_loop_long_chain(void **state)
{
	struct fw_result r;

	alarm(60);
	mk_table(NFPROTO_IPV4, "f", 0);
	mk_chain(NFPROTO_IPV4, "f", "fwd", NF_INET_FORWARD, 0, NF_ACCEPT, "filter");
	mk_chain(NFPROTO_IPV4, "f", "big", -1, 0, 0, NULL);
	rule_begin(NFPROTO_IPV4, "f", "fwd", 2, NULL);
	x_verdict(NFT_JUMP, "big");
	rule_end();
	for (uint64_t h = 3; h < 3 + 70; h++) {
		rule_begin(NFPROTO_IPV4, "f", "big", h, NULL);
		x_plain("counter");
		rule_end();
	}
	rule_begin(NFPROTO_IPV4, "f", "big", 100, NULL);
	x_verdict(NFT_GOTO, "big");
	rule_end();
	r = eval(FW_HOOK_FORWARD, pod_flow(IP4(10, 245, 0, 7)));
	alarm(0);
	assert_string_equal(fw_verdict_name(r.verdict), "unknown");
	assert_string_equal(r.chain, "big");
	assert_string_equal(r.reason, "loop of over 2^20 rules: big -> big");
}

/* A rule loading into a register that does not exist (99) is unknown, and
 * rendering it for the report does not dereference a missing register. */
static void test_invalid_register(void **state)
{
	struct nftnl_expr *e;
	struct fw_result r;

	mk_table(NFPROTO_IPV4, "f", 0);
	mk_chain(NFPROTO_IPV4, "f", "fwd", NF_INET_FORWARD, 0, NF_ACCEPT, "filter");
	rule_begin(NFPROTO_IPV4, "f", "fwd", 2, NULL);
	e = x_new("payload");
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, 99);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_NETWORK_HEADER);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, 16);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, 2);
	e = x_new("cmp");
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, 99);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, "\x0a\xf5", 2);
	x_verdict(NF_DROP, NULL);
	rule_end();
	r = eval(FW_HOOK_FORWARD, pod_flow(IP4(10, 245, 0, 7)));
	assert_result(r, FW_UNKNOWN, "ip f", "fwd", 2);
	assert_non_null(strstr(r.rule, "drop"));
	print_message("  %s: %s\n", r.rule, r.reason);
}

static void test_policy_drop(void **state)
{
	struct fw_result r;

	mk_table(NFPROTO_INET, "f", 0);
	mk_chain(NFPROTO_INET, "f", "forward", NF_INET_FORWARD, 0, NF_DROP, "filter");
	rule_begin(NFPROTO_INET, "f", "forward", 2, NULL);
	x_ip_prefix(false, NFT_CMP_EQ, IP4(192, 168, 0, 0), 16);
	x_verdict(NF_ACCEPT, NULL);
	rule_end();
	r = eval(FW_HOOK_FORWARD, pod_flow(IP4(10, 245, 0, 7)));
	assert_result(r, FW_DROP, "inet f", "forward", 0);
	assert_string_equal(r.rule, "policy drop");

	rule_begin(NFPROTO_INET, "f", "forward", 3, NULL);
	x_verdict(NFT_RETURN, NULL);
	rule_end();
	r = eval(FW_HOOK_FORWARD, pod_flow(IP4(10, 245, 0, 7)));
	assert_result(r, FW_DROP, "inet f", "forward", 3);
	assert_string_equal(r.rule, "return (then policy drop)");
}

/* Base chains of one hook across tables by priority: an accept ends only
 * its chain; a later chain still drops.  ip6 and dormant tables never run. */
static void test_priority_order(void **state)
{
	struct fw_result r;
	struct fw_result out[3];
	struct fw_flow f = pod_flow(IP4(10, 245, 0, 7));

	mk_table(NFPROTO_IPV4, "late", 0);
	mk_chain(NFPROTO_IPV4, "late", "fwd", NF_INET_FORWARD, 10, NF_ACCEPT, "filter");
	rule_begin(NFPROTO_IPV4, "late", "fwd", 2, NULL);
	x_meta(NFT_META_L4PROTO);
	x_cmp_u8(NFT_CMP_EQ, IPPROTO_TCP);
	x_verdict(NF_DROP, NULL);
	rule_end();
	mk_table(NFPROTO_INET, "early", 0);
	mk_chain(NFPROTO_INET, "early", "fwd", NF_INET_FORWARD, -10, NF_ACCEPT, "filter");
	rule_begin(NFPROTO_INET, "early", "fwd", 2, NULL);
	x_verdict(NF_ACCEPT, NULL);
	rule_end();
	mk_table(NFPROTO_IPV6, "v6", 0);
	mk_chain(NFPROTO_IPV6, "v6", "fwd", NF_INET_FORWARD, -100, NF_DROP, "filter");
	mk_table(NFPROTO_IPV4, "sleepy", NFT_TABLE_F_DORMANT);
	mk_chain(NFPROTO_IPV4, "sleepy", "fwd", NF_INET_FORWARD, -200, NF_DROP, "filter");

	r = eval(FW_HOOK_FORWARD, f);
	assert_result(r, FW_DROP, "ip late", "fwd", 2);
	assert_string_equal(r.rule, "meta l4proto tcp drop");
	/* The whole forwarded path stops at the drop. */
	assert_int_equal(fw_eval_forward(rs, &ctx, &f, out), 2);
	assert_int_equal(out[0].hook, FW_HOOK_PREROUTING);
	assert_int_equal(out[0].verdict, FW_ACCEPT);
	assert_int_equal(out[1].verdict, FW_DROP);
	assert_string_equal(fw_hook_name(out[1].hook), "forward");
}

/* The NAT core runs nat chains at its own priority, by theirs, and stops
 * at the first binding; a filter chain at postrouting still runs after. */
static void test_nat_first_binding(void **state)
{
	struct fw_result r;

	mk_table(NFPROTO_IPV4, "a", 0);
	mk_chain(NFPROTO_IPV4, "a", "post", NF_INET_POST_ROUTING, 100, NF_ACCEPT, "nat");
	rule_begin(NFPROTO_IPV4, "a", "post", 2, NULL);
	x_verdict(NF_DROP, NULL);
	rule_end();
	mk_table(NFPROTO_INET, "b", 0);
	mk_chain(NFPROTO_INET, "b", "post", NF_INET_POST_ROUTING, 50, NF_ACCEPT, "nat");
	rule_begin(NFPROTO_INET, "b", "post", 2, NULL);
	x_plain("masq");
	rule_end();
	mk_chain(NFPROTO_INET, "b", "filt", NF_INET_POST_ROUTING, 300, NF_ACCEPT, "filter");
	rule_begin(NFPROTO_INET, "b", "filt", 3, NULL);
	x_verdict(NF_ACCEPT, NULL);
	rule_end();
	r = eval(FW_HOOK_POSTROUTING, pod_flow(IP4(10, 245, 0, 7)));
	assert_result(r, FW_MASQUERADE, "inet b", "post", 2);
	assert_string_equal(r.rule, "masquerade");

	/* A filter chain before the NAT core (priority 0 < 100) drops first. */
	mk_chain(NFPROTO_INET, "b", "early", NF_INET_POST_ROUTING, 0, NF_ACCEPT, "filter");
	rule_begin(NFPROTO_INET, "b", "early", 4, NULL);
	x_plain("reject");
	rule_end();
	r = eval(FW_HOOK_POSTROUTING, pod_flow(IP4(10, 245, 0, 7)));
	assert_result(r, FW_REJECT, "inet b", "early", 4);
	assert_string_equal(r.rule, "reject");
}

/* ---- expressions ------------------------------------------------------ */

static void one_rule_chain(int hook, const char *type)
{
	mk_table(NFPROTO_INET, "t", 0);
	mk_chain(NFPROTO_INET, "t", "c", hook, 0, NF_ACCEPT, type);
}

static struct fw_result one(int hook, struct fw_flow f)
{
	return eval((enum fw_hook)hook, f);
}

/* meta mark > 0x10, as nft writes it: byteorder to network order, then a
 * memcmp "gt"; without the byteorder 0x100 would compare below 0x10. */
static void test_cmp_byteorder(void **state)
{
	uint32_t ten = htonl(0x10);
	struct fw_result r;
	struct fw_flow f = pod_flow(IP4(10, 245, 0, 7));
	struct nftnl_expr *e;

	one_rule_chain(NF_INET_FORWARD, "filter");
	rule_begin(NFPROTO_INET, "t", "c", 2, NULL);
	x_meta(NFT_META_MARK);
	e = x_new("byteorder");
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_OP, NFT_BYTEORDER_HTON);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_LEN, 4);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SIZE, 4);
	x_cmp(NFT_CMP_GT, &ten, 4);
	x_verdict(NF_DROP, NULL);
	rule_end();
	f.mark = 0x100;
	r = one(NF_INET_FORWARD, f);
	assert_result(r, FW_DROP, "inet t", "c", 2);
	f.mark = 0x10;
	r = one(NF_INET_FORWARD, f);
	assert_result(r, FW_ACCEPT, "inet t", "c", 0);
}

/* A flow that is not TCP has no modelled transport header. */
static void test_not_tcp(void **state)
{
	struct fw_result r;
	struct fw_flow f = pod_flow(IP4(10, 245, 0, 7));

	one_rule_chain(NF_INET_FORWARD, "filter");
	rule_begin(NFPROTO_INET, "t", "c", 2, NULL);
	x_payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
	x_cmp(NFT_CMP_EQ, "\x00\x35", 2);
	x_verdict(NF_DROP, NULL);
	rule_end();
	f.l4proto = IPPROTO_UDP;
	r = one(NF_INET_FORWARD, f);
	assert_result(r, FW_UNKNOWN, "inet t", "c", 2);
	assert_string_equal(r.rule, "th dport 53 drop");
}

static void test_range_rendering(void **state)
{
	uint16_t lo = htons(9000), hi = htons(9999);
	struct fw_result r;
	struct nftnl_expr *e;

	one_rule_chain(NF_INET_FORWARD, "filter");
	rule_begin(NFPROTO_INET, "t", "c", 3, NULL);
	x_meta(NFT_META_L4PROTO);
	x_cmp_u8(NFT_CMP_EQ, IPPROTO_TCP);
	x_payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
	e = x_new("range");
	nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_OP, NFT_RANGE_EQ);
	nftnl_expr_set(e, NFTNL_EXPR_RANGE_FROM_DATA, &lo, 2);
	nftnl_expr_set(e, NFTNL_EXPR_RANGE_TO_DATA, &hi, 2);
	x_plain("reject");
	rule_end();
	r = one(NF_INET_FORWARD, pod_flow(IP4(10, 245, 0, 7)));
	assert_result(r, FW_REJECT, "inet t", "c", 3);
	assert_string_equal(r.rule, "tcp dport 9000-9999 reject");
}

/* Anonymous interval set, plain and inverted (NFT_LOOKUP_F_INV). */
static void test_anonymous_set_lookup(void **state)
{
	static const struct el e[] = {
		E(0), S(IP4(10, 0, 0, 0)), E(IP4(11, 0, 0, 0)),
		S(IP4(192, 168, 1, 1)), E(IP4(192, 168, 1, 2)),
	};
	struct fw_result r;

	one_rule_chain(NF_INET_FORWARD, "filter");
	mk_set(NFPROTO_INET, "t", "__set0", NFT_SET_ANONYMOUS | NFT_SET_CONSTANT |
	       NFT_SET_INTERVAL, 4, 0);
	mk_elems(NFPROTO_INET, "t", "__set0", e, 5);
	rule_begin(NFPROTO_INET, "t", "c", 2, NULL);
	x_payload(NFT_PAYLOAD_NETWORK_HEADER, 16, 4);
	x_lookup("__set0", NFT_LOOKUP_F_INV);
	x_verdict(NF_DROP, NULL);
	rule_end();
	rule_begin(NFPROTO_INET, "t", "c", 3, NULL);
	x_payload(NFT_PAYLOAD_NETWORK_HEADER, 16, 4);
	x_lookup("__set0", 0);
	x_plain("counter");
	x_verdict(NF_ACCEPT, NULL);
	rule_end();
	r = one(NF_INET_FORWARD, pod_flow(IP4(10, 245, 0, 7)));
	assert_result(r, FW_ACCEPT, "inet t", "c", 3);
	assert_string_equal(r.rule, "ip daddr { 10.0.0.0/8, 192.168.1.1 } counter accept");
	r = one(NF_INET_FORWARD, pod_flow(IP4(192, 168, 1, 2)));
	assert_result(r, FW_DROP, "inet t", "c", 2);
	assert_string_equal(r.rule, "ip daddr != { 10.0.0.0/8, 192.168.1.1 } drop");
}

/* ip daddr vmap { 10.245.0.0/16 : jump remote }. */
static void test_verdict_map(void **state)
{
	static const struct el e[] = {
		E(0),
		{ .ip = IP4(10, 245, 0, 0), .verdict = NFT_JUMP, .chain = "remote" },
		E(IP4(10, 246, 0, 0)),
	};
	struct fw_result r;
	struct nftnl_expr *x;

	one_rule_chain(NF_INET_FORWARD, "filter");
	mk_chain(NFPROTO_INET, "t", "remote", -1, 0, 0, NULL);
	mk_set(NFPROTO_INET, "t", "__map0", NFT_SET_ANONYMOUS | NFT_SET_CONSTANT |
	       NFT_SET_INTERVAL | NFT_SET_MAP, 4, NFT_DATA_VERDICT);
	mk_elems(NFPROTO_INET, "t", "__map0", e, 3);
	rule_begin(NFPROTO_INET, "t", "c", 2, NULL);
	x_payload(NFT_PAYLOAD_NETWORK_HEADER, 16, 4);
	x = x_new("lookup");
	nftnl_expr_set_u32(x, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(x, NFTNL_EXPR_LOOKUP_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_str(x, NFTNL_EXPR_LOOKUP_SET, "__map0");
	rule_end();
	rule_begin(NFPROTO_INET, "t", "remote", 3, NULL);
	x_plain("reject");
	rule_end();
	r = one(NF_INET_FORWARD, pod_flow(IP4(10, 245, 0, 7)));
	assert_result(r, FW_REJECT, "inet t", "remote", 3);
	r = one(NF_INET_FORWARD, pod_flow(IP4(10, 246, 0, 7)));
	assert_result(r, FW_ACCEPT, "inet t", "c", 0);
}

static void test_meta_ifnames(void **state)
{
	char veth[4] = "veth", eth0[IFNAMSIZ] = "eth0";
	struct fw_result r;
	struct fw_flow f = pod_flow(IP4(10, 245, 0, 7));

	one_rule_chain(NF_INET_FORWARD, "filter");
	rule_begin(NFPROTO_INET, "t", "c", 2, NULL);
	x_meta(NFT_META_IIFNAME);
	x_cmp(NFT_CMP_EQ, veth, 4);		/* iifname "veth*" */
	x_meta(NFT_META_OIFNAME);
	x_cmp(NFT_CMP_EQ, eth0, IFNAMSIZ);
	x_meta(NFT_META_PROTOCOL);
	x_cmp(NFT_CMP_EQ, "\x08\x00", 2);
	x_verdict(NF_DROP, NULL);
	rule_end();
	r = one(NF_INET_FORWARD, f);
	assert_result(r, FW_DROP, "inet t", "c", 2);
	assert_string_equal(r.rule, "iifname \"veth*\" oifname \"eth0\" meta protocol ip drop");
	strcpy(f.iifname, "cni0");
	r = one(NF_INET_FORWARD, f);
	assert_int_equal(r.verdict, FW_ACCEPT);
	f.iifname[0] = '\0';			/* the caller does not know: unknown */
	r = one(NF_INET_FORWARD, f);
	assert_result(r, FW_UNKNOWN, "inet t", "c", 2);
}

/* oifname in prerouting is "" (no device yet), as the kernel stores it. */
static void test_meta_no_device(void **state)
{
	char empty[IFNAMSIZ] = { 0 };
	struct fw_result r;

	one_rule_chain(NF_INET_PRE_ROUTING, "filter");
	rule_begin(NFPROTO_INET, "t", "c", 2, NULL);
	x_meta(NFT_META_OIFNAME);
	x_cmp(NFT_CMP_EQ, empty, IFNAMSIZ);
	x_verdict(NF_DROP, NULL);
	rule_end();
	r = one(NF_INET_PRE_ROUTING, pod_flow(IP4(10, 245, 0, 7)));
	assert_result(r, FW_DROP, "inet t", "c", 2);
}

/* meta mark & 0x4000 == 0 return; meta mark set 0x4000 via xt MARK. */
static void test_mark(void **state)
{
	uint32_t mask = 0x4000, zero = 0;
	struct xt_mark_mtinfo1 mi = { .mark = 0x4000, .mask = 0x4000 };
	struct xt_mark_tginfo2 ti = { .mark = 0x4000, .mask = 0 };
	struct fw_result r;

	one_rule_chain(NF_INET_POST_ROUTING, "filter");
	rule_begin(NFPROTO_INET, "t", "c", 2, NULL);
	x_xt(false, "MARK", 2, &ti, sizeof(ti));
	rule_end();
	rule_begin(NFPROTO_INET, "t", "c", 3, NULL);
	x_meta(NFT_META_MARK);
	x_bitwise(&mask, &zero, 4);
	x_cmp_u32(NFT_CMP_EQ, 0);
	x_verdict(NFT_RETURN, NULL);
	rule_end();
	rule_begin(NFPROTO_INET, "t", "c", 4, NULL);
	x_xt(true, "mark", 1, &mi, sizeof(mi));
	x_verdict(NF_DROP, NULL);
	rule_end();
	r = one(NF_INET_POST_ROUTING, pod_flow(IP4(10, 245, 0, 7)));
	assert_result(r, FW_DROP, "inet t", "c", 4);
	assert_string_equal(r.rule, "meta mark & 0x00004000 == 0x00004000 drop");
}

/* The mark rules kube-proxy writes through iptables-nft, and nft's own
 * masked mark, spelled as `nft list ruleset` prints them: a mark is a
 * host-order u32, its mask too; "==" is written after a mask. */
static void test_mark_text(void **state)
{
	uint32_t mask = 0x4000, zero = 0;
	struct xt_mark_tginfo2 drop = { .mark = 0x8000, .mask = 0x8000 };
	struct xt_mark_tginfo2 flip = { .mark = 0x4000, .mask = 0 };
	const struct nft_table *t;
	const struct nft_chain *c;
	char buf[FW_RULE_LEN];
	struct fw_result r;
	struct fw_flow f = pod_flow(IP4(10, 245, 0, 7));

	one_rule_chain(NF_INET_FORWARD, "filter");
	rule_begin(NFPROTO_INET, "t", "c", 2, NULL);
	x_plain("counter");
	x_xt(false, "MARK", 2, &drop, sizeof(drop));
	rule_end();
	rule_begin(NFPROTO_INET, "t", "c", 3, NULL);
	x_xt(false, "MARK", 2, &flip, sizeof(flip));
	rule_end();
	rule_begin(NFPROTO_INET, "t", "c", 4, NULL);
	x_meta(NFT_META_MARK);
	x_bitwise(&mask, &zero, 4);
	x_cmp(NFT_CMP_EQ, &mask, 4);
	x_verdict(NF_DROP, NULL);
	rule_end();
	f.mark = 0;		/* rule 3's xor sets the bit rule 4 drops on */
	r = one(NF_INET_FORWARD, f);
	assert_result(r, FW_DROP, "inet t", "c", 4);
	assert_string_equal(r.rule, "meta mark & 0x00004000 == 0x00004000 drop");
	t = nft_table_find(rs, NFPROTO_INET, "t");
	c = nft_chain_find(t, "c");
	fw_fmt_rule(t, &c->rules[0], buf, sizeof(buf));
	assert_string_equal(buf, "counter meta mark set mark or 0x8000");
	fw_fmt_rule(t, &c->rules[1], buf, sizeof(buf));
	assert_string_equal(buf, "meta mark set mark xor 0x4000");
}

/* ct state established,related accept does not catch a new flow;
 * notrack makes it untracked, and xt conntrack/state see the same bits. */
static void test_ct_and_notrack(void **state)
{
	uint8_t ctinfo[192] = { 0 };
	uint16_t flags = 1, inv = 0, mask = 1u << 10;	/* --ctstate UNTRACKED */
	struct nftnl_expr *e;
	struct fw_result r;

	one_rule_chain(NF_INET_PRE_ROUTING, "filter");
	rule_begin(NFPROTO_INET, "t", "c", 2, NULL);
	x_ct_est_rel();
	x_verdict(NF_DROP, NULL);
	rule_end();
	rule_begin(NFPROTO_INET, "t", "c", 3, NULL);
	x_plain("notrack");
	rule_end();
	memcpy(ctinfo + 146, &flags, 2);
	memcpy(ctinfo + 148, &inv, 2);
	memcpy(ctinfo + 150, &mask, 2);
	rule_begin(NFPROTO_INET, "t", "c", 4, NULL);
	x_xt(true, "conntrack", 3, ctinfo, sizeof(ctinfo));
	x_plain("log");
	e = x_new("limit");
	nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_RATE, 10);
	nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_UNIT, 1);
	x_verdict(NF_DROP, NULL);
	rule_end();
	r = one(NF_INET_PRE_ROUTING, pod_flow(IP4(10, 245, 0, 7)));
	assert_result(r, FW_DROP, "inet t", "c", 4);
	assert_string_equal(r.rule, "xt match \"conntrack\" log limit rate 10/second drop");

	r = one(NF_INET_PRE_ROUTING, (struct fw_flow){ .ctstate = FW_CT_ESTABLISHED });
	assert_result(r, FW_DROP, "inet t", "c", 2);
	assert_string_equal(r.rule, "ct state established,related drop");
}

/* snat to an address, dnat rewriting the destination for later hooks,
 * redirect counted as dnat. */
static void test_nat_statements(void **state)
{
	uint32_t to = htonl(IP4(172, 18, 0, 50));
	uint16_t port = htons(8080);
	struct fw_result out[3];
	struct fw_flow f = pod_flow(IP4(10, 96, 0, 10));
	struct nftnl_expr *e;

	mk_table(NFPROTO_IPV4, "nat", 0);
	mk_chain(NFPROTO_IPV4, "nat", "pre", NF_INET_PRE_ROUTING, -100, NF_ACCEPT, "nat");
	mk_chain(NFPROTO_IPV4, "nat", "post", NF_INET_POST_ROUTING, 100, NF_ACCEPT, "nat");
	rule_begin(NFPROTO_IPV4, "nat", "pre", 2, NULL);
	x_ip_prefix(true, NFT_CMP_EQ, IP4(10, 96, 0, 10), 32);
	x_imm_data(NFT_REG_1, &to, 4);
	x_imm_data(NFT_REG_2, &port, 2);
	e = x_new("nat");
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, NFPROTO_IPV4);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, NFT_REG_2);
	rule_end();
	rule_begin(NFPROTO_IPV4, "nat", "post", 3, NULL);
	x_ip_prefix(true, NFT_CMP_EQ, IP4(172, 18, 0, 50), 32);
	x_payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
	x_cmp(NFT_CMP_EQ, &port, 2);
	x_imm_data(NFT_REG_1, &to, 4);
	e = x_new("nat");
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_SNAT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, NFPROTO_IPV4);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
	rule_end();
	assert_int_equal(fw_eval_forward(rs, &ctx, &f, out), 3);
	assert_result(out[0], FW_DNAT, "ip nat", "pre", 2);
	assert_string_equal(out[0].rule, "ip daddr 10.96.0.10 dnat to 172.18.0.50:8080");
	assert_result(out[1], FW_ACCEPT, "", "", 0);
	assert_result(out[2], FW_SNAT, "ip nat", "post", 3);
	assert_string_equal(out[2].rule, "ip daddr 172.18.0.50 th dport 8080 snat to 172.18.0.50");
	assert_int_equal(f.daddr, IP4(10, 96, 0, 10));	/* the caller's flow is a copy */

	rule_begin(NFPROTO_IPV4, "nat", "pre", 1, NULL);
	x_plain("redir");
	rule_end();
	/* rules are in dump order: the redirect comes after the dnat rule */
	f = pod_flow(IP4(1, 1, 1, 1));
	assert_int_equal(fw_eval_local(rs, &ctx, &f, out), 2);
	assert_int_equal(out[0].hook, FW_HOOK_OUTPUT);
	assert_result(out[0], FW_ACCEPT, "", "", 0);
	out[0] = eval(FW_HOOK_PREROUTING, f);
	assert_result(out[0], FW_DNAT, "ip nat", "pre", 1);
	assert_string_equal(out[0].rule, "redirect");
}

/* iptables-nft's compat: xt tcp --dport, xt addrtype --dst-type LOCAL, xt
 * REJECT; and a compat match it does not know is unknown. */
static void test_xt_tcp_addrtype(void **state)
{
	struct xt_tcp tcp = { .spts = { 0, 65535 }, .dpts = { 9750, 9750 } };
	struct xt_addrtype_info_v1 at = { .dest = XT_ADDRTYPE_LOCAL,
					  .flags = XT_ADDRTYPE_INVERT_DEST };
	uint8_t junk[8] = { 0 };
	struct fw_result r;

	one_rule_chain(NF_INET_FORWARD, "filter");
	rule_begin(NFPROTO_INET, "t", "c", 2, NULL);
	x_xt(true, "addrtype", 1, &at, sizeof(at));
	x_xt(true, "tcp", 0, &tcp, sizeof(tcp));
	x_xt(false, "REJECT", 0, junk, sizeof(junk));
	rule_end();
	rule_begin(NFPROTO_INET, "t", "c", 3, NULL);
	x_xt(true, "hashlimit", 2, junk, sizeof(junk));
	rule_end();
	r = one(NF_INET_FORWARD, pod_flow(IP4(10, 245, 0, 7)));
	assert_result(r, FW_REJECT, "inet t", "c", 2);
	assert_string_equal(r.rule, "fib daddr type != local xt match \"tcp\" xt target \"REJECT\"");
	r = one(NF_INET_FORWARD, pod_flow(IP4(172, 18, 0, 2)));
	assert_result(r, FW_UNKNOWN, "inet t", "c", 3);
	assert_non_null(strstr(r.reason, "hashlimit"));
}

/* fib . iif type: a local address on another device is unicast. */
static void test_fib_iif(void **state)
{
	struct fw_result r;
	struct nftnl_expr *e;
	struct fw_flow f = pod_flow(IP4(172, 18, 0, 2));

	one_rule_chain(NF_INET_PRE_ROUTING, "filter");
	rule_begin(NFPROTO_INET, "t", "c", 2, NULL);
	e = x_new("fib");
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR | NFTA_FIB_F_IIF);
	x_cmp_u32(NFT_CMP_EQ, RTN_LOCAL);
	x_verdict(NF_DROP, NULL);
	rule_end();
	r = one(NF_INET_PRE_ROUTING, f);
	assert_result(r, FW_ACCEPT, "inet t", "c", 0);
	f.iif = 2;
	strcpy(f.iifname, "eth0");
	r = one(NF_INET_PRE_ROUTING, f);
	assert_result(r, FW_DROP, "inet t", "c", 2);
	assert_string_equal(r.rule, "fib daddr . iif type local drop");
}


/* ---- inbound: what arrives from the other cluster ----------------------- */

/* c1n2: eth0 172.18.0.3/16, a pod 10.244.1.5 on veth1 (gateway 10.244.1.1),
 * cluster2's c2n1 at 172.18.0.4 with pods 10.245.0.0/24. */
static struct link in_links[] = { { .index = 1, .name = "lo" }, { .index = 2, .name = "eth0" },
				  { .index = 5, .name = "veth1" } };
static struct addr4 in_addrs[] = { { 2, IP4(172, 18, 0, 3), 16 }, { 5, IP4(10, 244, 1, 1), 32 } };
static struct route4 in_routes[] = { { .dst = { IP4(10, 244, 1, 5), 32 }, .oif = 5, .table = 254,
				       .type = RTN_UNICAST } };
static struct kview in_kv = { in_links, 3, in_addrs, 2, in_routes, 1 };
static struct prefix4 in_c2 = { IP4(10, 245, 0, 0), 24 };
static struct plan_remote in_rm = { .node_ip = IP4(172, 18, 0, 4), .cidrs = &in_c2, .ncidrs = 1,
				    .cluster = "cluster2", .node = "c2n1" };
static struct cfg in_cfg;

static void in_setup_cfg(void)
{
	memset(&in_cfg, 0, sizeof(in_cfg));
	snprintf(in_cfg.cluster, sizeof(in_cfg.cluster), "cluster1");
	snprintf(in_cfg.node_name, sizeof(in_cfg.node_name), "c1n2");
	in_cfg.node_ip = IP4(172, 18, 0, 3);
	in_cfg.pod_cidrs.v[0] = (struct prefix4){ IP4(10, 244, 1, 0), 24 };
	in_cfg.pod_cidrs.n = 1;
	in_cfg.probe_ports[0] = 9750;
	in_cfg.probe_ports[1] = 5000;
	in_cfg.nprobe_ports = 2;
}

/* iptables -I FORWARD -p tcp --dport 5000 -j DROP, as handle 4. */
static void in_drop_5000(int hook, const char *chain)
{
	uint16_t port = htons(5000);

	mk_table(NFPROTO_IPV4, "filter", 0);
	mk_chain(NFPROTO_IPV4, "filter", chain, hook, 0, NF_ACCEPT, "filter");
	rule_begin(NFPROTO_IPV4, "filter", chain, 4, NULL);
	x_meta(NFT_META_L4PROTO);
	x_cmp_u8(NFT_CMP_EQ, IPPROTO_TCP);
	x_payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
	x_cmp(NFT_CMP_EQ, &port, 2);
	x_verdict(NF_DROP, NULL);
	rule_end();
}

static const struct report_fw *in_find(const struct report_fw *fw, size_t n, const char *src,
				       const char *hook, uint16_t port)
{
	for (size_t i = 0; i < n; i++)
		if (fw[i].inbound && !strcmp(fw[i].src, src) && !strcmp(fw[i].hook, hook) &&
		    fw[i].dport == port)
			return &fw[i];
	return NULL;
}

/* From the remote pods and from the remote node IP (what kindnet's
 * masquerade leaves), to our pods and to the node, on every probe port: a
 * forward drop on the application port is named by handle, on this node,
 * and nothing else is made up. */
static void test_inbound_flows(void **state)
{
	struct plan_route pr = { .dst = in_c2, .via = IP4(172, 18, 0, 4), .oif = 2,
				 .state = PLAN_OK };
	struct plan p = { .routes = &pr, .n = 1 };
	static struct report r;
	const struct report_fw *f;
	struct report_fw *fw;
	struct strpool *pool;
	size_t n, drops = 0;

	in_setup_cfg();
	in_drop_5000(NF_INET_FORWARD, "FORWARD");
	assert_int_equal(flows_evaluate(&in_cfg, &in_kv, &p, &in_rm, rs, &fw, &n, &pool, NULL), 0);
	assert_non_null(f = in_find(fw, n, "172.18.0.4/32", "forward", 5000));
	assert_string_equal(f->verdict, "drop");
	assert_string_equal(f->table, "ip filter");
	assert_string_equal(f->chain, "FORWARD");
	assert_int_equal(f->handle, 4);
	assert_string_equal(f->dst, "10.244.1.0/24");
	assert_int_equal(f->from_ip, IP4(172, 18, 0, 4));
	assert_non_null(f = in_find(fw, n, "10.245.0.0/24", "forward", 5000));
	assert_string_equal(f->verdict, "drop");
	assert_non_null(f = in_find(fw, n, "172.18.0.4/32", "forward", 9750));
	assert_string_equal(f->verdict, "accept");
	assert_non_null(f = in_find(fw, n, "172.18.0.4/32", "input", 5000));
	assert_string_equal(f->verdict, "accept");	/* the forward rule is not on input */
	assert_string_equal(f->dst, "172.18.0.3/32");
	for (size_t i = 0; i < n; i++)
		drops += fw[i].inbound && !strcmp(fw[i].verdict, "drop");
	assert_int_equal(drops, 2);	/* both sources, port 5000, forward: nothing more */
	r = (struct report){ .cfg = &in_cfg, .kv = &in_kv, .plan = &p, .remotes = &in_rm,
			     .nremotes = 1, .fw = fw, .nfw = n };
	diag_run(&r);
	assert_int_equal(r.nproblems, 3);	/* our pods' way out on 5000 too */
	assert_string_equal(report_code_name(r.problems[1].code), "firewall-drop");
	assert_string_equal(r.problems[1].message, "on c1n2: 10.245.0.0/24 -> 10.244.1.0/24 port "
			    "5000 (from node c2n1 of cluster2) is dropped at forward by ip filter "
			    "FORWARD handle 4: tcp dport 5000 drop");
	assert_non_null(strstr(r.problems[2].message, "on c1n2: 172.18.0.4/32 -> "));
	free(fw);
	strpool_free(pool);
}

/* An input drop (to the node itself) is found on the input hook. */
static void test_inbound_input(void **state)
{
	struct plan_route pr = { .dst = in_c2, .via = IP4(172, 18, 0, 4), .oif = 2,
				 .state = PLAN_OK };
	struct plan p = { .routes = &pr, .n = 1 };
	const struct report_fw *f;
	struct report_fw *fw;
	struct strpool *pool;
	size_t n;

	in_setup_cfg();
	in_drop_5000(NF_INET_LOCAL_IN, "INPUT");
	assert_int_equal(flows_evaluate(&in_cfg, &in_kv, &p, &in_rm, rs, &fw, &n, &pool, NULL), 0);
	assert_non_null(f = in_find(fw, n, "172.18.0.4/32", "input", 5000));
	assert_string_equal(f->verdict, "drop");
	assert_int_equal(f->handle, 4);
	assert_non_null(f = in_find(fw, n, "172.18.0.4/32", "forward", 5000));
	assert_string_equal(f->verdict, "accept");
	free(fw);
	strpool_free(pool);
}

/* The receiver's side of `podreach why`: the same drop, by handle, as a
 * hop of c1n2; a reply dropped as invalid when the way back differs. */
static void test_why_receiver_fw(void **state)
{
	struct why_in in = { .n = { &in_cfg, &in_kv, NULL }, .src = IP4(172, 18, 0, 4),
			     .dst = IP4(10, 244, 1, 5), .port = 5000, .iif = 2, .rp = 2,
			     .to_dst = { .dst = { IP4(10, 244, 1, 5), 32 }, .oif = 5, .type = RTN_UNICAST },
			     .back = { .dst = { IP4(172, 18, 0, 4), 32 }, .oif = 2, .type = RTN_UNICAST } };
	static struct why_trace t;
	const struct why_hop *b;

	in_setup_cfg();
	in.n.rs = rs;
	in_drop_5000(NF_INET_FORWARD, "FORWARD");
	why_receiver(&in, &t);
	assert_non_null(b = why_blocker(&t));
	assert_string_equal(b->node, "c1n2");
	assert_string_equal(b->hook, "forward");
	assert_int_equal(b->handle, 4);
	memset(&t, 0, sizeof(t));
	in.port = 9750;		/* not dropped: rp_filter, route back, the replies */
	why_receiver(&in, &t);
	assert_null(why_blocker(&t));
	assert_string_equal(t.hops[t.nhops - 1].stage, "return");

	/* ct state invalid drop: harmless while the way back is the way in,
	 * a drop of the replies when it is not. */
	teardown(NULL);
	setup(NULL);
	mk_table(NFPROTO_INET, "f", 0);
	mk_chain(NFPROTO_INET, "f", "fwd", NF_INET_FORWARD, 0, NF_ACCEPT, "filter");
	rule_begin(NFPROTO_INET, "f", "fwd", 9, NULL);
	x_ct_state();
	x_bitwise(&(uint32_t){ FW_CT_INVALID }, &(uint32_t){ 0 }, 4);
	x_cmp_u32(NFT_CMP_NEQ, 0);
	x_verdict(NF_DROP, NULL);
	rule_end();
	in.n.rs = rs;
	memset(&t, 0, sizeof(t));
	why_receiver(&in, &t);
	assert_null(why_blocker(&t));
	in.back.oif = 5;	/* the way back leaves elsewhere */
	memset(&t, 0, sizeof(t));
	why_receiver(&in, &t);
	assert_non_null(b = why_blocker(&t));
	assert_string_equal(b->stage, "return");
	assert_int_equal(b->handle, 9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_parse_tables_chains_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_orphans_and_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_malformed_more, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fmt_rule, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interval_set_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_expression_fallback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_known_expression, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kindnet_iptables_native, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kindnet_iptables_compat, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kindnet_ipmasq_accept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kindnet_ipmasq_return, setup, teardown),
		cmocka_unit_test_setup_teardown(test_jump_goto_return, setup, teardown),
		cmocka_unit_test_setup_teardown(test_jump_depth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_goto_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_goto_loop_long_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_register, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_drop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_priority_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nat_first_binding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cmp_byteorder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_tcp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_range_rendering, setup, teardown),
		cmocka_unit_test_setup_teardown(test_anonymous_set_lookup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verdict_map, setup, teardown),
		cmocka_unit_test_setup_teardown(test_meta_ifnames, setup, teardown),
		cmocka_unit_test_setup_teardown(test_meta_no_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mark, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mark_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ct_and_notrack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nat_statements, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xt_tcp_addrtype, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fib_iif, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inbound_flows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inbound_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_why_receiver_fw, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
