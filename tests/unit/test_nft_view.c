/*
 * The nftables view kept from notifications: commits built with libnftnl
 * as the kernel (6.x) announces them — NFTA_RULE_POSITION, NLM_F_APPEND,
 * a replacement's DELRULE and NEWRULE with one handle, a position naming a
 * rule announced later in the commit — applied with nft_ruleset_apply(),
 * then compared with nft_ruleset_diff() to the same ruleset built the way
 * a dump sends it.  nftwatch_feed() cuts datagrams into commits at NEWGEN.
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
#include <arpa/inet.h>
#include <cmocka.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include "agent/core/fw.h"
#include "netlink/nft.h"
#include "netlink/nftwatch.h"

/* One commit's messages, back to back as a datagram holds them. */
static char commit[1 << 16];
static size_t clen;
static struct nft_ruleset *view;

static struct nlmsghdr *msg(uint16_t type, uint16_t flags)
{
	assert_true(clen + 4096 < sizeof(commit));
	return nftnl_nlmsg_build_hdr(commit + clen, type, NFPROTO_IPV4, flags, 1);
}

static void done(struct nlmsghdr *nlh)
{
	clen += NLMSG_ALIGN(nlh->nlmsg_len);
}

static int apply(void)
{
	struct nft_change chg = { 0 };
	int ret = nft_ruleset_apply(view, commit, clen, &chg);

	clen = 0;
	return ret;
}

static void table(uint16_t type, const char *name)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh = msg(type, 0);

	nftnl_table_set_str(t, NFTNL_TABLE_NAME, name);
	nftnl_table_set_u64(t, NFTNL_TABLE_HANDLE, 1);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	done(nlh);
}

/* hook < 0: a regular chain. */
static void chain(uint16_t type, const char *name, uint64_t handle, int hook, uint32_t policy)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh = msg(type, 0);

	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, "t");
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	nftnl_chain_set_u64(c, NFTNL_CHAIN_HANDLE, handle);
	if (hook >= 0) {
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, (uint32_t)hook);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, 0);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, policy);
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
	}
	nftnl_chain_nlmsg_build_payload(nlh, c);
	nftnl_chain_free(c);
	done(nlh);
}

/* A rule of chain c whose verdict says which version it is (accept or
 * drop); pos 0: no NFTA_RULE_POSITION. */
static const char *jump_to;	/* the chain of an NFT_JUMP verdict */

static void rule(uint16_t type, uint16_t flags, const char *c, uint64_t handle, uint64_t pos,
		 int32_t verdict)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");
	struct nlmsghdr *nlh = msg(type, flags);

	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, "t");
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, c);
	nftnl_rule_set_u64(r, NFTNL_RULE_HANDLE, handle);
	if (pos)
		nftnl_rule_set_u64(r, NFTNL_RULE_POSITION, pos);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	if (verdict == NFT_JUMP)
		nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, jump_to);
	nftnl_rule_add_expr(r, e);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	done(nlh);
}

/* "meta KEY == V" (or != when ne), as nft puts it before an address in an
 * inet table. */
static void rule_meta_test(struct nftnl_rule *r, uint32_t key, uint8_t v, bool ne)
{
	struct nftnl_expr *m = nftnl_expr_alloc("meta"), *cmp = nftnl_expr_alloc("cmp");

	nftnl_expr_set_u32(m, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(m, NFTNL_EXPR_META_DREG, NFT_REG_1);
	nftnl_rule_add_expr(r, m);
	nftnl_expr_set_u32(cmp, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(cmp, NFTNL_EXPR_CMP_OP, ne ? NFT_CMP_NEQ : NFT_CMP_EQ);
	nftnl_expr_set(cmp, NFTNL_EXPR_CMP_DATA, &v, 1);
	nftnl_rule_add_expr(r, cmp);
}

/* "ip daddr A verdict" (payload + cmp ==: the parser notes nft_rule.pre),
 * appended to chain c; nfproto != 0: "meta nfproto NFPROTO" first, and
 * "meta l4proto != 17" too when it is NFPROTO_IPV4. */
static void rule_daddr(const char *c, uint64_t handle, uint32_t a, int32_t verdict,
		       uint8_t nfproto)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nftnl_expr *p = nftnl_expr_alloc("payload"), *cmp = nftnl_expr_alloc("cmp");
	struct nftnl_expr *v = nftnl_expr_alloc("immediate");
	struct nlmsghdr *nlh = msg(NFT_MSG_NEWRULE, NLM_F_APPEND);
	uint32_t be = htonl(a);

	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, "t");
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, c);
	nftnl_rule_set_u64(r, NFTNL_RULE_HANDLE, handle);
	if (nfproto)
		rule_meta_test(r, NFT_META_NFPROTO, nfproto, false);
	if (nfproto == NFPROTO_IPV4)
		rule_meta_test(r, NFT_META_L4PROTO, IPPROTO_UDP, true);
	nftnl_expr_set_u32(p, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	nftnl_expr_set_u32(p, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_NETWORK_HEADER);
	nftnl_expr_set_u32(p, NFTNL_EXPR_PAYLOAD_OFFSET, 16);
	nftnl_expr_set_u32(p, NFTNL_EXPR_PAYLOAD_LEN, 4);
	nftnl_rule_add_expr(r, p);
	nftnl_expr_set_u32(cmp, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(cmp, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
	nftnl_expr_set(cmp, NFTNL_EXPR_CMP_DATA, &be, 4);
	nftnl_rule_add_expr(r, cmp);
	nftnl_expr_set_u32(v, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(v, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	nftnl_rule_add_expr(r, v);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	done(nlh);
}

#define ADD(c, h, pos) rule(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, c, h, pos, NF_ACCEPT)
#define INS(c, h, pos) rule(NFT_MSG_NEWRULE, NLM_F_CREATE, c, h, pos, NF_ACCEPT)
#define DEL(c, h) rule(NFT_MSG_DELRULE, 0, c, h, 0, NF_ACCEPT)
/* What `nft replace rule` sends: the old one deleted, the new with its handle. */
#define REPL(c, h, pos) rule(NFT_MSG_NEWRULE, NLM_F_APPEND, c, h, pos, NF_DROP)

static void set(uint16_t type, const char *name, uint64_t handle)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nlmsghdr *nlh = msg(type, 0);

	nftnl_set_set_str(s, NFTNL_SET_TABLE, "t");
	nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	nftnl_set_set_u64(s, NFTNL_SET_HANDLE, handle);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_INTERVAL);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, 4);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, 7);
	nftnl_set_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	done(nlh);
}

/* The range [lo, end) as the rbtree backend announces it: a start and an
 * INTERVAL_END element. */
static void elems(uint16_t type, const char *name, uint32_t lo, uint32_t end)
{
	struct nlmsghdr *nlh = msg(type, 0);
	uint32_t keys[2] = { htonl(lo), htonl(end) };
	struct nlattr *list;

	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, "t");
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, name);
	list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
	for (int i = 0; i < 2; i++) {
		struct nftnl_set_elem *e = nftnl_set_elem_alloc();

		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, &keys[i], 4);
		if (i)
			nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
		nftnl_set_elem_nlmsg_build(nlh, e, NFTA_LIST_ELEM);
		nftnl_set_elem_free(e);
	}
	mnl_attr_nest_end(nlh, list);
	done(nlh);
}

static void gen(uint32_t id)
{
	struct nlmsghdr *nlh = msg(NFT_MSG_NEWGEN, 0);

	mnl_attr_put_u32(nlh, NFTA_GEN_ID, htonl(id));
	done(nlh);
}

/* The handles of chain c of table t, in order, as "1 2 3". */
static const char *order(const char *c)
{
	static char out[256];
	const struct nft_chain *ch = nft_chain_find(nft_table_find(view, NFPROTO_IPV4, "t"), c);
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; ch && i < ch->nrules; i++)
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%llu", i ? " " : "",
				      (unsigned long long)ch->rules[i].handle);
	return ch ? out : "(no chain)";
}

static int32_t verdict_of(const char *c, size_t i)
{
	const struct nft_chain *ch = nft_chain_find(nft_table_find(view, NFPROTO_IPV4, "t"), c);

	return ch->rules[i].exprs[0].u.imm.verdict;
}

static int setup(void **state)
{
	view = nft_ruleset_new();
	clen = 0;
	table(NFT_MSG_NEWTABLE, "t");
	chain(NFT_MSG_NEWCHAIN, "c", 2, 2, NF_ACCEPT);
	ADD("c", 3, 0);
	ADD("c", 4, 3);
	ADD("c", 5, 4);
	return apply();
}

static int teardown(void **state)
{
	nft_ruleset_free(view);
	view = NULL;
	return 0;
}

static void test_rule_positions(void **state)
{
	assert_string_equal(order("c"), "3 4 5");
	INS("c", 6, 0);		/* nft insert: at the head, no position */
	assert_int_equal(apply(), 0);
	assert_string_equal(order("c"), "6 3 4 5");
	INS("c", 7, 3);		/* nft insert ... position 4: after 3 */
	ADD("c", 8, 0);		/* nft add: at the end */
	ADD("c", 9, 7);		/* nft add ... position 7 */
	assert_int_equal(apply(), 0);
	assert_string_equal(order("c"), "6 3 7 9 4 5 8");
	DEL("c", 3);
	DEL("c", 8);
	DEL("c", 99);		/* not there: the outcome is the same */
	assert_int_equal(apply(), 0);
	assert_string_equal(order("c"), "6 7 9 4 5");
}

/* Two rules inserted at the head in one commit: the first is announced
 * with the second (not yet announced) as the rule before it. */
static void test_rule_position_later_in_commit(void **state)
{
	INS("c", 7, 6);
	INS("c", 6, 0);
	assert_int_equal(apply(), 0);
	assert_string_equal(order("c"), "6 7 3 4 5");
	INS("c", 8, 42);	/* a position that never comes: not the kernel's */
	assert_int_equal(apply(), -ENOENT);
}

static void test_rule_replace(void **state)
{
	/* the first rule: no position, NLM_F_APPEND, yet it stays first */
	DEL("c", 3);
	REPL("c", 3, 0);
	assert_int_equal(apply(), 0);
	assert_string_equal(order("c"), "3 4 5");
	assert_int_equal(verdict_of("c", 0), NF_DROP);
	/* announced before its DELRULE: the old one (after it) goes */
	REPL("c", 4, 3);
	DEL("c", 4);
	assert_int_equal(apply(), 0);
	assert_string_equal(order("c"), "3 4 5");
	assert_int_equal(verdict_of("c", 1), NF_DROP);
	/* the first one again, announced before its DELRULE, no position */
	rule(NFT_MSG_NEWRULE, NLM_F_APPEND, "c", 3, 0, NF_QUEUE);
	DEL("c", 3);
	assert_int_equal(apply(), 0);
	assert_string_equal(order("c"), "3 4 5");
	assert_int_equal(verdict_of("c", 0), NF_QUEUE);
	/* replaced twice in one commit, the first replacement placed after
	 * the second (kernel 6.18: DEL, NEW pos itself, DEL, NEW) */
	DEL("c", 5);
	REPL("c", 5, 5);
	DEL("c", 5);
	REPL("c", 5, 4);
	assert_int_equal(apply(), 0);
	assert_string_equal(order("c"), "3 4 5");
}

static void test_chains_tables(void **state)
{
	chain(NFT_MSG_NEWCHAIN, "old", 10, -1, 0);
	assert_int_equal(apply(), 0);
	chain(NFT_MSG_NEWCHAIN, "new", 10, -1, 0);	/* rename: same handle */
	ADD("new", 11, 0);
	chain(NFT_MSG_NEWCHAIN, "c", 2, 2, NF_DROP);	/* policy changed */
	assert_int_equal(apply(), 0);
	assert_string_equal(order("old"), "(no chain)");
	assert_string_equal(order("new"), "11");
	assert_int_equal(nft_chain_find(&view->tables[0], "c")->policy, NF_DROP);
	ADD("nochain", 12, 0);
	assert_int_equal(apply(), -ENOENT);
	DEL("new", 11);
	chain(NFT_MSG_DELCHAIN, "new", 10, -1, 0);
	assert_int_equal(apply(), 0);
	assert_int_equal(view->tables[0].nchains, 1);
	table(NFT_MSG_DELTABLE, "t");
	assert_int_equal(apply(), 0);
	assert_int_equal(view->ntables, 0);
}

static void test_sets(void **state)
{
	const struct nft_set *s;

	set(NFT_MSG_NEWSET, "s", 20);
	elems(NFT_MSG_NEWSETELEM, "s", 0x0a000000, 0x0b000000);
	elems(NFT_MSG_NEWSETELEM, "s", 0x0c000000, 0x0d000000);
	assert_int_equal(apply(), 0);
	s = nft_set_find(&view->tables[0], "s");
	assert_int_equal(s->nranges, 2);
	elems(NFT_MSG_DELSETELEM, "s", 0x0a000000, 0x0b000000);
	assert_int_equal(apply(), 0);
	assert_int_equal(s->nranges, 1);
	assert_int_equal(s->ranges[0].lo.b[0], 0x0c);
	assert_int_equal(s->ranges[0].hi.b[0], 0x0c);
	/* the name again with another handle (anonymous sets' __set%d are
	 * reused): a new set, none of the old elements */
	set(NFT_MSG_NEWSET, "s", 21);
	assert_int_equal(apply(), 0);
	assert_int_equal(s->nranges, 0);
	set(NFT_MSG_DELSET, "s", 21);
	assert_int_equal(apply(), 0);
	assert_null(nft_set_find(&view->tables[0], "s"));
}

/* The view after a commit against the same ruleset as a dump sends it. */
static void test_diff(void **state)
{
	struct nft_ruleset *dump = nft_ruleset_new(), *keep = view;
	struct nft_chain *ch;
	struct nft_rule r;

	view = dump;
	table(NFT_MSG_NEWTABLE, "t");
	chain(NFT_MSG_NEWCHAIN, "c", 2, 2, NF_ACCEPT);
	ADD("c", 3, 0);
	ADD("c", 4, 0);
	ADD("c", 5, 0);
	assert_int_equal(nft_ruleset_add_msg(dump, commit, clen), 0);
	clen = 0;
	view = keep;
	assert_int_equal(nft_ruleset_diff(view, dump), 0);
	ch = (struct nft_chain *)nft_chain_find(&view->tables[0], "c");
	r = ch->rules[0];	/* the same rules in another order */
	ch->rules[0] = ch->rules[1];
	ch->rules[1] = r;
	assert_int_equal(nft_ruleset_diff(view, dump), 1);
	ch->rules[1] = ch->rules[0];
	ch->rules[0] = r;
	DEL("c", 4);
	assert_int_equal(apply(), 0);
	assert_int_equal(nft_ruleset_diff(view, dump), 1);
	assert_int_equal(nft_ruleset_diff(dump, view), 1);
	ADD("c", 4, 3);
	chain(NFT_MSG_NEWCHAIN, "c", 2, 2, NF_DROP);
	assert_int_equal(apply(), 0);
	assert_int_equal(nft_ruleset_diff(view, dump), 1);	/* the policy */
	nft_ruleset_free(dump);
}

/* Whether what chg touched is something a forwarded flow read. */
static bool touches(const struct nft_change *chg)
{
	struct fw_trace trace;
	struct fw_ctx ctx = { NULL, 0, &trace };
	struct fw_result res[3];
	struct fw_flow f;

	memset(&trace, 0, sizeof(trace));
	fw_flow_init(&f, 0x0af50005, 0x0af40002, 5000);
	fw_eval_forward(view, &ctx, &f, res);
	if (chg->all)
		return true;
	for (size_t i = 0; i < chg->nkeys; i++)
		if (fw_trace_has(&trace, chg->keys[i]))
			return true;
	return false;
}

static struct nft_change change(void)
{
	struct nft_change chg = { 0 };

	assert_int_equal(nft_ruleset_apply(view, commit, clen, &chg), 0);
	clen = 0;
	return chg;
}

/* A rule of a chain no flow enters changes nothing the flows read; one of
 * the base chain, a chain a rule jumps to (even one not there yet), a new
 * base chain do. */
static void test_trace(void **state)
{
	struct nft_change chg;

	chain(NFT_MSG_NEWCHAIN, "unused", 10, -1, 0);
	ADD("unused", 11, 0);
	chg = change();
	assert_int_equal(chg.msgs, 2);
	assert_false(touches(&chg));
	ADD("c", 12, 0);
	chg = change();
	assert_true(touches(&chg));
	DEL("c", 3);		/* the first rule accepted: now the jump is reached */
	DEL("c", 4);
	DEL("c", 5);
	DEL("c", 12);
	jump_to = "later";
	rule(NFT_MSG_NEWRULE, NLM_F_APPEND, "c", 13, 0, NFT_JUMP);
	assert_int_equal(apply(), 0);
	chain(NFT_MSG_NEWCHAIN, "later", 14, -1, 0);
	chg = change();
	assert_true(touches(&chg));
	chain(NFT_MSG_NEWCHAIN, "base2", 15, 0, NF_ACCEPT);
	chg = change();
	assert_true(chg.all);
}

/* Past NFT_IDX_LINEAR chains nft_chain_find() goes through an index: it
 * must follow chains appended, renamed and deleted. */
static void test_chain_index(void **state)
{
	const struct nft_table *t;
	char name[32];

	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "k%d", i);
		chain(NFT_MSG_NEWCHAIN, name, 100 + (uint64_t)i, -1, 0);
	}
	assert_int_equal(apply(), 0);
	t = nft_table_find(view, NFPROTO_IPV4, "t");
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "k%d", i);
		assert_non_null(nft_chain_find(t, name));
		assert_string_equal(nft_chain_find(t, name)->name, name);
	}
	chain(NFT_MSG_NEWCHAIN, "renamed", 150, -1, 0);	/* k50 */
	chain(NFT_MSG_DELCHAIN, "k10", 110, -1, 0);
	ADD("k99", 300, 0);
	assert_int_equal(apply(), 0);
	assert_null(nft_chain_find(t, "k50"));
	assert_null(nft_chain_find(t, "k10"));
	assert_int_equal(nft_chain_find(t, "renamed")->handle, 150);
	assert_int_equal(t->nchains, 100);	/* "c", k0..k99, one renamed, one gone */
	assert_string_equal(order("k99"), "300");
	assert_string_equal(order("k98"), "");
	/* deletions with the index in place, and chains coming and going
	 * long enough to fill it with deleted slots */
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "k%d", 20 + i);
		chain(NFT_MSG_DELCHAIN, name, 0, -1, 0);
		snprintf(name, sizeof(name), "k%d", 100 + i);
		chain(NFT_MSG_NEWCHAIN, name, 1000 + (uint64_t)i, -1, 0);
		assert_int_equal(apply(), 0);
		assert_non_null(nft_chain_find(t, name));
	}
	for (int i = 0; i < 1100; i++) {
		snprintf(name, sizeof(name), "k%d", i);
		assert_true((i >= 1020 || (i >= 11 && i < 20) || i < 10) ==
			    (nft_chain_find(t, name) != NULL));
	}
	assert_string_equal(order("k1099"), "");
}

/* A base chain made after a hundred others is evaluated (the evaluator
 * stops looking past the table's last base chain), and not once deleted. */
static void test_late_base_chain(void **state)
{
	struct fw_ctx ctx = { NULL, 0, NULL };
	struct fw_result res[3];
	struct fw_flow f;
	char name[32];

	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "k%d", i);
		chain(NFT_MSG_NEWCHAIN, name, 100 + (uint64_t)i, -1, 0);
	}
	chain(NFT_MSG_NEWCHAIN, "late", 300, 2, NF_DROP);
	chain(NFT_MSG_DELCHAIN, "k5", 105, -1, 0);	/* not a base chain: still 2 */
	assert_int_equal(apply(), 0);
	fw_flow_init(&f, 0x0af50005, 0x0af40002, 5000);
	assert_int_equal(fw_eval_forward(view, &ctx, &f, res), 2);
	assert_int_equal(res[1].verdict, FW_DROP);
	chain(NFT_MSG_DELCHAIN, "late", 300, 2, NF_DROP);
	assert_int_equal(apply(), 0);
	assert_int_equal(fw_eval_forward(view, &ctx, &f, res), 3);
	assert_int_equal(res[1].verdict, FW_ACCEPT);
}

/* The evaluator keeps each hook's base chains while the ruleset is the
 * same: a policy changed by a commit must be seen. */
static void test_policy_after_commit(void **state)
{
	struct fw_ctx ctx = { NULL, 0, NULL };
	struct fw_result res[3];
	struct fw_flow f;

	DEL("c", 3);
	DEL("c", 4);
	DEL("c", 5);
	assert_int_equal(apply(), 0);
	fw_flow_init(&f, 0x0af50005, 0x0af40002, 5000);
	fw_eval_forward(view, &ctx, &f, res);
	assert_int_equal(res[1].verdict, FW_ACCEPT);
	chain(NFT_MSG_NEWCHAIN, "c", 2, 2, NF_DROP);
	assert_int_equal(apply(), 0);
	assert_int_equal(fw_eval_forward(view, &ctx, &f, res), 2);
	assert_int_equal(res[1].verdict, FW_DROP);
}

/* Chain c emptied of setup()'s rules, then rules 6, 7, ...: "ip daddr
 * a[i] drop", after meta tests for nfproto[i] (see rule_daddr()). */
static const struct nft_chain *pre_rules(const uint32_t *a, const uint8_t *nfproto, size_t n)
{
	DEL("c", 3);
	DEL("c", 4);
	DEL("c", 5);
	for (size_t i = 0; i < n; i++)
		rule_daddr("c", 6 + i, a[i], NF_DROP, nfproto[i]);
	assert_int_equal(apply(), 0);
	return nft_chain_find(&view->tables[0], "c");
}

/* A forward flow to daddr is dropped by rule handle, or (0) accepted. */
static void pre_expect(uint32_t daddr, uint64_t handle)
{
	struct fw_ctx ctx = { NULL, 0, NULL };
	struct fw_result res[3];
	struct fw_flow f;

	fw_flow_init(&f, 0x0af50005, daddr, 5000);
	assert_int_equal(fw_eval_forward(view, &ctx, &f, res), handle ? 2 : 3);
	assert_int_equal(res[1].verdict, handle ? FW_DROP : FW_ACCEPT);
	if (handle)
		assert_int_equal(res[1].handle, handle);
}

/* A rule passed over on its noted first comparison decides as its
 * expressions would: skipped when the address differs, not otherwise. */
static void test_rule_pre(void **state)
{
	const struct nft_chain *c;

	c = pre_rules((uint32_t[]){ 0x0af40002, 0x0af40003 }, (uint8_t[]){ 0, 0 }, 2);
	assert_int_equal(c->rules[0].pre.len, 4);
	assert_int_equal(c->rules[0].pre.off, 16);
	pre_expect(0x0af40003, 7);
	pre_expect(0x0af40004, 0);
}

/* As an inet table's rules come ("meta nfproto ipv4 meta l4proto != udp
 * ip daddr A"): the meta tests are passed, the address noted; an ipv6
 * rule of the same address is noted too and still misses, on its meta. */
static void test_rule_pre_meta(void **state)
{
	const struct nft_chain *c;

	c = pre_rules((uint32_t[]){ 0x0af40003, 0x0af40002, 0x0af40003 },
		      (uint8_t[]){ NFPROTO_IPV6, NFPROTO_IPV4, NFPROTO_IPV4 }, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(c->rules[i].pre.len, 4);
		assert_int_equal(c->rules[i].pre.off, 16);
	}
	assert_memory_equal(c->rules[1].pre.val, "\x0a\xf4\x00\x02", 4);
	pre_expect(0x0af40003, 8);
	pre_expect(0x0af40002, 7);
	pre_expect(0x0af40004, 0);
}

/* A dump's rules take their expressions from the ruleset's pool (blocks
 * of up to 16 MiB, huge pages from 2 MiB): 6,000 rules fill several
 * blocks and read as they do one by one; a pooled rule deleted or replaced
 * by a notification, and one added after the dump (not pooled), are freed
 * as they must be (ASan: no bad free, no leak). */
static void test_expr_pool(void **state)
{
	struct nft_ruleset *pooled = nft_ruleset_new(), *plain = nft_ruleset_new();
	const struct nft_chain *c;

	assert_non_null(pooled);
	assert_non_null(plain);
	pooled->pooling = true;
	for (uint64_t h = 10; h < 6010; h++) {
		if (h == 10) {
			table(NFT_MSG_NEWTABLE, "t");
			chain(NFT_MSG_NEWCHAIN, "c", 2, 2, NF_ACCEPT);
		}
		rule_daddr("c", h, 0x0a000000 + (uint32_t)h, NF_DROP, NFPROTO_IPV4);
		if (clen > sizeof(commit) - 8192 || h == 6009) {
			assert_int_equal(nft_ruleset_add_msg(pooled, commit, clen), 0);
			assert_int_equal(nft_ruleset_add_msg(plain, commit, clen), 0);
			clen = 0;
		}
	}
	pooled->pooling = false;
	assert_non_null(pooled->pool);
	c = nft_chain_find(&pooled->tables[0], "c");
	assert_int_equal(c->nrules, 6000);
	assert_true(c->rules[0].pooled && c->rules[5999].pooled);
	assert_int_equal(nft_ruleset_diff(pooled, plain), 0);
	DEL("c", 10);
	DEL("c", 11);
	REPL("c", 11, 0);
	ADD("c", 7000, 0);
	assert_int_equal(nft_ruleset_apply(pooled, commit, clen, NULL), 0);
	clen = 0;
	c = nft_chain_find(&pooled->tables[0], "c");
	assert_int_equal(c->nrules, 6000);
	assert_false(c->rules[c->nrules - 1].pooled);
	nft_ruleset_free(pooled);
	nft_ruleset_free(plain);
}


struct seen {
	uint32_t gen[4];
	size_t len[4];
	int n, lost;
};

static void on_commit(const struct nftwatch_commit *c, void *arg)
{
	struct seen *s = arg;

	s->lost += c->lost;
	if (!c->lost && s->n < 4) {
		s->gen[s->n] = c->genid;
		s->len[s->n++] = c->len;
	}
}

/* Messages are kept until their commit's NEWGEN, across datagrams. */
static void test_watch_commits(void **state)
{
	struct nftwatch *w = nftwatch_alloc();
	struct seen s = { 0 };
	size_t first, before_gen;

	ADD("c", 6, 0);
	first = clen;
	DEL("c", 6);
	before_gen = clen;
	gen(8);
	ADD("c", 7, 0);
	gen(9);
	assert_int_equal(nftwatch_feed(w, commit, first, on_commit, &s), 1);
	assert_int_equal(s.n, 0);	/* no NEWGEN yet */
	assert_int_equal(nftwatch_feed(w, commit + first, clen - first, on_commit, &s), 4);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.gen[0], 8);
	assert_int_equal(s.len[0], before_gen);	/* both rule messages, not NEWGEN */
	assert_int_equal(s.gen[1], 9);
	assert_int_equal(s.lost, 0);
	nftwatch_close(w);
	clen = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rule_positions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rule_position_later_in_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rule_replace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chains_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_diff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_commits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chain_index, setup, teardown),
		cmocka_unit_test_setup_teardown(test_late_base_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rule_pre, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rule_pre_meta, setup, teardown),
		cmocka_unit_test(test_expr_pool),
		cmocka_unit_test_setup_teardown(test_policy_after_commit, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
