/*
 * nftables expressions into struct nft_expr: one table, one row per
 * expression type, with its kind, how the libnftnl path reads it, how the
 * direct-attribute path reads it (when it does) and the attribute types
 * nft_expr_data_ok() checks before libnftnl sees them.  The two paths fill
 * the same fields; the unit tests and tests/fuzz/fuzz_nft.c compare them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_tables_compat.h>

#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>

#include "netlink/nft_int.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define ATTR_MAX 16		/* above every NFTA_*_MAX of the types read here */

/* One expression's attributes by type, NULL when absent. */
struct attrs {
	const struct nlattr *tb[ATTR_MAX + 1];
};

struct expr_type {
	const char *name;
	enum nft_expr_kind kind;
	/* the libnftnl path; NULL: the kind alone */
	int (*nftnl)(struct nft_expr *e, const struct nftnl_expr *ne);
	/* the direct path; NULL: left to libnftnl */
	bool (*attr)(struct nft_expr *e, const struct attrs *a);
	const uint8_t *types;	/* MNL_TYPE_* per attribute, as libnftnl checks */
	size_t ntypes;
};

/* ---- the libnftnl path ----------------------------------------------- */

static uint32_t nl_u32(const struct nftnl_expr *ne, uint16_t attr)
{
	return nftnl_expr_is_set(ne, attr) ? nftnl_expr_get_u32(ne, attr) : 0;
}

static void nl_bytes(const struct nftnl_expr *ne, uint16_t attr, struct nft_bytes *b)
{
	uint32_t len = 0;
	const void *p = nftnl_expr_get(ne, attr, &len);

	nft_bytes_set(b, p, len);
}

static int nl_strdup(struct nft_expr *e, const struct nftnl_expr *ne, uint16_t attr)
{
	const char *s = nftnl_expr_is_set(ne, attr) ? nftnl_expr_get_str(ne, attr) : NULL;

	if (s && !(e->str = strdup(s)))
		return -ENOMEM;
	return 0;
}

static int nl_payload(struct nft_expr *e, const struct nftnl_expr *ne)
{
	e->u.payload.base = nl_u32(ne, NFTNL_EXPR_PAYLOAD_BASE);
	e->u.payload.offset = nl_u32(ne, NFTNL_EXPR_PAYLOAD_OFFSET);
	e->u.payload.len = nl_u32(ne, NFTNL_EXPR_PAYLOAD_LEN);
	e->u.payload.dreg = nl_u32(ne, NFTNL_EXPR_PAYLOAD_DREG);
	e->u.payload.sreg = nl_u32(ne, NFTNL_EXPR_PAYLOAD_SREG);
	return 0;
}

static int nl_cmp(struct nft_expr *e, const struct nftnl_expr *ne)
{
	e->u.cmp.sreg = nl_u32(ne, NFTNL_EXPR_CMP_SREG);
	e->u.cmp.op = nl_u32(ne, NFTNL_EXPR_CMP_OP);
	nl_bytes(ne, NFTNL_EXPR_CMP_DATA, &e->u.cmp.data);
	return 0;
}

static int nl_bitwise(struct nft_expr *e, const struct nftnl_expr *ne)
{
	e->u.bitwise.sreg = nl_u32(ne, NFTNL_EXPR_BITWISE_SREG);
	e->u.bitwise.dreg = nl_u32(ne, NFTNL_EXPR_BITWISE_DREG);
	e->u.bitwise.len = nl_u32(ne, NFTNL_EXPR_BITWISE_LEN);
	e->u.bitwise.op = nl_u32(ne, NFTNL_EXPR_BITWISE_OP);
	nl_bytes(ne, NFTNL_EXPR_BITWISE_MASK, &e->u.bitwise.mask);
	nl_bytes(ne, NFTNL_EXPR_BITWISE_XOR, &e->u.bitwise.xor);
	nl_bytes(ne, NFTNL_EXPR_BITWISE_DATA, &e->u.bitwise.data);
	return 0;
}

static int nl_byteorder(struct nft_expr *e, const struct nftnl_expr *ne)
{
	e->u.byteorder.sreg = nl_u32(ne, NFTNL_EXPR_BYTEORDER_SREG);
	e->u.byteorder.dreg = nl_u32(ne, NFTNL_EXPR_BYTEORDER_DREG);
	e->u.byteorder.op = nl_u32(ne, NFTNL_EXPR_BYTEORDER_OP);
	e->u.byteorder.len = nl_u32(ne, NFTNL_EXPR_BYTEORDER_LEN);
	e->u.byteorder.size = nl_u32(ne, NFTNL_EXPR_BYTEORDER_SIZE);
	return 0;
}

static int nl_range(struct nft_expr *e, const struct nftnl_expr *ne)
{
	e->u.range.sreg = nl_u32(ne, NFTNL_EXPR_RANGE_SREG);
	e->u.range.op = nl_u32(ne, NFTNL_EXPR_RANGE_OP);
	nl_bytes(ne, NFTNL_EXPR_RANGE_FROM_DATA, &e->u.range.from);
	nl_bytes(ne, NFTNL_EXPR_RANGE_TO_DATA, &e->u.range.to);
	return 0;
}

static int nl_meta(struct nft_expr *e, const struct nftnl_expr *ne)
{
	e->u.meta.key = nl_u32(ne, NFTNL_EXPR_META_KEY);
	e->u.meta.set = nftnl_expr_is_set(ne, NFTNL_EXPR_META_SREG);
	e->u.meta.reg = nl_u32(ne, e->u.meta.set ? NFTNL_EXPR_META_SREG : NFTNL_EXPR_META_DREG);
	return 0;
}

static int nl_fib(struct nft_expr *e, const struct nftnl_expr *ne)
{
	e->u.fib.dreg = nl_u32(ne, NFTNL_EXPR_FIB_DREG);
	e->u.fib.result = nl_u32(ne, NFTNL_EXPR_FIB_RESULT);
	e->u.fib.flags = nl_u32(ne, NFTNL_EXPR_FIB_FLAGS);
	return 0;
}

static int nl_ct(struct nft_expr *e, const struct nftnl_expr *ne)
{
	e->u.ct.key = nl_u32(ne, NFTNL_EXPR_CT_KEY);
	e->u.ct.set = nftnl_expr_is_set(ne, NFTNL_EXPR_CT_SREG);
	e->u.ct.reg = nl_u32(ne, e->u.ct.set ? NFTNL_EXPR_CT_SREG : NFTNL_EXPR_CT_DREG);
	e->u.ct.has_dir = nftnl_expr_is_set(ne, NFTNL_EXPR_CT_DIR);
	if (e->u.ct.has_dir)
		e->u.ct.dir = nftnl_expr_get_u8(ne, NFTNL_EXPR_CT_DIR);
	return 0;
}

static int nl_lookup(struct nft_expr *e, const struct nftnl_expr *ne)
{
	e->u.lookup.sreg = nl_u32(ne, NFTNL_EXPR_LOOKUP_SREG);
	e->u.lookup.has_dreg = nftnl_expr_is_set(ne, NFTNL_EXPR_LOOKUP_DREG);
	e->u.lookup.dreg = nl_u32(ne, NFTNL_EXPR_LOOKUP_DREG);
	e->u.lookup.flags = nl_u32(ne, NFTNL_EXPR_LOOKUP_FLAGS);
	e->u.lookup.set_id = nl_u32(ne, NFTNL_EXPR_LOOKUP_SET_ID);
	return nl_strdup(e, ne, NFTNL_EXPR_LOOKUP_SET);
}

static int nl_immediate(struct nft_expr *e, const struct nftnl_expr *ne)
{
	e->u.imm.dreg = nl_u32(ne, NFTNL_EXPR_IMM_DREG);
	e->u.imm.verdict = (int32_t)nl_u32(ne, NFTNL_EXPR_IMM_VERDICT);
	nl_bytes(ne, NFTNL_EXPR_IMM_DATA, &e->u.imm.data);
	return nl_strdup(e, ne, NFTNL_EXPR_IMM_CHAIN);
}

static int nl_log(struct nft_expr *e, const struct nftnl_expr *ne)
{
	e->u.log.level = nl_u32(ne, NFTNL_EXPR_LOG_LEVEL);
	if (nftnl_expr_is_set(ne, NFTNL_EXPR_LOG_GROUP))
		e->u.log.group = nftnl_expr_get_u16(ne, NFTNL_EXPR_LOG_GROUP);
	return nl_strdup(e, ne, NFTNL_EXPR_LOG_PREFIX);
}

static int nl_limit(struct nft_expr *e, const struct nftnl_expr *ne)
{
	if (nftnl_expr_is_set(ne, NFTNL_EXPR_LIMIT_RATE))
		e->u.limit.rate = nftnl_expr_get_u64(ne, NFTNL_EXPR_LIMIT_RATE);
	if (nftnl_expr_is_set(ne, NFTNL_EXPR_LIMIT_UNIT))
		e->u.limit.unit = nftnl_expr_get_u64(ne, NFTNL_EXPR_LIMIT_UNIT);
	e->u.limit.burst = nl_u32(ne, NFTNL_EXPR_LIMIT_BURST);
	e->u.limit.type = nl_u32(ne, NFTNL_EXPR_LIMIT_TYPE);
	e->u.limit.flags = nl_u32(ne, NFTNL_EXPR_LIMIT_FLAGS);
	return 0;
}

static int nl_reject(struct nft_expr *e, const struct nftnl_expr *ne)
{
	e->u.reject.type = nl_u32(ne, NFTNL_EXPR_REJECT_TYPE);
	if (nftnl_expr_is_set(ne, NFTNL_EXPR_REJECT_CODE))
		e->u.reject.code = nftnl_expr_get_u8(ne, NFTNL_EXPR_REJECT_CODE);
	return 0;
}

static int nl_masq(struct nft_expr *e, const struct nftnl_expr *ne)
{
	e->u.masq.flags = nl_u32(ne, NFTNL_EXPR_MASQ_FLAGS);
	e->u.masq.reg_proto_min = nl_u32(ne, NFTNL_EXPR_MASQ_REG_PROTO_MIN);
	e->u.masq.reg_proto_max = nl_u32(ne, NFTNL_EXPR_MASQ_REG_PROTO_MAX);
	return 0;
}

static int nl_redir(struct nft_expr *e, const struct nftnl_expr *ne)
{
	e->u.masq.flags = nl_u32(ne, NFTNL_EXPR_REDIR_FLAGS);
	e->u.masq.reg_proto_min = nl_u32(ne, NFTNL_EXPR_REDIR_REG_PROTO_MIN);
	e->u.masq.reg_proto_max = nl_u32(ne, NFTNL_EXPR_REDIR_REG_PROTO_MAX);
	return 0;
}

static int nl_nat(struct nft_expr *e, const struct nftnl_expr *ne)
{
	e->u.nat.type = nl_u32(ne, NFTNL_EXPR_NAT_TYPE);
	e->u.nat.family = nl_u32(ne, NFTNL_EXPR_NAT_FAMILY);
	e->u.nat.reg_addr_min = nl_u32(ne, NFTNL_EXPR_NAT_REG_ADDR_MIN);
	e->u.nat.reg_addr_max = nl_u32(ne, NFTNL_EXPR_NAT_REG_ADDR_MAX);
	e->u.nat.reg_proto_min = nl_u32(ne, NFTNL_EXPR_NAT_REG_PROTO_MIN);
	e->u.nat.reg_proto_max = nl_u32(ne, NFTNL_EXPR_NAT_REG_PROTO_MAX);
	e->u.nat.flags = nl_u32(ne, NFTNL_EXPR_NAT_FLAGS);
	return 0;
}

/* xt match and target: name, revision and the info bytes as the kernel
 * keeps them. */
static int nl_xt(struct nft_expr *e, const struct nftnl_expr *ne)
{
	bool mt = e->kind == NFT_EXPR_MATCH;
	uint32_t len = 0;
	const void *p;

	e->u.xt.rev = nl_u32(ne, mt ? NFTNL_EXPR_MT_REV : NFTNL_EXPR_TG_REV);
	if (nl_strdup(e, ne, mt ? NFTNL_EXPR_MT_NAME : NFTNL_EXPR_TG_NAME))
		return -ENOMEM;
	p = nftnl_expr_get(ne, mt ? NFTNL_EXPR_MT_INFO : NFTNL_EXPR_TG_INFO, &len);
	if (!p || !len)
		return 0;
	if (!(e->info = malloc(len)))
		return -ENOMEM;
	memcpy(e->info, p, len);
	e->infolen = len;
	return 0;
}

/* ---- the direct path ------------------------------------------------- */

/* The attributes nested in nest by type, the last of a type winning (as
 * mnl_attr_parse_nested() with a callback filling a table). */
static void at_parse(const struct nlattr *nest, struct attrs *at)
{
	const struct nlattr *a;

	nft_at_for_each_nested(a, nest)
		if (nft_at_type(a) <= ATTR_MAX)
			at->tb[nft_at_type(a)] = a;
}

/* A big-endian u32 attribute, 0 when absent (as nl_u32() reads libnftnl's). */
static uint32_t at_u32(const struct nlattr *a)
{
	uint32_t v;

	if (!a || nft_at_len(a) < 4)
		return 0;
	memcpy(&v, nft_at_data(a), 4);
	return ntohl(v);
}

static uint8_t at_u8(const struct nlattr *a)
{
	return a && nft_at_len(a) >= 1 ? *(const uint8_t *)nft_at_data(a) : 0;
}

/* Nested NFTA_DATA_VALUE into b; false when malformed. */
static bool at_data(const struct nlattr *a, struct nft_bytes *b)
{
	struct attrs in = { 0 };
	const struct nlattr *v;

	if (!a)
		return true;
	at_parse(a, &in);
	if (!(v = in.tb[NFTA_DATA_VALUE]) || nft_at_len(v) > sizeof(b->b))
		return false;
	nft_bytes_set(b, nft_at_data(v), nft_at_len(v));
	return true;
}

static bool at_str(const struct nlattr *a, char **out)
{
	if (!a)
		return true;
	if (!nft_at_valid(a, MNL_TYPE_NUL_STRING))
		return false;
	return (*out = strdup(nft_at_data(a))) != NULL;
}

static bool at_payload(struct nft_expr *e, const struct attrs *a)
{
	e->u.payload.base = at_u32(a->tb[NFTA_PAYLOAD_BASE]);
	e->u.payload.offset = at_u32(a->tb[NFTA_PAYLOAD_OFFSET]);
	e->u.payload.len = at_u32(a->tb[NFTA_PAYLOAD_LEN]);
	e->u.payload.dreg = at_u32(a->tb[NFTA_PAYLOAD_DREG]);
	e->u.payload.sreg = at_u32(a->tb[NFTA_PAYLOAD_SREG]);
	return true;
}

static bool at_cmp(struct nft_expr *e, const struct attrs *a)
{
	e->u.cmp.sreg = at_u32(a->tb[NFTA_CMP_SREG]);
	e->u.cmp.op = at_u32(a->tb[NFTA_CMP_OP]);
	return at_data(a->tb[NFTA_CMP_DATA], &e->u.cmp.data);
}

static bool at_bitwise(struct nft_expr *e, const struct attrs *a)
{
	e->u.bitwise.sreg = at_u32(a->tb[NFTA_BITWISE_SREG]);
	e->u.bitwise.dreg = at_u32(a->tb[NFTA_BITWISE_DREG]);
	e->u.bitwise.len = at_u32(a->tb[NFTA_BITWISE_LEN]);
	e->u.bitwise.op = at_u32(a->tb[NFTA_BITWISE_OP]);
	return at_data(a->tb[NFTA_BITWISE_MASK], &e->u.bitwise.mask) &&
	       at_data(a->tb[NFTA_BITWISE_XOR], &e->u.bitwise.xor) &&
	       at_data(a->tb[NFTA_BITWISE_DATA], &e->u.bitwise.data);
}

static bool at_meta(struct nft_expr *e, const struct attrs *a)
{
	e->u.meta.key = at_u32(a->tb[NFTA_META_KEY]);
	e->u.meta.set = a->tb[NFTA_META_SREG] != NULL;
	e->u.meta.reg = at_u32(a->tb[e->u.meta.set ? NFTA_META_SREG : NFTA_META_DREG]);
	return true;
}

/* Verdict or value of an immediate. */
static bool at_immediate(struct nft_expr *e, const struct attrs *a)
{
	struct attrs d = { 0 }, v = { 0 };
	const struct nlattr *code;

	e->u.imm.dreg = at_u32(a->tb[NFTA_IMMEDIATE_DREG]);
	if (!a->tb[NFTA_IMMEDIATE_DATA])
		return false;
	at_parse(a->tb[NFTA_IMMEDIATE_DATA], &d);
	if (d.tb[NFTA_DATA_VALUE])
		return at_data(a->tb[NFTA_IMMEDIATE_DATA], &e->u.imm.data);
	if (!d.tb[NFTA_DATA_VERDICT])
		return false;
	at_parse(d.tb[NFTA_DATA_VERDICT], &v);
	if (!(code = v.tb[NFTA_VERDICT_CODE]) || nft_at_len(code) != 4)
		return false;
	e->u.imm.verdict = (int32_t)at_u32(code);
	return at_str(v.tb[NFTA_VERDICT_CHAIN], &e->str);
}

static bool at_lookup(struct nft_expr *e, const struct attrs *a)
{
	e->u.lookup.sreg = at_u32(a->tb[NFTA_LOOKUP_SREG]);
	e->u.lookup.has_dreg = a->tb[NFTA_LOOKUP_DREG] != NULL;
	e->u.lookup.dreg = at_u32(a->tb[NFTA_LOOKUP_DREG]);
	e->u.lookup.flags = at_u32(a->tb[NFTA_LOOKUP_FLAGS]);
	e->u.lookup.set_id = at_u32(a->tb[NFTA_LOOKUP_SET_ID]);
	return at_str(a->tb[NFTA_LOOKUP_SET], &e->str);
}

static bool at_fib(struct nft_expr *e, const struct attrs *a)
{
	e->u.fib.dreg = at_u32(a->tb[NFTA_FIB_DREG]);
	e->u.fib.result = at_u32(a->tb[NFTA_FIB_RESULT]);
	e->u.fib.flags = at_u32(a->tb[NFTA_FIB_FLAGS]);
	return true;
}

static bool at_ct(struct nft_expr *e, const struct attrs *a)
{
	e->u.ct.key = at_u32(a->tb[NFTA_CT_KEY]);
	e->u.ct.set = a->tb[NFTA_CT_SREG] != NULL;
	e->u.ct.reg = at_u32(a->tb[e->u.ct.set ? NFTA_CT_SREG : NFTA_CT_DREG]);
	e->u.ct.has_dir = a->tb[NFTA_CT_DIRECTION] != NULL;
	e->u.ct.dir = at_u8(a->tb[NFTA_CT_DIRECTION]);
	return true;
}

static bool at_masq(struct nft_expr *e, const struct attrs *a)
{
	e->u.masq.flags = at_u32(a->tb[NFTA_MASQ_FLAGS]);
	e->u.masq.reg_proto_min = at_u32(a->tb[NFTA_MASQ_REG_PROTO_MIN]);
	e->u.masq.reg_proto_max = at_u32(a->tb[NFTA_MASQ_REG_PROTO_MAX]);
	return true;
}

static bool at_reject(struct nft_expr *e, const struct attrs *a)
{
	e->u.reject.type = at_u32(a->tb[NFTA_REJECT_TYPE]);
	e->u.reject.code = at_u8(a->tb[NFTA_REJECT_ICMP_CODE]);
	return true;
}

static bool at_none(struct nft_expr *e, const struct attrs *a)
{
	return true;
}

/* ---- the table ------------------------------------------------------- */

/* The attribute types libnftnl 1.2 checks (mnl_attr_validate) for each
 * expression, which are the kernel's own: be32 registers and values. */
#define U32 MNL_TYPE_U32
#define NEST MNL_TYPE_NESTED
static const uint8_t ty_payload[] = {
	[NFTA_PAYLOAD_DREG] = U32, [NFTA_PAYLOAD_BASE] = U32, [NFTA_PAYLOAD_OFFSET] = U32,
	[NFTA_PAYLOAD_LEN] = U32, [NFTA_PAYLOAD_SREG] = U32, [NFTA_PAYLOAD_CSUM_TYPE] = U32,
	[NFTA_PAYLOAD_CSUM_OFFSET] = U32, [NFTA_PAYLOAD_CSUM_FLAGS] = U32,
};
static const uint8_t ty_cmp[] = {
	[NFTA_CMP_SREG] = U32, [NFTA_CMP_OP] = U32, [NFTA_CMP_DATA] = NEST,
};
static const uint8_t ty_bitwise[] = {
	[NFTA_BITWISE_SREG] = U32, [NFTA_BITWISE_DREG] = U32, [NFTA_BITWISE_LEN] = U32,
	[NFTA_BITWISE_MASK] = NEST, [NFTA_BITWISE_XOR] = NEST, [NFTA_BITWISE_OP] = U32,
	[NFTA_BITWISE_DATA] = NEST,
};
static const uint8_t ty_byteorder[] = {
	[NFTA_BYTEORDER_SREG] = U32, [NFTA_BYTEORDER_DREG] = U32, [NFTA_BYTEORDER_OP] = U32,
	[NFTA_BYTEORDER_LEN] = U32, [NFTA_BYTEORDER_SIZE] = U32,
};
static const uint8_t ty_range[] = {
	[NFTA_RANGE_SREG] = U32, [NFTA_RANGE_OP] = U32, [NFTA_RANGE_FROM_DATA] = NEST,
	[NFTA_RANGE_TO_DATA] = NEST,
};
static const uint8_t ty_meta[] = {
	[NFTA_META_DREG] = U32, [NFTA_META_KEY] = U32, [NFTA_META_SREG] = U32,
};
static const uint8_t ty_fib[] = {
	[NFTA_FIB_DREG] = U32, [NFTA_FIB_RESULT] = U32, [NFTA_FIB_FLAGS] = U32,
};
static const uint8_t ty_ct[] = {
	[NFTA_CT_DREG] = U32, [NFTA_CT_KEY] = U32, [NFTA_CT_DIRECTION] = MNL_TYPE_U8,
	[NFTA_CT_SREG] = U32,
};
static const uint8_t ty_lookup[] = {
	[NFTA_LOOKUP_SET] = MNL_TYPE_NUL_STRING, [NFTA_LOOKUP_SREG] = U32, [NFTA_LOOKUP_DREG] = U32,
	[NFTA_LOOKUP_SET_ID] = U32, [NFTA_LOOKUP_FLAGS] = U32,
};
static const uint8_t ty_immediate[] = {
	[NFTA_IMMEDIATE_DREG] = U32, [NFTA_IMMEDIATE_DATA] = NEST,
};
static const uint8_t ty_log[] = {
	[NFTA_LOG_GROUP] = MNL_TYPE_U16, [NFTA_LOG_PREFIX] = MNL_TYPE_NUL_STRING,
	[NFTA_LOG_SNAPLEN] = U32, [NFTA_LOG_QTHRESHOLD] = MNL_TYPE_U16, [NFTA_LOG_LEVEL] = U32,
	[NFTA_LOG_FLAGS] = U32,
};
static const uint8_t ty_limit[] = {
	[NFTA_LIMIT_RATE] = MNL_TYPE_U64, [NFTA_LIMIT_UNIT] = MNL_TYPE_U64,
	[NFTA_LIMIT_BURST] = U32, [NFTA_LIMIT_TYPE] = U32, [NFTA_LIMIT_FLAGS] = U32,
};
static const uint8_t ty_reject[] = {
	[NFTA_REJECT_TYPE] = U32, [NFTA_REJECT_ICMP_CODE] = MNL_TYPE_U8,
};
static const uint8_t ty_masq[] = {
	[NFTA_MASQ_FLAGS] = U32, [NFTA_MASQ_REG_PROTO_MIN] = U32, [NFTA_MASQ_REG_PROTO_MAX] = U32,
};
static const uint8_t ty_redir[] = {
	[NFTA_REDIR_REG_PROTO_MIN] = U32, [NFTA_REDIR_REG_PROTO_MAX] = U32, [NFTA_REDIR_FLAGS] = U32,
};
static const uint8_t ty_nat[] = {
	[NFTA_NAT_TYPE] = U32, [NFTA_NAT_FAMILY] = U32, [NFTA_NAT_REG_ADDR_MIN] = U32,
	[NFTA_NAT_REG_ADDR_MAX] = U32, [NFTA_NAT_REG_PROTO_MIN] = U32,
	[NFTA_NAT_REG_PROTO_MAX] = U32, [NFTA_NAT_FLAGS] = U32,
};
static const uint8_t ty_xt[] = {
	[NFTA_MATCH_NAME] = MNL_TYPE_NUL_STRING, [NFTA_MATCH_REV] = U32,
	[NFTA_MATCH_INFO] = MNL_TYPE_BINARY,
};
static const uint8_t ty_counter[] = {
	[NFTA_COUNTER_BYTES] = MNL_TYPE_U64, [NFTA_COUNTER_PACKETS] = MNL_TYPE_U64,
};
#undef U32
#undef NEST

#define TY(a) a, ARRAY_LEN(a)
/* The common ones first: the lookup is a linear strcmp per expression. */
static const struct expr_type expr_types[] = {
	{ "payload", NFT_EXPR_PAYLOAD, nl_payload, at_payload, TY(ty_payload) },
	{ "cmp", NFT_EXPR_CMP, nl_cmp, at_cmp, TY(ty_cmp) },
	{ "immediate", NFT_EXPR_IMMEDIATE, nl_immediate, at_immediate, TY(ty_immediate) },
	{ "meta", NFT_EXPR_META, nl_meta, at_meta, TY(ty_meta) },
	{ "bitwise", NFT_EXPR_BITWISE, nl_bitwise, at_bitwise, TY(ty_bitwise) },
	{ "counter", NFT_EXPR_COUNTER, NULL, at_none, TY(ty_counter) },
	{ "lookup", NFT_EXPR_LOOKUP, nl_lookup, at_lookup, TY(ty_lookup) },
	{ "ct", NFT_EXPR_CT, nl_ct, at_ct, TY(ty_ct) },
	{ "fib", NFT_EXPR_FIB, nl_fib, at_fib, TY(ty_fib) },
	{ "masq", NFT_EXPR_MASQ, nl_masq, at_masq, TY(ty_masq) },
	{ "reject", NFT_EXPR_REJECT, nl_reject, at_reject, TY(ty_reject) },
	{ "byteorder", NFT_EXPR_BYTEORDER, nl_byteorder, NULL, TY(ty_byteorder) },
	{ "range", NFT_EXPR_RANGE, nl_range, NULL, TY(ty_range) },
	{ "log", NFT_EXPR_LOG, nl_log, NULL, TY(ty_log) },
	{ "limit", NFT_EXPR_LIMIT, nl_limit, NULL, TY(ty_limit) },
	{ "redir", NFT_EXPR_REDIR, nl_redir, NULL, TY(ty_redir) },
	{ "nat", NFT_EXPR_NAT, nl_nat, NULL, TY(ty_nat) },
	{ "match", NFT_EXPR_MATCH, nl_xt, NULL, TY(ty_xt) },
	{ "target", NFT_EXPR_TARGET, nl_xt, NULL, TY(ty_xt) },
	{ "notrack", NFT_EXPR_NOTRACK, NULL, NULL, NULL, 0 },
};
#undef TY

static const struct expr_type *expr_type(const char *name)
{
	/* Testing the first letter first spares most strcmp() calls. */
	for (size_t i = 0; name && i < ARRAY_LEN(expr_types); i++)
		if (expr_types[i].name[0] == name[0] && !strcmp(expr_types[i].name, name))
			return &expr_types[i];
	return NULL;
}

int nft_expr_from_nftnl(struct nft_expr *e, const struct nftnl_expr *ne)
{
	const struct expr_type *t;

	nft_copy_str(e->name, sizeof(e->name), nftnl_expr_get_str(ne, NFTNL_EXPR_NAME));
	e->kind = NFT_EXPR_UNKNOWN;
	if (!(t = expr_type(e->name)))
		return 0;
	e->kind = t->kind;
	return t->nftnl ? t->nftnl(e, ne) : 0;
}

int nft_expr_from_attr(struct nft_expr *e, const struct nlattr *elem)
{
	struct attrs x = { 0 }, d = { 0 };
	const struct expr_type *t;

	at_parse(elem, &x);
	if (!x.tb[NFTA_EXPR_NAME] || !nft_at_valid(x.tb[NFTA_EXPR_NAME], MNL_TYPE_NUL_STRING))
		return -EAGAIN;
	if (x.tb[NFTA_EXPR_DATA])
		at_parse(x.tb[NFTA_EXPR_DATA], &d);
	nft_copy_str(e->name, sizeof(e->name), nft_at_data(x.tb[NFTA_EXPR_NAME]));
	e->kind = NFT_EXPR_UNKNOWN;
	if (!(t = expr_type(e->name)) || !t->attr)
		return -EAGAIN;
	e->kind = t->kind;
	return t->attr(e, &d) ? 0 : -EAGAIN;
}

const uint8_t *nft_expr_types(const char *name, size_t *n)
{
	const struct expr_type *t = expr_type(name);

	*n = t ? t->ntypes : 0;
	return t ? t->types : NULL;
}
