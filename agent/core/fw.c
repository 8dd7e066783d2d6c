/*
 * Evaluates the nftables ruleset for one IPv4 flow the way nf_tables does:
 * a register machine over a synthesized packet, base chains of a hook by
 * priority, a jump stack, chain policies, and the NAT core's rule that only
 * the first NAT binding counts.  What it cannot know (a byte of the packet
 * it does not model, an expression it does not implement) stops the
 * evaluation with FW_UNKNOWN naming the rule: no guesses.  The deciding
 * rule is shown as nft prints it by fw_fmt.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/xt_addrtype.h>
#include <linux/netfilter/xt_mark.h>
#include <linux/netfilter/xt_state.h>
#include <linux/netfilter/xt_tcpudp.h>
#include <linux/rtnetlink.h>

#include "agent/core/fw.h"
#include "agent/core/fw_fmt.h"
#include "netlink/nft.h"

/* nf_tables: NFT_JUMP_STACK_SIZE; the kernel refuses deeper rulesets. */
#define FW_STACK 16
/* The NAT core hooks in at fixed priorities (NF_IP_PRI_NAT_DST/_SRC) and
 * runs the nat-type chains there, in their own priority order. */
#define FW_PRI_NAT_DST (-100)
#define FW_PRI_NAT_SRC 100
/* xt_conntrack.h's match flags; that header drags in linux/in.h. */
#define FW_XT_CT_STATE		(1u << 0)
#define FW_XT_CT_STATE_ALIAS	(1u << 13)

/* The verdicts of one rule or chain, on top of the kernel's codes. */
enum fw_step {
	FW_STEP_NEXT,		/* NFT_CONTINUE / NFT_BREAK: next rule */
	FW_STEP_VERDICT,	/* ev->code holds NF_ACCEPT, NF_DROP, NFT_JUMP, ... */
	FW_STEP_TERMINAL,	/* reject or NAT: ev->term says which */
	FW_STEP_UNKNOWN,	/* ev->reason says why */
};

struct fw_eval {
	const struct fw_ctx *ctx;
	struct fw_flow *flow;
	enum fw_hook hook;
	const struct nft_table *table;
	uint8_t reg[FW_REG_BYTES];
	uint8_t known[FW_REG_BYTES];	/* per bit: 1 when reg's bit is known */
	int32_t code;
	const char *target;		/* jump/goto chain */
	enum fw_verdict term;
	char reason[FW_REASON_LEN];
};

/* ---- names ----------------------------------------------------------- */

/* ---- what an evaluation read ------------------------------------------ */

bool fw_trace_has(const struct fw_trace *t, uint64_t key)
{
	if (t->full)
		return true;
	for (size_t i = 0; i < t->n; i++)
		if (t->keys[i] == key)
			return true;
	return false;
}

static void fw_note(const struct fw_eval *ev, const char *name)
{
	struct fw_trace *t = ev->ctx->trace;
	uint64_t key;

	if (!t || t->full)
		return;
	key = nft_key(ev->table->family, ev->table->name, name);
	if (fw_trace_has(t, key))
		return;
	if (t->n == FW_TRACE_KEYS)
		t->full = true;
	else
		t->keys[t->n++] = key;
}

const char *fw_verdict_name(enum fw_verdict v)
{
	static const char *const names[] = {
		[FW_ACCEPT] = "accept", [FW_DROP] = "drop", [FW_REJECT] = "reject",
		[FW_MASQUERADE] = "masquerade", [FW_SNAT] = "snat", [FW_DNAT] = "dnat",
		[FW_UNKNOWN] = "unknown",
	};

	return (unsigned)v < sizeof(names) / sizeof(names[0]) ? names[v] : "unknown";
}

const char *fw_hook_name(enum fw_hook h)
{
	static const char *const names[] = {
		"prerouting", "input", "forward", "output", "postrouting",
	};

	return (unsigned)h < sizeof(names) / sizeof(names[0]) ? names[h] : "unknown";
}

static __attribute__((format(printf, 2, 3)))
enum fw_step fw_unknown(struct fw_eval *ev, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ev->reason, sizeof(ev->reason), fmt, ap);
	va_end(ap);
	return FW_STEP_UNKNOWN;
}

/* ---- registers ------------------------------------------------------- */

/* nft_parse_register(): NFT_REG_1..4 are 16-byte views over the same words
 * as NFT_REG32_00..15. */
int fw_reg_off(uint32_t reg, uint32_t len)
{
	int off;

	if (reg >= NFT_REG_1 && reg <= NFT_REG_4)
		off = (int)reg * NFT_REG_SIZE;
	else if (reg >= NFT_REG32_00 && reg <= NFT_REG32_15)
		off = NFT_REG_SIZE + (int)(reg - NFT_REG32_00) * NFT_REG32_SIZE;
	else
		return -1;
	return len <= (uint32_t)(FW_REG_BYTES - off) ? off : -1;
}

/* Stores len bytes (known bits in kmask, NULL: all known) and, as the
 * kernel does, zeroes the rest of the last 32-bit word. */
static bool fw_store(struct fw_eval *ev, uint32_t reg, const void *data,
		     const uint8_t *kmask, uint32_t len)
{
	uint32_t padded = (len + 3) & ~3u;
	int off = fw_reg_off(reg, padded);

	if (off < 0 || len == 0)
		return false;
	memset(ev->reg + off, 0, padded);
	memset(ev->known + off, 0xff, padded);
	memcpy(ev->reg + off, data, len);
	if (kmask)
		memcpy(ev->known + off, kmask, len);
	return true;
}

/* Returns the register bytes when all of them are known, else NULL. */
static const uint8_t *fw_load(const struct fw_eval *ev, uint32_t reg, uint32_t len,
			      const uint8_t *care)
{
	int off = fw_reg_off(reg, len);

	if (off < 0)
		return NULL;
	for (uint32_t i = 0; i < len; i++) {
		uint8_t need = care ? care[i] : 0xff;

		if ((ev->known[off + i] & need) != need)
			return NULL;
	}
	return ev->reg + off;
}

static bool fw_store_u32(struct fw_eval *ev, uint32_t reg, uint32_t v)
{
	return fw_store(ev, reg, &v, NULL, sizeof(v));
}

static bool fw_store_u8(struct fw_eval *ev, uint32_t reg, uint8_t v)
{
	return fw_store(ev, reg, &v, NULL, 1);
}

/* ---- the packet ------------------------------------------------------ */

/* The IPv4 and TCP headers of the flow's packet; unmodelled bits unknown. */
static void fw_packet(const struct fw_flow *f, uint32_t base, uint8_t hdr[20], uint8_t km[20])
{
	uint32_t s = htonl(f->saddr), d = htonl(f->daddr);
	uint16_t sp = htons(f->sport), dp = htons(f->dport);

	memset(hdr, 0, 20);
	memset(km, 0, 20);
	if (base == NFT_PAYLOAD_NETWORK_HEADER) {
		hdr[0] = 0x45;		/* version 4, no options */
		km[0] = 0xff;
		km[6] = 0xbf;		/* not a fragment; DF unknown */
		km[7] = 0xff;
		hdr[9] = f->l4proto;
		km[9] = 0xff;
		memcpy(hdr + 12, &s, 4);
		memcpy(hdr + 16, &d, 4);
		memset(km + 12, 0xff, 8);
	} else if (base == NFT_PAYLOAD_TRANSPORT_HEADER && f->l4proto == IPPROTO_TCP) {
		memcpy(hdr, &sp, 2);
		memcpy(hdr + 2, &dp, 2);
		memset(km, 0xff, 4);
		if (f->ctstate == FW_CT_NEW) {
			hdr[13] = 0x02;	/* a new flow's packet is the SYN */
			km[13] = 0xff;
		}
	}
}

static enum fw_step fw_payload(struct fw_eval *ev, const struct nft_expr *e)
{
	uint8_t hdr[20], km[20];
	uint32_t off = e->u.payload.offset, len = e->u.payload.len;

	if (e->u.payload.sreg)
		return fw_unknown(ev, "payload write");
	if (e->u.payload.base != NFT_PAYLOAD_NETWORK_HEADER &&
	    e->u.payload.base != NFT_PAYLOAD_TRANSPORT_HEADER)
		return fw_unknown(ev, "payload base %u", e->u.payload.base);
	if (off > 20 || len > 20 - off || len == 0)
		return fw_unknown(ev, "payload @%u,%u outside the headers", off, len);
	fw_packet(ev->flow, e->u.payload.base, hdr, km);
	if (!fw_store(ev, e->u.payload.dreg, hdr + off, km + off, len))
		return fw_unknown(ev, "payload register %u", e->u.payload.dreg);
	return FW_STEP_NEXT;
}

/* ---- matches --------------------------------------------------------- */

static enum fw_step fw_cmp(struct fw_eval *ev, const struct nft_expr *e)
{
	const uint8_t *v = fw_load(ev, e->u.cmp.sreg, e->u.cmp.data.len, NULL);
	int d;
	bool ok;

	if (!v)
		return fw_unknown(ev, "cmp on a value not modelled");
	d = memcmp(v, e->u.cmp.data.b, e->u.cmp.data.len);
	switch (e->u.cmp.op) {
	case NFT_CMP_EQ: ok = d == 0; break;
	case NFT_CMP_NEQ: ok = d != 0; break;
	case NFT_CMP_LT: ok = d < 0; break;
	case NFT_CMP_LTE: ok = d <= 0; break;
	case NFT_CMP_GT: ok = d > 0; break;
	case NFT_CMP_GTE: ok = d >= 0; break;
	default: return fw_unknown(ev, "cmp op %u", e->u.cmp.op);
	}
	return ok ? FW_STEP_NEXT : (ev->code = NFT_BREAK, FW_STEP_VERDICT);
}

static enum fw_step fw_bitwise(struct fw_eval *ev, const struct nft_expr *e)
{
	uint32_t len = e->u.bitwise.len;
	int off = fw_reg_off(e->u.bitwise.sreg, len);
	uint8_t out[FW_REG_BYTES], km[FW_REG_BYTES];

	if (off < 0 || len > sizeof(out))
		return fw_unknown(ev, "bitwise register");
	if (e->u.bitwise.op != NFT_BITWISE_BOOL)
		return fw_unknown(ev, "bitwise shift");
	if (e->u.bitwise.mask.len < len || e->u.bitwise.xor.len < len)
		return fw_unknown(ev, "bitwise without mask");
	for (uint32_t i = 0; i < len; i++) {
		uint8_t m = e->u.bitwise.mask.b[i], x = e->u.bitwise.xor.b[i];

		out[i] = (uint8_t)((ev->reg[off + i] & m) ^ x);
		/* Bits the mask clears are known whatever they were. */
		km[i] = (uint8_t)(ev->known[off + i] | ~m);
	}
	if (!fw_store(ev, e->u.bitwise.dreg, out, km, len))
		return fw_unknown(ev, "bitwise register");
	return FW_STEP_NEXT;
}

static enum fw_step fw_byteorder(struct fw_eval *ev, const struct nft_expr *e)
{
	uint32_t len = e->u.byteorder.len, size = e->u.byteorder.size;
	const uint8_t *v = fw_load(ev, e->u.byteorder.sreg, len, NULL);
	uint8_t out[FW_REG_BYTES];

	if (!v || len > sizeof(out) || (size != 2 && size != 4 && size != 8) || len % size)
		return fw_unknown(ev, "byteorder");
	/* Host is little endian here: hton and ntoh both swap each unit. */
	for (uint32_t i = 0; i < len; i += size)
		for (uint32_t j = 0; j < size; j++)
			out[i + j] = v[i + size - 1 - j];
	if (!fw_store(ev, e->u.byteorder.dreg, out, NULL, len))
		return fw_unknown(ev, "byteorder register");
	return FW_STEP_NEXT;
}

static enum fw_step fw_range(struct fw_eval *ev, const struct nft_expr *e)
{
	uint32_t len = e->u.range.from.len;
	const uint8_t *v = fw_load(ev, e->u.range.sreg, len, NULL);
	bool in;

	if (!v || e->u.range.to.len != len)
		return fw_unknown(ev, "range on a value not modelled");
	in = memcmp(v, e->u.range.from.b, len) >= 0 && memcmp(v, e->u.range.to.b, len) <= 0;
	if (e->u.range.op == NFT_RANGE_NEQ)
		in = !in;
	else if (e->u.range.op != NFT_RANGE_EQ)
		return fw_unknown(ev, "range op %u", e->u.range.op);
	return in ? FW_STEP_NEXT : (ev->code = NFT_BREAK, FW_STEP_VERDICT);
}

/* ---- sets ------------------------------------------------------------ */

/* Concatenated interval sets (pipapo) match field by field, each field
 * padded to 32 bits; everything else compares the whole key (memcmp, as
 * the rbtree and hash backends do). */
static bool fw_range_has(const struct nft_set *s, const struct nft_range *r, const uint8_t *k)
{
	uint32_t klen = s->key_len;

	if (!(s->flags & NFT_SET_CONCAT) || !(s->flags & NFT_SET_INTERVAL))
		return memcmp(k, r->lo.b, klen) >= 0 && memcmp(k, r->hi.b, klen) <= 0;
	for (uint32_t off = 0; off < klen; off += 4) {
		uint32_t n = klen - off < 4 ? klen - off : 4;

		if (memcmp(k + off, r->lo.b + off, n) < 0 || memcmp(k + off, r->hi.b + off, n) > 0)
			return false;
	}
	return true;
}

static const struct nft_range *fw_set_find(const struct nft_set *s, const uint8_t *k)
{
	for (size_t i = 0; i < s->nranges; i++)
		if (fw_range_has(s, &s->ranges[i], k))
			return &s->ranges[i];
	return NULL;
}

static enum fw_step fw_lookup(struct fw_eval *ev, const struct nft_expr *e)
{
	const struct nft_set *s = nft_set_find(ev->table, e->str);
	const struct nft_range *r;
	const struct nft_elem *el;
	const uint8_t *k;

	fw_note(ev, e->str);
	if (!s)
		return fw_unknown(ev, "set %s not found", e->str ? e->str : "?");
	if (s->flags & (NFT_SET_TIMEOUT | NFT_SET_EVAL))
		return fw_unknown(ev, "dynamic set @%s", s->name);
	if (!(k = fw_load(ev, e->u.lookup.sreg, s->key_len, NULL)))
		return fw_unknown(ev, "lookup key not modelled");
	r = fw_set_find(s, k);
	if (e->u.lookup.flags & NFT_LOOKUP_F_INV)
		return r ? (ev->code = NFT_BREAK, FW_STEP_VERDICT) : FW_STEP_NEXT;
	if (!r)
		return (ev->code = NFT_BREAK, FW_STEP_VERDICT);
	if (!e->u.lookup.has_dreg)
		return FW_STEP_NEXT;
	el = &s->elems[r->elem];
	if (e->u.lookup.dreg == NFT_REG_VERDICT) {
		ev->code = el->verdict;
		ev->target = el->chain;
		return FW_STEP_VERDICT;
	}
	if (!fw_store(ev, e->u.lookup.dreg, el->data.b, NULL, el->data.len))
		return fw_unknown(ev, "map data register");
	return FW_STEP_NEXT;
}

/* ---- meta, ct, fib --------------------------------------------------- */

/* The device name/index a hook sees: none (zeroes, as the kernel stores)
 * where the hook has no such device, unknown when the flow does not say. */
static int fw_dev(const struct fw_eval *ev, bool in, const char **name, int *index)
{
	bool has = in ? ev->hook != FW_HOOK_OUTPUT
		      : ev->hook != FW_HOOK_PREROUTING && ev->hook != FW_HOOK_INPUT;

	*name = "";
	*index = 0;
	if (!has)
		return 0;
	*name = in ? ev->flow->iifname : ev->flow->oifname;
	*index = in ? ev->flow->iif : ev->flow->oif;
	return **name ? 0 : -1;
}

static enum fw_step fw_meta_dev(struct fw_eval *ev, const struct nft_expr *e, bool in, bool byname)
{
	char ifname[IFNAMSIZ] = { 0 };
	const char *name;
	int index;

	if (fw_dev(ev, in, &name, &index) < 0 || (!byname && *name && !index))
		return fw_unknown(ev, "the flow does not say its %s device", in ? "input" : "output");
	if (!byname)
		return fw_store_u32(ev, e->u.meta.reg, (uint32_t)index) ? FW_STEP_NEXT
			: fw_unknown(ev, "meta register");
	memcpy(ifname, name, strnlen(name, sizeof(ifname) - 1));
	return fw_store(ev, e->u.meta.reg, ifname, NULL, IFNAMSIZ) ? FW_STEP_NEXT
		: fw_unknown(ev, "meta register");
}

static enum fw_step fw_meta_set(struct fw_eval *ev, const struct nft_expr *e)
{
	const uint8_t *v;

	switch (e->u.meta.key) {
	case NFT_META_MARK:
		if (!(v = fw_load(ev, e->u.meta.reg, 4, NULL)))
			return fw_unknown(ev, "meta mark set from a value not modelled");
		memcpy(&ev->flow->mark, v, 4);
		return FW_STEP_NEXT;
	case NFT_META_PRIORITY:
	case NFT_META_NFTRACE:
		return FW_STEP_NEXT;	/* no bearing on the verdict */
	}
	return fw_unknown(ev, "meta set key %u", e->u.meta.key);
}

static enum fw_step fw_meta(struct fw_eval *ev, const struct nft_expr *e)
{
	uint32_t reg = e->u.meta.reg;
	uint16_t proto = htons(0x0800);
	bool ok;

	if (e->u.meta.set)
		return fw_meta_set(ev, e);
	switch (e->u.meta.key) {
	case NFT_META_L4PROTO: ok = fw_store_u8(ev, reg, ev->flow->l4proto); break;
	case NFT_META_NFPROTO: ok = fw_store_u8(ev, reg, NFPROTO_IPV4); break;
	case NFT_META_PROTOCOL: ok = fw_store(ev, reg, &proto, NULL, 2); break;
	case NFT_META_MARK: ok = fw_store_u32(ev, reg, ev->flow->mark); break;
	/* Unicast to this node's MAC, or sent by it: PACKET_HOST either way. */
	case NFT_META_PKTTYPE: ok = fw_store_u8(ev, reg, 0); break;
	case NFT_META_IIFNAME: return fw_meta_dev(ev, e, true, true);
	case NFT_META_OIFNAME: return fw_meta_dev(ev, e, false, true);
	case NFT_META_IIF: return fw_meta_dev(ev, e, true, false);
	case NFT_META_OIF: return fw_meta_dev(ev, e, false, false);
	default: return fw_unknown(ev, "meta key %u", e->u.meta.key);
	}
	return ok ? FW_STEP_NEXT : fw_unknown(ev, "meta register %u", reg);
}

static enum fw_step fw_ct(struct fw_eval *ev, const struct nft_expr *e)
{
	const struct fw_flow *f = ev->flow;
	uint32_t reg = e->u.ct.reg;
	bool fresh = f->ctstate == FW_CT_NEW;
	const uint8_t *v;
	bool ok;

	if (e->u.ct.set) {
		if (e->u.ct.key != NFT_CT_MARK || !(v = fw_load(ev, reg, 4, NULL)))
			return fw_unknown(ev, "ct set key %u", e->u.ct.key);
		memcpy(&ev->flow->ctmark, v, 4);
		return FW_STEP_NEXT;
	}
	if (!f->ctstate)
		return fw_unknown(ev, "the flow has no ct state");
	switch (e->u.ct.key) {
	case NFT_CT_STATE: ok = fw_store_u32(ev, reg, f->ctstate); break;
	case NFT_CT_DIRECTION:
		if (!fresh)
			return fw_unknown(ev, "ct direction of a flow not new");
		ok = fw_store_u8(ev, reg, 0);	/* IP_CT_DIR_ORIGINAL */
		break;
	case NFT_CT_MARK:
		if (!fresh)
			return fw_unknown(ev, "ct mark of a flow not new");
		ok = fw_store_u32(ev, reg, f->ctmark);
		break;
	case NFT_CT_L3PROTOCOL: ok = fw_store_u8(ev, reg, NFPROTO_IPV4); break;
	case NFT_CT_PROTOCOL: ok = fw_store_u8(ev, reg, f->l4proto); break;
	default: return fw_unknown(ev, "ct key %u", e->u.ct.key);
	}
	return ok ? FW_STEP_NEXT : fw_unknown(ev, "ct register %u", reg);
}

/*
 * inet_dev_addr_type() over the local table: the node's own addresses and
 * 127/8 on lo are local, subnet broadcasts and 255.255.255.255 broadcast,
 * 224/4 multicast, the rest unicast.  With a device, a local address only
 * counts on its own interface (the local route's device).
 */
static unsigned fw_addrtype(const struct fw_ctx *ctx, uint32_t a, int dev)
{
	if (a == 0xffffffffu || (a >> 24) == 0)
		return RTN_BROADCAST;
	if ((a >> 28) == 0xe)
		return RTN_MULTICAST;
	for (size_t i = 0; ctx && i < ctx->naddrs; i++) {
		const struct addr4 *ad = &ctx->addrs[i];
		uint32_t mask = ad->len ? ~0u << (32 - ad->len) : 0;
		bool loop = (ad->local >> 24) == 127;

		if (dev && ad->ifindex != dev)
			continue;
		if (a == ad->local || (loop && (a & mask) == (ad->local & mask)))
			return RTN_LOCAL;
		if (ad->len < 31 && a == ((ad->local & mask) | ~mask))
			return RTN_BROADCAST;
	}
	return RTN_UNICAST;
}

static enum fw_step fw_fib(struct fw_eval *ev, const struct nft_expr *e)
{
	uint32_t flags = e->u.fib.flags;
	uint32_t a = (flags & NFTA_FIB_F_DADDR) ? ev->flow->daddr : ev->flow->saddr;
	int dev = 0;
	const char *name;

	if (e->u.fib.result != NFT_FIB_RESULT_ADDRTYPE)
		return fw_unknown(ev, "fib result %u needs a route lookup", e->u.fib.result);
	if (flags & (NFTA_FIB_F_OIF | NFTA_FIB_F_PRESENT))
		return fw_unknown(ev, "fib flags 0x%x", flags);
	if (!(flags & (NFTA_FIB_F_SADDR | NFTA_FIB_F_DADDR)))
		return fw_unknown(ev, "fib without an address");
	if ((flags & NFTA_FIB_F_IIF) && (fw_dev(ev, true, &name, &dev) < 0 || !dev))
		return fw_unknown(ev, "fib . iif: the flow does not say its input device");
	if (!fw_store_u32(ev, e->u.fib.dreg, fw_addrtype(ev->ctx, a, dev)))
		return fw_unknown(ev, "fib register");
	return FW_STEP_NEXT;
}

/* ---- compat xt matches and targets ------------------------------------ */

bool fw_xt_info(const struct nft_expr *e, void *dst, size_t len)
{
	if (e->infolen < len)
		return false;
	memcpy(dst, e->info, len);
	return true;
}

/* xt_conntrack_mtinfo1..3: state fields after eight nf_inet_addr (128
 * bytes), two u32 expiries, l4proto and four ports. */
static enum fw_step fw_xt_conntrack(struct fw_eval *ev, const struct nft_expr *e, bool *hit)
{
	uint16_t flags, inv, mask = 0;
	uint32_t bit = ev->flow->ctstate;

	if (e->u.xt.rev < 1 || e->u.xt.rev > 3 || e->infolen < 152)
		return fw_unknown(ev, "xt conntrack rev %u", e->u.xt.rev);
	memcpy(&flags, e->info + 146, 2);
	memcpy(&inv, e->info + 148, 2);
	if (e->u.xt.rev == 1)
		mask = e->info[150];
	else
		memcpy(&mask, e->info + 150, 2);
	if (flags & ~(FW_XT_CT_STATE | FW_XT_CT_STATE_ALIAS))
		return fw_unknown(ev, "xt conntrack beyond --ctstate");
	if (!bit)
		return fw_unknown(ev, "the flow has no ct state");
	if (bit == FW_CT_UNTRACKED)
		bit = 1u << 10;		/* XT_CONNTRACK_STATE_UNTRACKED */
	if (mask & (3u << 8))
		return fw_unknown(ev, "xt conntrack --ctstate SNAT/DNAT");
	*hit = ((mask & bit) != 0) ^ ((inv & FW_XT_CT_STATE) != 0);
	return FW_STEP_NEXT;
}

static enum fw_step fw_xt_tcp(struct fw_eval *ev, const struct nft_expr *e, bool *hit)
{
	const struct fw_flow *f = ev->flow;
	struct xt_tcp t;
	bool sp, dp;

	if (e->u.xt.rev != 0 || !fw_xt_info(e, &t, sizeof(t)) || t.option)
		return fw_unknown(ev, "xt tcp");
	if (f->l4proto != IPPROTO_TCP)
		return fw_unknown(ev, "xt tcp on a flow not TCP");
	sp = (f->sport >= t.spts[0] && f->sport <= t.spts[1]) ^ !!(t.invflags & XT_TCP_INV_SRCPT);
	dp = (f->dport >= t.dpts[0] && f->dport <= t.dpts[1]) ^ !!(t.invflags & XT_TCP_INV_DSTPT);
	*hit = sp && dp;
	if (*hit && t.flg_mask) {
		if (f->ctstate != FW_CT_NEW)
			return fw_unknown(ev, "xt tcp flags of a flow not new");
		*hit = ((0x02 & t.flg_mask) == t.flg_cmp) ^ !!(t.invflags & XT_TCP_INV_FLAGS);
	}
	return FW_STEP_NEXT;
}

static enum fw_step fw_xt_addrtype(struct fw_eval *ev, const struct nft_expr *e, bool *hit)
{
	struct xt_addrtype_info_v1 a;
	const char *name;
	int dev = 0;
	bool in;

	if (e->u.xt.rev != 1 || !fw_xt_info(e, &a, sizeof(a)))
		return fw_unknown(ev, "xt addrtype rev %u", e->u.xt.rev);
	if (a.flags & (XT_ADDRTYPE_LIMIT_IFACE_IN | XT_ADDRTYPE_LIMIT_IFACE_OUT)) {
		in = a.flags & XT_ADDRTYPE_LIMIT_IFACE_IN;
		if (fw_dev(ev, in, &name, &dev) < 0 || !dev)
			return fw_unknown(ev, "xt addrtype --limit-iface: device not known");
	}
	*hit = true;
	if (a.source)
		*hit = (!!(a.source & (1u << fw_addrtype(ev->ctx, ev->flow->saddr, dev)))) ^
		       !!(a.flags & XT_ADDRTYPE_INVERT_SOURCE);
	if (*hit && a.dest)
		*hit = (!!(a.dest & (1u << fw_addrtype(ev->ctx, ev->flow->daddr, dev)))) ^
		       !!(a.flags & XT_ADDRTYPE_INVERT_DEST);
	return FW_STEP_NEXT;
}

static enum fw_step fw_xt_match(struct fw_eval *ev, const struct nft_expr *e)
{
	const char *n = e->str ? e->str : "";
	struct xt_mark_mtinfo1 m;
	struct xt_state_info st;
	enum fw_step s = FW_STEP_NEXT;
	bool hit = true;

	if (!strcmp(n, "comment")) {
		hit = true;
	} else if (!strcmp(n, "mark") && e->u.xt.rev == 1 && fw_xt_info(e, &m, sizeof(m))) {
		hit = ((ev->flow->mark & m.mask) == m.mark) ^ !!m.invert;
	} else if (!strcmp(n, "state") && fw_xt_info(e, &st, sizeof(st))) {
		if (!ev->flow->ctstate)
			return fw_unknown(ev, "the flow has no ct state");
		hit = (st.statemask & ev->flow->ctstate) != 0;
	} else if (!strcmp(n, "conntrack")) {
		s = fw_xt_conntrack(ev, e, &hit);
	} else if (!strcmp(n, "tcp")) {
		s = fw_xt_tcp(ev, e, &hit);
	} else if (!strcmp(n, "addrtype")) {
		s = fw_xt_addrtype(ev, e, &hit);
	} else {
		return fw_unknown(ev, "xt match %s rev %u", n, e->u.xt.rev);
	}
	if (s != FW_STEP_NEXT || hit)
		return s;
	ev->code = NFT_BREAK;
	return FW_STEP_VERDICT;
}

static enum fw_step fw_terminal(struct fw_eval *ev, enum fw_verdict v)
{
	ev->term = v;
	return FW_STEP_TERMINAL;
}

static enum fw_step fw_xt_target(struct fw_eval *ev, const struct nft_expr *e)
{
	const char *n = e->str ? e->str : "";
	struct xt_mark_tginfo2 m;

	if (!strcmp(n, "MASQUERADE"))
		return fw_terminal(ev, FW_MASQUERADE);
	if (!strcmp(n, "SNAT"))
		return fw_terminal(ev, FW_SNAT);
	if (!strcmp(n, "DNAT") || !strcmp(n, "REDIRECT"))
		return fw_terminal(ev, FW_DNAT);
	if (!strcmp(n, "REJECT"))
		return fw_terminal(ev, FW_REJECT);
	if (!strcmp(n, "LOG") || !strcmp(n, "NFLOG"))
		return FW_STEP_NEXT;
	if (!strcmp(n, "MARK") && e->u.xt.rev == 2 && fw_xt_info(e, &m, sizeof(m))) {
		ev->flow->mark = (ev->flow->mark & ~m.mask) ^ m.mark;
		return FW_STEP_NEXT;
	}
	return fw_unknown(ev, "xt target %s rev %u", n, e->u.xt.rev);
}

/* ---- statements ------------------------------------------------------ */

static enum fw_step fw_immediate(struct fw_eval *ev, const struct nft_expr *e)
{
	if (e->u.imm.dreg != NFT_REG_VERDICT) {
		if (!fw_store(ev, e->u.imm.dreg, e->u.imm.data.b, NULL, e->u.imm.data.len))
			return fw_unknown(ev, "immediate register %u", e->u.imm.dreg);
		return FW_STEP_NEXT;
	}
	ev->code = e->u.imm.verdict;
	ev->target = e->str;
	return FW_STEP_VERDICT;
}

/* A DNAT's new address and port, when the rule loads them as constants;
 * later hooks then see them, as after the kernel's mangling. */
static void fw_apply_dnat(struct fw_eval *ev, const struct nft_expr *e)
{
	const uint8_t *v;
	uint32_t a;
	uint16_t p;

	if (e->u.nat.reg_addr_min && (v = fw_load(ev, e->u.nat.reg_addr_min, 4, NULL))) {
		memcpy(&a, v, 4);
		ev->flow->daddr = ntohl(a);
	}
	if (e->u.nat.reg_proto_min && (v = fw_load(ev, e->u.nat.reg_proto_min, 2, NULL))) {
		memcpy(&p, v, 2);
		ev->flow->dport = ntohs(p);
	}
}

static enum fw_step fw_nat(struct fw_eval *ev, const struct nft_expr *e)
{
	if (e->u.nat.family && e->u.nat.family != NFPROTO_IPV4)
		return fw_unknown(ev, "nat for family %u", e->u.nat.family);
	if (e->u.nat.type == NFT_NAT_SNAT)
		return fw_terminal(ev, FW_SNAT);
	if (e->u.nat.type != NFT_NAT_DNAT)
		return fw_unknown(ev, "nat type %u", e->u.nat.type);
	fw_apply_dnat(ev, e);
	return fw_terminal(ev, FW_DNAT);
}

static enum fw_step fw_limit(struct fw_eval *ev, const struct nft_expr *e)
{
	/* One probe is well under any rate: "limit rate" lets it through,
	 * "limit rate over" does not match it. */
	if (e->u.limit.flags & NFT_LIMIT_F_INV) {
		ev->code = NFT_BREAK;
		return FW_STEP_VERDICT;
	}
	return FW_STEP_NEXT;
}

static enum fw_step fw_expr(struct fw_eval *ev, const struct nft_expr *e)
{
	switch (e->kind) {
	case NFT_EXPR_PAYLOAD: return fw_payload(ev, e);
	case NFT_EXPR_CMP: return fw_cmp(ev, e);
	case NFT_EXPR_BITWISE: return fw_bitwise(ev, e);
	case NFT_EXPR_BYTEORDER: return fw_byteorder(ev, e);
	case NFT_EXPR_RANGE: return fw_range(ev, e);
	case NFT_EXPR_LOOKUP: return fw_lookup(ev, e);
	case NFT_EXPR_META: return fw_meta(ev, e);
	case NFT_EXPR_FIB: return fw_fib(ev, e);
	case NFT_EXPR_CT: return fw_ct(ev, e);
	case NFT_EXPR_COUNTER:
	case NFT_EXPR_LOG: return FW_STEP_NEXT;
	case NFT_EXPR_LIMIT: return fw_limit(ev, e);
	case NFT_EXPR_IMMEDIATE: return fw_immediate(ev, e);
	case NFT_EXPR_REJECT: return fw_terminal(ev, FW_REJECT);
	case NFT_EXPR_MASQ: return fw_terminal(ev, FW_MASQUERADE);
	case NFT_EXPR_REDIR: return fw_terminal(ev, FW_DNAT);
	case NFT_EXPR_NAT: return fw_nat(ev, e);
	case NFT_EXPR_MATCH: return fw_xt_match(ev, e);
	case NFT_EXPR_TARGET: return fw_xt_target(ev, e);
	case NFT_EXPR_NOTRACK:
		ev->flow->ctstate = FW_CT_UNTRACKED;
		return FW_STEP_NEXT;
	case NFT_EXPR_UNKNOWN: break;
	}
	return fw_unknown(ev, "expression %s not understood", e->name);
}

/* Runs one rule: NEXT when it falls through, else its verdict in ev. */
/* Whether the rule's first comparison (nft_rule.pre) fails on this packet:
 * what its payload and cmp would find, when every byte is one the flow
 * knows (otherwise the expressions are evaluated, and say unknown). */
static bool fw_rule_misses(const struct fw_eval *ev, const struct nft_rule *r)
{
	uint8_t hdr[20], km[20];

	if (!r->pre.len || r->pre.off > 20 || r->pre.len > 20 - r->pre.off ||
	    fw_reg_off(r->pre.reg, (r->pre.len + 3u) & ~3u) < 0 ||
	    (r->pre.base != NFT_PAYLOAD_NETWORK_HEADER &&
	     r->pre.base != NFT_PAYLOAD_TRANSPORT_HEADER))
		return false;
	fw_packet(ev->flow, r->pre.base, hdr, km);
	for (size_t i = 0; i < r->pre.len; i++)
		if (km[r->pre.off + i] != 0xff)
			return false;
	return memcmp(hdr + r->pre.off, r->pre.val, r->pre.len) != 0;
}

static enum fw_step fw_rule(struct fw_eval *ev, const struct nft_rule *r)
{
	enum fw_step s;

	if (fw_rule_misses(ev, r))
		return FW_STEP_NEXT;

	memset(ev->known, 0, sizeof(ev->known));
	ev->target = NULL;
	for (size_t i = 0; i < r->nexprs; i++) {
		s = fw_expr(ev, &r->exprs[i]);
		/* NFT_CONTINUE goes on with the rule's next expression, as
		 * nft_do_chain() does; NFT_BREAK ends the rule. */
		if (s == FW_STEP_NEXT || (s == FW_STEP_VERDICT && ev->code == NFT_CONTINUE))
			continue;
		if (s == FW_STEP_VERDICT && ev->code == NFT_BREAK)
			return FW_STEP_NEXT;
		return s;
	}
	return FW_STEP_NEXT;
}

/* ---- chains and hooks ------------------------------------------------ */

/* Who decided a base chain's outcome: a rule, or the policy (rule NULL, or
 * the last `return` on the way back to it). */
struct fw_decision {
	enum fw_verdict v;
	const struct nft_chain *chain;
	const struct nft_rule *rule;
	bool policy;
};

static void fw_policy(const struct nft_chain *base, const struct nft_rule *ret,
		      const struct nft_chain *c, struct fw_decision *d)
{
	d->v = base->policy == NF_DROP ? FW_DROP : FW_ACCEPT;
	d->chain = ret ? c : base;
	d->rule = ret;
	d->policy = true;
}

static bool fw_verdict_of(struct fw_eval *ev, struct fw_decision *d)
{
	if (ev->code < 0)
		return false;
	switch (ev->code & NF_VERDICT_MASK) {
	case NF_ACCEPT: d->v = FW_ACCEPT; return true;
	case NF_DROP: d->v = FW_DROP; return true;
	}
	d->v = FW_UNKNOWN;
	fw_unknown(ev, "verdict %d (queue or stolen)", ev->code);
	return true;
}

/*
 * The kernel refuses a ruleset whose jumps and gotos loop, so no real one
 * does; a hand-built or corrupt one may.  Jumps are bounded by the stack;
 * gotos push nothing, so chain entries and rules are counted instead.  Far
 * above any real flow's path (kube-proxy's longest is a few chains deep and
 * one rule per service long).
 */
#define FW_MAX_ENTRIES	(1 << 14)
#define FW_MAX_RULES	(1 << 20)
#define FW_RECENT	8

/* Where nft_do_chain() is: the chain, the next rule, the jump stack. */
struct fw_walk {
	struct { const struct nft_chain *c; size_t next; } stack[FW_STACK];
	size_t sp, i;
	const struct nft_chain *c;
	unsigned entries, rules;
	const char *recent[FW_RECENT];	/* the last chains entered, a ring */
};

/* Names the loop that entering `to` closes, after what: "goto loop: a ->
 * b -> a", from the chains entered last. */
static void fw_loop_reason(struct fw_eval *ev, const struct fw_walk *w, const char *what,
			   const char *to)
{
	size_t used, from = 0;

	for (size_t k = 1; k <= FW_RECENT && !from; k++)
		if (w->recent[(w->entries - k) % FW_RECENT] &&
		    !strcmp(w->recent[(w->entries - k) % FW_RECENT], to))
			from = k;
	used = (size_t)snprintf(ev->reason, sizeof(ev->reason), "%s: %s%.32s", what,
				from ? "" : "... -> ", to);
	for (size_t k = from ? from - 1 : 1; k >= 1 && used < sizeof(ev->reason); k--)
		used += (size_t)snprintf(ev->reason + used, sizeof(ev->reason) - used, " -> %.32s",
					 w->recent[(w->entries - k) % FW_RECENT]);
	if (used < sizeof(ev->reason))
		snprintf(ev->reason + used, sizeof(ev->reason) - used, " -> %.32s", to);
}

/* Follows a jump or goto; false (d says unknown) when it cannot. */
static bool fw_enter(struct fw_eval *ev, struct fw_walk *w, struct fw_decision *d)
{
	const struct nft_chain *to = nft_chain_find(ev->table, ev->target);

	fw_note(ev, ev->target);	/* found or not: a new chain of that name counts */
	d->v = FW_UNKNOWN;
	if (!to) {
		fw_unknown(ev, "chain %.64s not found", ev->target ? ev->target : "?");
		return false;
	}
	if (ev->code == NFT_JUMP && w->sp >= FW_STACK) {
		fw_unknown(ev, "jump stack deeper than %d", FW_STACK);
		return false;
	}
	if (++w->entries > FW_MAX_ENTRIES) {
		fw_loop_reason(ev, w, "goto loop", to->name);
		return false;
	}
	w->recent[w->entries % FW_RECENT] = to->name;
	if (ev->code == NFT_JUMP)
		w->stack[w->sp++] = (typeof(w->stack[0])){ w->c, w->i };
	w->c = to;
	w->i = 0;
	return true;
}

/* The end of a chain or a return: back to the caller; false at the base. */
static bool fw_pop(struct fw_walk *w)
{
	if (w->sp == 0)
		return false;
	w->sp--;
	w->c = w->stack[w->sp].c;
	w->i = w->stack[w->sp].next;
	return true;
}

/* nft_do_chain(): rules in order, jump pushes, goto replaces, return and
 * the end of a chain pop, the end of the base chain is its policy. */
static void fw_chain(struct fw_eval *ev, const struct nft_chain *base, struct fw_decision *d)
{
	struct fw_walk w = { .c = base };
	const struct nft_chain *ret_chain = NULL;
	const struct nft_rule *ret_rule = NULL, *r;
	enum fw_step s;

	w.recent[0] = base->name;
	fw_note(ev, base->name);
	for (;;) {
		if (w.i >= w.c->nrules) {
			if (!fw_pop(&w))
				return fw_policy(base, ret_rule, ret_chain, d);
			continue;
		}
		r = &w.c->rules[w.i++];
		d->chain = w.c;
		d->rule = r;
		if (++w.rules > FW_MAX_RULES) {
			d->v = FW_UNKNOWN;
			fw_loop_reason(ev, &w, "loop of over 2^20 rules", w.c->name);
			return;
		}
		if ((s = fw_rule(ev, r)) == FW_STEP_NEXT)
			continue;
		if (s == FW_STEP_UNKNOWN || s == FW_STEP_TERMINAL) {
			d->v = s == FW_STEP_UNKNOWN ? FW_UNKNOWN : ev->term;
			return;
		}
		if (fw_verdict_of(ev, d))
			return;
		if (ev->code == NFT_RETURN) {
			/* The policy decides in the end, but the last return
			 * is what steered the flow there: name it. */
			ret_rule = r;
			ret_chain = w.c;
			if (!fw_pop(&w))
				return fw_policy(base, r, ret_chain, d);
			continue;
		}
		if (ev->code != NFT_JUMP && ev->code != NFT_GOTO) {
			d->v = FW_UNKNOWN;
			fw_unknown(ev, "verdict %d", ev->code);
			return;
		}
		if (!fw_enter(ev, &w, d))
			return;
	}
}

struct fw_entry {
	const struct nft_table *t;
	const struct nft_chain *c;
	int32_t prio, sub;
	size_t order, suborder;
	bool nat;
};

static int fw_entry_cmp(const void *a, const void *b)
{
	const struct fw_entry *x = a, *y = b;

	if (x->prio != y->prio)
		return x->prio < y->prio ? -1 : 1;
	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	if (x->sub != y->sub)
		return x->sub < y->sub ? -1 : 1;
	return x->suborder < y->suborder ? -1 : x->suborder > y->suborder;
}

/*
 * The base chains of a hook in the order the kernel runs them.  Hooks of
 * equal priority run in registration order, which the dump order (tables,
 * then their chains, by creation) stands in for.  nat-type chains are not
 * hooks of their own: the NAT core registers once, at its fixed priority,
 * when the first one appears, and runs them there by their priority.
 */
static struct fw_entry *fw_entries(const struct nft_ruleset *rs, enum fw_hook hook, size_t *n)
{
	struct fw_entry *v = NULL, *p;
	size_t cap = 0, order = 0, nat_order = SIZE_MAX;
	int32_t nat_prio = (hook == FW_HOOK_PREROUTING || hook == FW_HOOK_OUTPUT) ?
			   FW_PRI_NAT_DST : FW_PRI_NAT_SRC;

	*n = 0;
	for (size_t i = 0; i < rs->ntables; i++) {
		const struct nft_table *t = &rs->tables[i];
		size_t bases = 0;

		/* Base chains come first in most tables (kube-proxy's among
		 * thousands of its own): stop past the last one. */
		for (size_t j = 0; j < t->nchains && (!t->nbase || bases < t->nbase); j++, order++) {
			const struct nft_chain *c = &t->chains[j];

			bases += c->base;
			if ((t->family != NFPROTO_IPV4 && t->family != NFPROTO_INET) ||
			    (t->flags & NFT_TABLE_F_DORMANT) || !c->base || c->hooknum != (uint32_t)hook)
				continue;
			if (*n == cap) {
				cap = cap ? cap * 2 : 8;
				if (!(p = reallocarray(v, cap, sizeof(*v)))) {
					free(v);
					return NULL;
				}
				v = p;
			}
			p = &v[(*n)++];
			*p = (struct fw_entry){ .t = t, .c = c, .prio = c->prio, .order = order };
			if (!strcmp(c->type, "nat")) {
				p->nat = true;
				nat_order = nat_order < order ? nat_order : order;
			}
		}
	}
	for (size_t i = 0; i < *n; i++)
		if (v[i].nat)
			v[i] = (struct fw_entry){ .t = v[i].t, .c = v[i].c, .prio = nat_prio,
						  .order = nat_order, .sub = v[i].c->prio,
						  .suborder = v[i].order, .nat = true };
	if (*n)
		qsort(v, *n, sizeof(*v), fw_entry_cmp);
	return v ? v : calloc(1, sizeof(*v));
}

static void fw_fill(struct fw_result *out, const struct fw_eval *ev, const struct fw_decision *d)
{
	char *rule = out->rule;
	size_t len;

	out->verdict = d->v;
	snprintf(out->table, sizeof(out->table), "%s %s", nft_family_name(ev->table->family),
		 ev->table->name);
	snprintf(out->chain, sizeof(out->chain), "%s", d->chain->name);
	out->handle = d->rule ? d->rule->handle : 0;
	out->reason[0] = '\0';
	if (d->v == FW_UNKNOWN)
		snprintf(out->reason, sizeof(out->reason), "%s", ev->reason);
	if (!d->rule) {
		snprintf(rule, sizeof(out->rule), "policy %s", d->v == FW_DROP ? "drop" : "accept");
		return;
	}
	fw_fmt_rule(ev->table, d->rule, rule, sizeof(out->rule));
	len = strlen(rule);
	if (d->policy && d->v == FW_DROP)
		snprintf(rule + len, sizeof(out->rule) - len, " (then policy drop)");
}

/* The base chains of each hook, kept while the ruleset's serial stays: a
 * kube-proxy table holds tens of thousands of chains, a few of them base
 * chains, and every flow asks for each hook.  A ruleset built by hand
 * (serial 0) is walked every time. */
static struct {
	uint64_t serial;
	struct fw_entry *v;
	size_t n;
} fw_cache[FW_HOOK_POSTROUTING + 1];

static struct fw_entry *fw_entries_of(const struct nft_ruleset *rs, enum fw_hook hook, size_t *n)
{
	struct fw_entry *v;

	if ((unsigned)hook > FW_HOOK_POSTROUTING || !rs->serial)
		return fw_entries(rs, hook, n);
	if (fw_cache[hook].v && fw_cache[hook].serial == rs->serial) {
		*n = fw_cache[hook].n;
		return fw_cache[hook].v;
	}
	if (!(v = fw_entries(rs, hook, n)))
		return NULL;
	free(fw_cache[hook].v);
	fw_cache[hook].v = v;
	fw_cache[hook].n = *n;
	fw_cache[hook].serial = rs->serial;
	return v;
}

static void fw_entries_done(const struct nft_ruleset *rs, struct fw_entry *v)
{
	for (size_t h = 0; h <= FW_HOOK_POSTROUTING; h++)
		if (fw_cache[h].v == v)
			return;
	free(v);
}

int fw_eval_hook(const struct nft_ruleset *rs, const struct fw_ctx *ctx,
		 struct fw_flow *flow, enum fw_hook hook, struct fw_result *out)
{
	struct fw_eval ev = { .ctx = ctx, .flow = flow, .hook = hook };
	struct fw_decision d;
	struct fw_entry *v;
	bool explicit = false, nat_done = false;
	size_t n;

	if (!rs || !flow || !out)
		return -EINVAL;
	memset(out->table, 0, sizeof(*out) - offsetof(struct fw_result, table));
	out->hook = hook;
	out->verdict = FW_ACCEPT;
	if (!(v = fw_entries_of(rs, hook, &n)))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		/* The NAT core only asks a new connection, and only until one
		 * chain has bound it. */
		if (v[i].nat && (nat_done || !(flow->ctstate & FW_CT_NEW)))
			continue;
		ev.table = v[i].t;
		memset(&d, 0, sizeof(d));
		fw_chain(&ev, v[i].c, &d);
		if (d.v == FW_ACCEPT) {
			/* A later accept by rule names the flow's path better
			 * than a policy; neither hides a NAT. */
			if (!nat_done && (d.rule || !explicit)) {
				fw_fill(out, &ev, &d);
				explicit = d.rule != NULL;
			}
			continue;
		}
		fw_fill(out, &ev, &d);
		if (d.v != FW_MASQUERADE && d.v != FW_SNAT && d.v != FW_DNAT)
			break;
		nat_done = true;
	}
	fw_entries_done(rs, v);
	return 0;
}

static size_t fw_eval_hooks(const struct nft_ruleset *rs, const struct fw_ctx *ctx,
			    const struct fw_flow *flow, const enum fw_hook *hooks, size_t n,
			    struct fw_result *out)
{
	struct fw_flow f = *flow;
	size_t done = 0;

	for (size_t i = 0; i < n; i++) {
		if (fw_eval_hook(rs, ctx, &f, hooks[i], &out[done]) < 0) {
			memset(&out[done], 0, sizeof(out[done]));
			out[done].hook = hooks[i];
			out[done].verdict = FW_UNKNOWN;
			snprintf(out[done].reason, sizeof(out[done].reason), "out of memory");
		}
		done++;
		if (out[done - 1].verdict == FW_DROP || out[done - 1].verdict == FW_REJECT ||
		    out[done - 1].verdict == FW_UNKNOWN)
			break;
	}
	return done;
}

size_t fw_eval_forward(const struct nft_ruleset *rs, const struct fw_ctx *ctx,
		       const struct fw_flow *flow, struct fw_result out[static 3])
{
	static const enum fw_hook hooks[] = {
		FW_HOOK_PREROUTING, FW_HOOK_FORWARD, FW_HOOK_POSTROUTING,
	};

	return fw_eval_hooks(rs, ctx, flow, hooks, 3, out);
}

size_t fw_eval_local(const struct nft_ruleset *rs, const struct fw_ctx *ctx,
		     const struct fw_flow *flow, struct fw_result out[static 2])
{
	static const enum fw_hook hooks[] = { FW_HOOK_OUTPUT, FW_HOOK_POSTROUTING };

	return fw_eval_hooks(rs, ctx, flow, hooks, 2, out);
}

size_t fw_eval_input(const struct nft_ruleset *rs, const struct fw_ctx *ctx,
		     const struct fw_flow *flow, struct fw_result out[static 2])
{
	static const enum fw_hook hooks[] = { FW_HOOK_PREROUTING, FW_HOOK_INPUT };

	return fw_eval_hooks(rs, ctx, flow, hooks, 2, out);
}

void fw_flow_init(struct fw_flow *f, uint32_t saddr, uint32_t daddr, uint16_t dport)
{
	memset(f, 0, sizeof(*f));
	f->saddr = saddr;
	f->daddr = daddr;
	f->l4proto = IPPROTO_TCP;
	f->sport = 32768;	/* the bottom of Linux's default ephemeral range */
	f->dport = dport;
	f->ctstate = FW_CT_NEW;
}
