/*
 * The flow evaluator (agent/core/fw.c) over rulesets built from the input:
 * tables of family ip, inet or ip6; base and regular chains that jump and
 * goto each other (loops included), rules of any expressions with any
 * registers, sets and verdict maps with elements.  Every field stays within
 * what netlink/nft.c can hand over (byte strings of at most 64 bytes, set
 * keys of at most 64, element indexes in range, ranges sorted); anything
 * within that must be evaluated and rendered without a crash, a hang or a
 * verdict outside the enum.
 */
#include <stdio.h>
#include <stdlib.h>

#include <linux/netfilter.h>

#include "agent/core/fw.h"
#include "netlink/nft.h"
#include "tests/fuzz/fuzz.h"

#define MAX_TABLES 2
#define MAX_CHAINS 5
#define MAX_SETS 3
#define MAX_RULES 5
#define MAX_EXPRS 6
#define MAX_ELEMS 5

static char *name_of(const char *prefix, unsigned n)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%s%u", prefix, n);
	return strdup(buf);
}

/* Mostly valid registers, some of every other kind. */
static uint32_t reg(struct fz *f)
{
	uint8_t v = fz_u8(f);

	if (v < 128)
		return NFT_REG_1 + v % 4;
	if (v < 224)
		return NFT_REG32_00 + v % 16;
	return v % 2 ? NFT_REG_VERDICT : v;
}

static void bytes(struct fz *f, struct nft_bytes *b)
{
	b->len = (uint8_t)fz_bytes(f, b->b, sizeof(b->b));
}

static int32_t verdict(struct fz *f)
{
	static const int32_t codes[] = {
		NF_ACCEPT, NF_DROP, NFT_JUMP, NFT_GOTO, NFT_RETURN, NFT_CONTINUE, NFT_BREAK, NF_QUEUE,
	};

	return codes[fz_u8(f) % 8];
}

static void expr_match(struct fz *f, struct nft_expr *e, uint8_t k)
{
	switch (k) {
	case NFT_EXPR_PAYLOAD:
		e->u.payload = (typeof(e->u.payload)){ fz_u8(f) % 4, fz_u8(f) % 24, fz_u8(f) % 24,
						       reg(f), fz_u8(f) < 16 ? reg(f) : 0 };
		break;
	case NFT_EXPR_CMP:
		e->u.cmp.sreg = reg(f);
		e->u.cmp.op = fz_u8(f) % 7;
		bytes(f, &e->u.cmp.data);
		break;
	case NFT_EXPR_BITWISE:
		e->u.bitwise.sreg = reg(f);
		e->u.bitwise.dreg = reg(f);
		e->u.bitwise.len = fz_u8(f) % 20;
		e->u.bitwise.op = fz_u8(f) % 3;
		bytes(f, &e->u.bitwise.mask);
		bytes(f, &e->u.bitwise.xor);
		bytes(f, &e->u.bitwise.data);
		break;
	case NFT_EXPR_BYTEORDER:
		e->u.byteorder = (typeof(e->u.byteorder)){ reg(f), reg(f), fz_u8(f) % 2,
							   fz_u8(f) % 20, fz_u8(f) % 9 };
		break;
	case NFT_EXPR_RANGE:
		e->u.range.sreg = reg(f);
		e->u.range.op = fz_u8(f) % 3;
		bytes(f, &e->u.range.from);
		bytes(f, &e->u.range.to);
		break;
	case NFT_EXPR_LOOKUP:
		e->u.lookup = (typeof(e->u.lookup)){ reg(f), reg(f), fz_u8(f) % 2, 0, fz_u8(f) % 2 };
		e->str = name_of("s", fz_u8(f) % (MAX_SETS + 1));
		break;
	case NFT_EXPR_META:
		e->u.meta = (typeof(e->u.meta)){ fz_u8(f) % 32, reg(f), fz_u8(f) < 32 };
		break;
	case NFT_EXPR_FIB:
		e->u.fib = (typeof(e->u.fib)){ reg(f), fz_u8(f) % 4, fz_u8(f) % 64 };
		break;
	case NFT_EXPR_CT:
		e->u.ct = (typeof(e->u.ct)){ fz_u8(f) % 32, reg(f), fz_u8(f) % 2, fz_u8(f) < 64,
					     fz_u8(f) < 32 };
		break;
	}
}

static void expr_action(struct fz *f, struct nft_expr *e, uint8_t k)
{
	static const char *const xt[] = {
		"conntrack", "tcp", "addrtype", "mark", "state", "comment", "MASQUERADE", "SNAT",
		"DNAT", "REJECT", "LOG", "MARK", "other",
	};
	uint8_t info[64];

	switch (k) {
	case NFT_EXPR_LIMIT:
		e->u.limit = (typeof(e->u.limit)){ fz_u32(f), fz_u8(f) % 8 * 60, 0, fz_u8(f) % 2,
						   fz_u8(f) % 2 };
		break;
	case NFT_EXPR_IMMEDIATE:
		e->u.imm.dreg = fz_u8(f) < 160 ? NFT_REG_VERDICT : reg(f);
		e->u.imm.verdict = verdict(f);
		bytes(f, &e->u.imm.data);
		if (e->u.imm.verdict == NFT_JUMP || e->u.imm.verdict == NFT_GOTO)
			e->str = name_of("c", fz_u8(f) % (MAX_CHAINS + 1));
		break;
	case NFT_EXPR_REJECT:
		e->u.reject.type = fz_u8(f) % 3;
		break;
	case NFT_EXPR_NAT:
		e->u.nat = (typeof(e->u.nat)){ fz_u8(f) % 3, fz_u8(f) % 12, fz_u8(f) % 2 ? reg(f) : 0,
					       0, fz_u8(f) % 2 ? reg(f) : 0, 0, 0 };
		break;
	case NFT_EXPR_MATCH:
	case NFT_EXPR_TARGET:
		e->str = strdup(xt[fz_u8(f) % (sizeof(xt) / sizeof(xt[0]))]);
		e->u.xt.rev = fz_u8(f) % 4;
		if ((e->infolen = fz_bytes(f, info, sizeof(info))) && (e->info = malloc(e->infolen)))
			memcpy(e->info, info, e->infolen);
		else
			e->infolen = 0;
		break;
	}
}

static void make_rule(struct fz *f, struct nft_rule *r, uint64_t handle)
{
	r->handle = handle;
	r->nexprs = 1 + fz_u8(f) % MAX_EXPRS;
	if (!(r->exprs = calloc(r->nexprs, sizeof(*r->exprs)))) {
		r->nexprs = 0;
		return;
	}
	if (fz_u8(f) < 16)
		r->comment = strdup("fuzz");
	for (size_t i = 0; i < r->nexprs; i++) {
		struct nft_expr *e = &r->exprs[i];
		uint8_t k = fz_u8(f) % (NFT_EXPR_NOTRACK + 1);

		e->kind = (enum nft_expr_kind)k;
		snprintf(e->name, sizeof(e->name), "e%u", k);
		expr_match(f, e, k);
		expr_action(f, e, k);
	}
}

static void make_chain(struct fz *f, struct nft_chain *c, unsigned i, uint64_t *handle)
{
	static const char *const types[] = { "filter", "nat", "route" };

	snprintf(c->name, sizeof(c->name), "c%u", i);
	c->base = fz_u8(f) % 3 != 0;
	if (c->base) {
		snprintf(c->type, sizeof(c->type), "%s", types[fz_u8(f) % 3]);
		c->hooknum = fz_u8(f) % 5;
		c->prio = (int8_t)fz_u8(f) * 2;
		c->policy = fz_u8(f) % 4 ? NF_ACCEPT : NF_DROP;
	}
	c->nrules = fz_u8(f) % (MAX_RULES + 1);
	if (!(c->rules = calloc(c->nrules ? c->nrules : 1, sizeof(*c->rules))))
		c->nrules = 0;
	for (size_t r = 0; r < c->nrules; r++)
		make_rule(f, &c->rules[r], ++*handle);
}

static int range_cmp(const void *a, const void *b)
{
	const struct nft_range *x = a, *y = b;

	return memcmp(x->lo.b, y->lo.b, sizeof(x->lo.b));
}

static void make_set(struct fz *f, struct nft_set *s, unsigned i)
{
	static const uint32_t flags[] = {
		0, NFT_SET_INTERVAL, NFT_SET_MAP, NFT_SET_ANONYMOUS | NFT_SET_MAP,
		NFT_SET_ANONYMOUS | NFT_SET_INTERVAL, NFT_SET_CONCAT | NFT_SET_INTERVAL,
		NFT_SET_ANONYMOUS, NFT_SET_TIMEOUT,
	};

	snprintf(s->name, sizeof(s->name), "s%u", i);
	s->flags = flags[fz_u8(f) % 8];
	s->key_len = fz_u8(f) % (NFT_DATA_VALUE_MAXLEN + 1);
	s->data_type = fz_u8(f) % 2 ? NFT_DATA_VERDICT : 0;
	s->data_len = fz_u8(f) % 17;
	s->nelems = fz_u8(f) % (MAX_ELEMS + 1);
	s->elems = calloc(s->nelems ? s->nelems : 1, sizeof(*s->elems));
	s->ranges = calloc(s->nelems ? s->nelems : 1, sizeof(*s->ranges));
	if (!s->elems || !s->ranges) {
		s->nelems = 0;
		return;
	}
	for (size_t e = 0; e < s->nelems; e++) {
		struct nft_elem *el = &s->elems[e];

		bytes(f, &el->key);
		el->verdict = verdict(f);
		if (el->verdict == NFT_JUMP || el->verdict == NFT_GOTO)
			el->chain = name_of("c", fz_u8(f) % (MAX_CHAINS + 1));
		bytes(f, &el->data);
		s->ranges[e] = (struct nft_range){ .lo = el->key, .hi = el->key, .elem = e };
		if (fz_u8(f) % 2)
			bytes(f, &s->ranges[e].hi);
	}
	s->nranges = s->nelems;
	qsort(s->ranges, s->nranges, sizeof(*s->ranges), range_cmp);
}

static struct nft_ruleset *make_ruleset(struct fz *f)
{
	static const uint32_t families[] = { NFPROTO_IPV4, NFPROTO_INET, NFPROTO_IPV6 };
	struct nft_ruleset *rs = nft_ruleset_new();
	uint64_t handle = 0;

	if (!rs)
		return NULL;
	rs->ntables = 1 + fz_u8(f) % MAX_TABLES;
	if (!(rs->tables = calloc(rs->ntables, sizeof(*rs->tables)))) {
		rs->ntables = 0;
		return rs;
	}
	for (size_t i = 0; i < rs->ntables; i++) {
		struct nft_table *t = &rs->tables[i];

		t->family = families[fz_u8(f) % 3];
		snprintf(t->name, sizeof(t->name), "t%zu", i);
		t->flags = fz_u8(f) < 8 ? NFT_TABLE_F_DORMANT : 0;
		t->nsets = fz_u8(f) % (MAX_SETS + 1);
		t->nchains = 1 + fz_u8(f) % MAX_CHAINS;
		t->sets = calloc(t->nsets ? t->nsets : 1, sizeof(*t->sets));
		t->chains = calloc(t->nchains, sizeof(*t->chains));
		if (!t->sets || !t->chains) {
			t->nsets = t->nchains = 0;
			continue;
		}
		for (size_t s = 0; s < t->nsets; s++)
			make_set(f, &t->sets[s], (unsigned)s);
		for (size_t c = 0; c < t->nchains; c++)
			make_chain(f, &t->chains[c], (unsigned)c, &handle);
	}
	return rs;
}

static void check(const struct fw_result *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned)r[i].verdict > FW_UNKNOWN || !memchr(r[i].rule, '\0', sizeof(r[i].rule)) ||
		    !memchr(r[i].reason, '\0', sizeof(r[i].reason)) ||
		    (r[i].verdict == FW_UNKNOWN && !r[i].reason[0]))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct addr4 addrs[] = {
		{ .ifindex = 1, .local = 0x7f000001, .len = 8 },
		{ .ifindex = 2, .local = 0xac120002, .len = 16 },
	};
	static const struct fw_ctx ctx = { addrs, 2, NULL };
	struct fz f = { data, size };
	struct nft_ruleset *rs = make_ruleset(&f);
	struct fw_result out[3];
	struct fw_flow flow;

	if (!rs)
		return 0;
	fw_flow_init(&flow, fz_u32(&f), fz_u32(&f), (uint16_t)fz_u32(&f));
	snprintf(flow.iifname, sizeof(flow.iifname), "%s", fz_u8(&f) % 2 ? "veth1" : "");
	snprintf(flow.oifname, sizeof(flow.oifname), "%s", fz_u8(&f) % 2 ? "eth0" : "");
	flow.iif = fz_u8(&f) % 4;
	flow.oif = fz_u8(&f) % 4;
	flow.mark = fz_u8(&f) < 32 ? fz_u32(&f) : 0;
	flow.l4proto = fz_u8(&f) < 32 ? 17 : 6;
	check(out, fw_eval_forward(rs, &ctx, &flow, out));
	check(out, fw_eval_local(rs, &ctx, &flow, out));
	if (fw_eval_hook(rs, &ctx, &flow, FW_HOOK_INPUT, &out[0]) == 0)
		check(out, 1);
	nft_ruleset_free(rs);
	return 0;
}
