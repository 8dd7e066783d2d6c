/*
 * The attribute types of every nftables message podreach reads, checked
 * before libnftnl parses it: libnftnl calls exit() ("nf_tables kernel ABI is
 * broken") on an attribute whose length does not fit its type, and a
 * corrupt message must not end the agent (tests/fuzz/fuzz_nft.c found
 * this).  The types are the kernel's (uapi nf_tables.h) and the ones
 * libnftnl 1.2 checks; a kernel's own dump always passes.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <libmnl/libmnl.h>

#include "netlink/nft_int.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define U32 MNL_TYPE_U32
#define U64 MNL_TYPE_U64
#define STR MNL_TYPE_NUL_STRING	/* libnftnl strdup()s them */
#define BIN MNL_TYPE_BINARY
#define NEST MNL_TYPE_NESTED

/* What a nested attribute holds: attributes of the given types (each
 * nested one by sub[type]), a list of such, or one expression. */
enum shape { PLAIN, LIST, EXPR };

struct pol {
	enum shape shape;
	const uint8_t *types;
	size_t ntypes;
	const struct pol *const *sub;	/* per type, for NEST; NULL: data */
};

#define POL(t, s) { PLAIN, t, ARRAY_LEN(t), s }

static const uint8_t ty_verdict[] = {
	[NFTA_VERDICT_CODE] = U32, [NFTA_VERDICT_CHAIN] = STR, [NFTA_VERDICT_CHAIN_ID] = U32,
};
static const struct pol pol_verdict = POL(ty_verdict, NULL);
static const uint8_t ty_data[] = { [NFTA_DATA_VALUE] = BIN, [NFTA_DATA_VERDICT] = NEST };
static const struct pol *const sub_data[] = { [NFTA_DATA_VERDICT] = &pol_verdict };
static const struct pol pol_data = POL(ty_data, sub_data);

static const struct pol pol_expr = { EXPR, NULL, 0, NULL };
static const struct pol pol_exprs = { LIST, NULL, 0, (const struct pol *const[]){ &pol_expr } };

/*
 * The expression types libnftnl 1.2 parses that podreach does not read,
 * with the types libnftnl checks (exit()ing otherwise), as
 * tests/fuzz/nftnl_types.c measured them on the installed libnftnl (found
 * by fuzz_nft: "tproxy" with a short attribute).  A type libnftnl does not
 * know it refuses without exiting.
 */
#define U8 MNL_TYPE_U8
#define U16 MNL_TYPE_U16
static const uint8_t ty_connlimit[] = { [1] = U32, [2] = U32 };
static const uint8_t ty_dup[] = { [1] = U32, [2] = U32 };
static const uint8_t ty_exthdr[] = { [1] = U32, [2] = U8, [3] = U32, [4] = U32, [5] = U32, [6] = U32, [7] = U32 };
static const uint8_t ty_flow_offload[] = { [1] = STR };
static const uint8_t ty_fwd[] = { [1] = U32, [2] = U32, [3] = U32 };
static const uint8_t ty_last[] = { [1] = U32, [2] = U64 };
static const uint8_t ty_dynset[] = { [1] = STR, [2] = U32, [3] = U32, [4] = U32, [5] = U32, [6] = U64, [7] = NEST, [9] = U32, [10] = NEST };
static const uint8_t ty_numgen[] = { [1] = U32, [2] = U32, [3] = U32, [4] = U32 };
static const uint8_t ty_tproxy[] = { [1] = U32, [2] = U32, [3] = U32 };
static const uint8_t ty_objref[] = { [1] = U32, [2] = STR, [3] = U32, [4] = STR, [5] = U32 };
static const uint8_t ty_queue[] = { [1] = U16, [2] = U16, [3] = U16, [4] = U32 };
static const uint8_t ty_quota[] = { [1] = U64, [2] = U32, [4] = U64 };
static const uint8_t ty_rt[] = { [1] = U32, [2] = U32 };
static const uint8_t ty_tunnel[] = { [1] = U32, [2] = U32 };
static const uint8_t ty_hash[] = { [1] = U32, [2] = U32, [3] = U32, [4] = U32, [5] = U32, [6] = U32, [7] = U32 };
static const uint8_t ty_socket[] = { [1] = U32, [2] = U32, [3] = U32 };
static const uint8_t ty_synproxy[] = { [1] = U16, [2] = U8, [3] = U32 };
static const uint8_t ty_osf[] = { [1] = U32, [2] = U8, [3] = U32 };
static const uint8_t ty_xfrm[] = { [1] = U32, [2] = U32, [3] = U8, [4] = U32 };
/* dynset holds an expression, or a list of them, of its own. */
static const struct pol *const sub_dynset[] = { [7] = &pol_expr, [10] = &pol_exprs };

static const struct { const char *name; struct pol pol; } exprs_libnftnl[] = {
	{ "connlimit", POL(ty_connlimit, NULL) },
	{ "dup", POL(ty_dup, NULL) },
	{ "exthdr", POL(ty_exthdr, NULL) },
	{ "flow_offload", POL(ty_flow_offload, NULL) },
	{ "fwd", POL(ty_fwd, NULL) },
	{ "last", POL(ty_last, NULL) },
	{ "dynset", POL(ty_dynset, sub_dynset) },
	{ "numgen", POL(ty_numgen, NULL) },
	{ "tproxy", POL(ty_tproxy, NULL) },
	{ "objref", POL(ty_objref, NULL) },
	{ "queue", POL(ty_queue, NULL) },
	{ "quota", POL(ty_quota, NULL) },
	{ "rt", POL(ty_rt, NULL) },
	{ "tunnel", POL(ty_tunnel, NULL) },
	{ "hash", POL(ty_hash, NULL) },
	{ "socket", POL(ty_socket, NULL) },
	{ "synproxy", POL(ty_synproxy, NULL) },
	{ "osf", POL(ty_osf, NULL) },
	{ "xfrm", POL(ty_xfrm, NULL) },
};
#undef U8
#undef U16

static const uint8_t ty_table[] = {
	[NFTA_TABLE_NAME] = STR, [NFTA_TABLE_FLAGS] = U32, [NFTA_TABLE_USE] = U32,
	[NFTA_TABLE_HANDLE] = U64, [NFTA_TABLE_USERDATA] = BIN, [NFTA_TABLE_OWNER] = U32,
};
static const struct pol pol_table = POL(ty_table, NULL);

static const uint8_t ty_devs[] = { [NFTA_DEVICE_NAME] = STR };
static const struct pol pol_devs = POL(ty_devs, NULL);
static const uint8_t ty_hook[] = {
	[NFTA_HOOK_HOOKNUM] = U32, [NFTA_HOOK_PRIORITY] = U32, [NFTA_HOOK_DEV] = STR,
	[NFTA_HOOK_DEVS] = NEST,
};
static const struct pol *const sub_hook[] = { [NFTA_HOOK_DEVS] = &pol_devs };
static const struct pol pol_hook = POL(ty_hook, sub_hook);
static const uint8_t ty_counters[] = { [NFTA_COUNTER_BYTES] = U64, [NFTA_COUNTER_PACKETS] = U64 };
static const struct pol pol_counters = POL(ty_counters, NULL);
static const uint8_t ty_chain[] = {
	[NFTA_CHAIN_TABLE] = STR, [NFTA_CHAIN_HANDLE] = U64, [NFTA_CHAIN_NAME] = STR,
	[NFTA_CHAIN_HOOK] = NEST, [NFTA_CHAIN_POLICY] = U32, [NFTA_CHAIN_USE] = U32,
	[NFTA_CHAIN_TYPE] = STR, [NFTA_CHAIN_COUNTERS] = NEST, [NFTA_CHAIN_FLAGS] = U32,
	[NFTA_CHAIN_ID] = U32, [NFTA_CHAIN_USERDATA] = BIN,
};
static const struct pol *const sub_chain[] = {
	[NFTA_CHAIN_HOOK] = &pol_hook, [NFTA_CHAIN_COUNTERS] = &pol_counters,
};
static const struct pol pol_chain = POL(ty_chain, sub_chain);

static const uint8_t ty_field[] = { [NFTA_SET_FIELD_LEN] = U32 };
static const struct pol pol_field = POL(ty_field, NULL);
static const struct pol pol_fields = { LIST, NULL, 0, (const struct pol *const[]){ &pol_field } };
static const uint8_t ty_desc[] = { [NFTA_SET_DESC_SIZE] = U32, [NFTA_SET_DESC_CONCAT] = NEST };
static const struct pol *const sub_desc[] = { [NFTA_SET_DESC_CONCAT] = &pol_fields };
static const struct pol pol_desc = POL(ty_desc, sub_desc);
static const uint8_t ty_set[] = {
	[NFTA_SET_TABLE] = STR, [NFTA_SET_NAME] = STR, [NFTA_SET_FLAGS] = U32,
	[NFTA_SET_KEY_TYPE] = U32, [NFTA_SET_KEY_LEN] = U32, [NFTA_SET_DATA_TYPE] = U32,
	[NFTA_SET_DATA_LEN] = U32, [NFTA_SET_POLICY] = U32, [NFTA_SET_DESC] = NEST,
	[NFTA_SET_ID] = U32, [NFTA_SET_TIMEOUT] = U64, [NFTA_SET_GC_INTERVAL] = U32,
	[NFTA_SET_USERDATA] = BIN, [NFTA_SET_OBJ_TYPE] = U32, [NFTA_SET_HANDLE] = U64,
	[NFTA_SET_EXPR] = NEST, [NFTA_SET_EXPRESSIONS] = NEST,
};
static const struct pol *const sub_set[] = {
	[NFTA_SET_DESC] = &pol_desc, [NFTA_SET_EXPR] = &pol_expr,
	[NFTA_SET_EXPRESSIONS] = &pol_exprs,
};
static const struct pol pol_set = POL(ty_set, sub_set);

static const uint8_t ty_elem[] = {
	[NFTA_SET_ELEM_KEY] = NEST, [NFTA_SET_ELEM_DATA] = NEST, [NFTA_SET_ELEM_FLAGS] = U32,
	[NFTA_SET_ELEM_TIMEOUT] = U64, [NFTA_SET_ELEM_EXPIRATION] = U64,
	[NFTA_SET_ELEM_USERDATA] = BIN, [NFTA_SET_ELEM_EXPR] = NEST,
	[NFTA_SET_ELEM_OBJREF] = STR, [NFTA_SET_ELEM_KEY_END] = NEST,
	[NFTA_SET_ELEM_EXPRESSIONS] = NEST,
};
static const struct pol *const sub_elem[] = {
	[NFTA_SET_ELEM_KEY] = &pol_data, [NFTA_SET_ELEM_DATA] = &pol_data,
	[NFTA_SET_ELEM_EXPR] = &pol_expr, [NFTA_SET_ELEM_KEY_END] = &pol_data,
	[NFTA_SET_ELEM_EXPRESSIONS] = &pol_exprs,
};
static const struct pol pol_elem = POL(ty_elem, sub_elem);
static const struct pol pol_elems = { LIST, NULL, 0, (const struct pol *const[]){ &pol_elem } };
static const uint8_t ty_elem_list[] = {
	[NFTA_SET_ELEM_LIST_TABLE] = STR, [NFTA_SET_ELEM_LIST_SET] = STR,
	[NFTA_SET_ELEM_LIST_ELEMENTS] = NEST, [NFTA_SET_ELEM_LIST_SET_ID] = U32,
};
static const struct pol *const sub_elem_list[] = { [NFTA_SET_ELEM_LIST_ELEMENTS] = &pol_elems };
static const struct pol pol_elem_list = POL(ty_elem_list, sub_elem_list);

static const uint8_t ty_compat[] = { [NFTA_RULE_COMPAT_PROTO] = U32, [NFTA_RULE_COMPAT_FLAGS] = U32 };
static const struct pol pol_compat = POL(ty_compat, NULL);
static const uint8_t ty_rule[] = {
	[NFTA_RULE_TABLE] = STR, [NFTA_RULE_CHAIN] = STR, [NFTA_RULE_HANDLE] = U64,
	[NFTA_RULE_EXPRESSIONS] = NEST, [NFTA_RULE_COMPAT] = NEST, [NFTA_RULE_POSITION] = U64,
	[NFTA_RULE_USERDATA] = BIN, [NFTA_RULE_ID] = U32, [NFTA_RULE_POSITION_ID] = U32,
	[NFTA_RULE_CHAIN_ID] = U32,
};
static const struct pol *const sub_rule[] = {
	[NFTA_RULE_EXPRESSIONS] = &pol_exprs, [NFTA_RULE_COMPAT] = &pol_compat,
};
static const struct pol pol_rule = POL(ty_rule, sub_rule);

static const uint8_t ty_gen[] = { [NFTA_GEN_ID] = U32, [NFTA_GEN_PROC_PID] = U32,
				  [NFTA_GEN_PROC_NAME] = STR };
static const struct pol pol_gen = POL(ty_gen, NULL);

struct walk {
	const struct pol *pol;
	const struct nlattr *name, *data;	/* EXPR */
	const struct nlattr *code, *chain;	/* pol_verdict */
	bool ok;
};

static bool nested_ok(const struct nlattr *a, const struct pol *p);

static int attr_cb(const struct nlattr *a, void *arg)
{
	struct walk *w = arg;
	const struct pol *p = w->pol;
	uint16_t t = nft_at_type(a);
	uint8_t ty = t < p->ntypes ? p->types[t] : MNL_TYPE_UNSPEC;

	if (p == &pol_verdict && t == NFTA_VERDICT_CODE)
		w->code = a;
	if (p == &pol_verdict && t == NFTA_VERDICT_CHAIN)
		w->chain = a;
	if (p->shape == LIST) {
		/* libnftnl reads every list entry as an element. */
		w->ok = w->ok && nft_at_valid(a, MNL_TYPE_NESTED) && nested_ok(a, p->sub[0]);
	} else if (p->shape == EXPR) {
		if (t == NFTA_EXPR_NAME)
			w->name = a;
		else if (t == NFTA_EXPR_DATA)
			w->data = a;
	} else if (ty != MNL_TYPE_UNSPEC) {
		if (!nft_at_valid(a, (enum mnl_attr_data_type)ty))
			w->ok = false;
		else if (ty == MNL_TYPE_NESTED)
			w->ok = w->ok && nested_ok(a, p->sub && p->sub[t] ? p->sub[t] : &pol_data);
	}
	return MNL_CB_OK;
}

/* An expression: a name, and data of the types its expression type has. */
static bool expr_ok(const struct walk *w)
{
	struct pol p = { PLAIN, NULL, 0, NULL };

	if (!w->name || !nft_at_valid(w->name, MNL_TYPE_NUL_STRING) ||
	    (w->data && !nft_at_valid(w->data, MNL_TYPE_NESTED)))
		return false;
	if (!w->data)
		return true;
	p.types = nft_expr_types(nft_at_data(w->name), &p.ntypes);
	/* Nested values in an expression are nft data (NFTA_DATA_*). */
	if (p.types)
		return nested_ok(w->data, &p);
	for (size_t i = 0; i < ARRAY_LEN(exprs_libnftnl); i++)
		if (!strcmp(exprs_libnftnl[i].name, nft_at_data(w->name)))
			return nested_ok(w->data, &exprs_libnftnl[i].pol);
	return true;	/* a type libnftnl does not know: it refuses the rule */
}

static bool nested_ok(const struct nlattr *a, const struct pol *p)
{
	struct walk w = { .pol = p, .ok = true };
	const struct nlattr *x;

	nft_at_for_each_nested(x, a)
		attr_cb(x, &w);	/* always MNL_CB_OK: no early end */
	if (!w.ok)
		return false;
	/* libnftnl strdup()s the chain of a jump or goto it was not given. */
	if (w.code && !w.chain && (ntohl(mnl_attr_get_u32(w.code)) == (uint32_t)NFT_JUMP ||
				   ntohl(mnl_attr_get_u32(w.code)) == (uint32_t)NFT_GOTO))
		return false;
	return p->shape != EXPR || expr_ok(&w);
}

bool nft_msg_ok(const struct nlmsghdr *nlh)
{
	static const struct { uint8_t msg; const struct pol *pol; } msgs[] = {
		{ NFT_MSG_NEWTABLE, &pol_table }, { NFT_MSG_NEWCHAIN, &pol_chain },
		{ NFT_MSG_NEWSET, &pol_set }, { NFT_MSG_NEWSETELEM, &pol_elem_list },
		{ NFT_MSG_NEWRULE, &pol_rule }, { NFT_MSG_NEWGEN, &pol_gen },
		/* Notifications of deletions carry what the dump would. */
		{ NFT_MSG_DELTABLE, &pol_table }, { NFT_MSG_DELCHAIN, &pol_chain },
		{ NFT_MSG_DELSET, &pol_set }, { NFT_MSG_DELSETELEM, &pol_elem_list },
		{ NFT_MSG_DELRULE, &pol_rule },
	};
	struct walk w = { .ok = true };

	for (size_t i = 0; i < ARRAY_LEN(msgs) && !w.pol; i++)
		if (msgs[i].msg == NFNL_MSG_TYPE(nlh->nlmsg_type))
			w.pol = msgs[i].pol;
	if (!w.pol)
		return true;
	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), attr_cb, &w) < 0)
		return false;
	return w.ok;
}
