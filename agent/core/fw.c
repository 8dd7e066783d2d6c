/*
 * Evaluates the nftables ruleset for one IPv4 flow the way nf_tables does:
 * a register machine over a synthesized packet, base chains of a hook by
 * priority, a jump stack, chain policies, and the NAT core's rule that only
 * the first NAT binding counts.  What it cannot know (a byte of the packet
 * it does not model, an expression it does not implement) stops the
 * evaluation with FW_UNKNOWN naming the rule: no guesses.
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
#include "netlink/nft.h"

/* nf_tables: NFT_JUMP_STACK_SIZE; the kernel refuses deeper rulesets. */
#define FW_STACK 16
/* 4 x 16-byte registers after the 16-byte verdict register (NFT_REG_MAX+1). */
#define FW_REG_BYTES 80
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
 * as NFT_REG32_00..15.  Returns the byte offset, or -1. */
static int fw_reg_off(uint32_t reg, uint32_t len)
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

static bool fw_xt_info(const struct nft_expr *e, void *dst, size_t len)
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
static enum fw_step fw_rule(struct fw_eval *ev, const struct nft_rule *r)
{
	enum fw_step s;

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

/* ---- rendering a rule in nft syntax ---------------------------------- */

enum fw_vt {
	FW_VT_RAW, FW_VT_ADDR, FW_VT_PORT, FW_VT_PROTO, FW_VT_IFNAME, FW_VT_MARK,
	FW_VT_CTSTATE, FW_VT_FIBTYPE, FW_VT_NFPROTO, FW_VT_ETHER, FW_VT_U32,
	FW_VT_TCPFLAGS,
};

/* What a register holds, for display. */
struct fw_rd {
	char text[72];
	enum fw_vt vt;
	uint32_t len;
	int prefix;			/* >= 0: masked down to a prefix */
	bool masked;
	struct nft_bytes mask, xor;
};

struct fw_render {
	const struct nft_table *table;
	struct fw_rd rd[FW_REG_BYTES / 4];
	char *buf;
	size_t size, used;
	const char *l4;			/* "tcp"/"udp" once the rule matched it */
};

static __attribute__((format(printf, 2, 3)))
void fw_out(struct fw_render *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (r->used + 1 >= r->size)
		return;
	if (r->used)
		r->buf[r->used++] = ' ';
	va_start(ap, fmt);
	n = vsnprintf(r->buf + r->used, r->size - r->used, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	r->used += (size_t)n;
	if (r->used >= r->size) {
		r->used = r->size - 1;
		if (r->size > 4)
			memcpy(r->buf + r->size - 4, "...", 4);
	}
}

static struct fw_rd *fw_rd(struct fw_render *r, uint32_t reg)
{
	int off = fw_reg_off(reg, 4);

	return off < 0 ? NULL : &r->rd[off / 4];
}

static void fw_rd_set(struct fw_render *r, uint32_t reg, enum fw_vt vt, uint32_t len,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void fw_rd_set(struct fw_render *r, uint32_t reg, enum fw_vt vt, uint32_t len,
		      const char *fmt, ...)
{
	struct fw_rd *d = fw_rd(r, reg);
	va_list ap;

	if (!d)
		return;
	memset(d, 0, sizeof(*d));
	d->vt = vt;
	d->len = len;
	d->prefix = -1;
	va_start(ap, fmt);
	vsnprintf(d->text, sizeof(d->text), fmt, ap);
	va_end(ap);
}

static void fw_fmt_bits(char *buf, size_t size, uint32_t v, const char *const *names, size_t n)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && used < size; i++)
		if ((v & (1u << i)) && names[i])
			used += (size_t)snprintf(buf + used, size - used, "%s%s",
						 used ? "," : "", names[i]);
	if (!used)
		snprintf(buf, size, "0x%x", v);
}

static void fw_fmt_hex(char *buf, size_t size, const uint8_t *v, uint32_t len)
{
	size_t used = (size_t)snprintf(buf, size, "0x");

	for (uint32_t i = 0; i < len && used + 3 < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%02x", v[i]);
}

static void fw_fmt_name(char *buf, size_t size, uint32_t v, const char *const *names, size_t n)
{
	if (v < n && names[v])
		snprintf(buf, size, "%s", names[v]);
	else
		snprintf(buf, size, "%u", v);
}

static void fw_fmt_value(char *buf, size_t size, enum fw_vt vt, const uint8_t *v, uint32_t len)
{
	static const char *const ct[] = { "invalid", "established", "related", "new",
					  NULL, NULL, "untracked" };
	static const char *const fib[] = { "unspec", "unicast", "local", "broadcast", "anycast",
					   "multicast", "blackhole", "unreachable", "prohibit" };
	static const char *const tcpf[] = { "fin", "syn", "rst", "psh", "ack", "urg", "ecn", "cwr" };
	uint32_t u = 0;
	uint16_t be = 0;

	if (len == 4)
		memcpy(&u, v, 4);
	if (len == 2)
		memcpy(&be, v, 2);
	if (vt == FW_VT_ADDR && len >= 1 && len <= 4)
		snprintf(buf, size, "%u.%u.%u.%u", (unsigned)v[0], len > 1 ? (unsigned)v[1] : 0u,
			 len > 2 ? (unsigned)v[2] : 0u, len > 3 ? (unsigned)v[3] : 0u);
	else if (vt == FW_VT_PORT && len == 2)
		snprintf(buf, size, "%u", ntohs(be));
	else if (vt == FW_VT_PROTO && len == 1)
		snprintf(buf, size, "%s", v[0] == IPPROTO_TCP ? "tcp" : v[0] == IPPROTO_UDP ? "udp" :
			 v[0] == IPPROTO_ICMP ? "icmp" : v[0] == IPPROTO_SCTP ? "sctp" : "");
	else if (vt == FW_VT_IFNAME)
		snprintf(buf, size, "\"%.*s%s\"", (int)strnlen((const char *)v, len),
			 (const char *)v, memchr(v, 0, len) || len >= IFNAMSIZ ? "" : "*");
	else if ((vt == FW_VT_MARK || vt == FW_VT_U32) && len == 4)
		snprintf(buf, size, "0x%08x", u);
	else if (vt == FW_VT_CTSTATE && len == 4)
		fw_fmt_bits(buf, size, u, ct, sizeof(ct) / sizeof(ct[0]));
	else if (vt == FW_VT_FIBTYPE && len == 4)
		fw_fmt_name(buf, size, u, fib, sizeof(fib) / sizeof(fib[0]));
	else if (vt == FW_VT_NFPROTO && len == 1)
		snprintf(buf, size, "%s", v[0] == NFPROTO_IPV4 ? "ipv4" : v[0] == NFPROTO_IPV6 ? "ipv6" : "");
	else if (vt == FW_VT_ETHER && len == 2)
		snprintf(buf, size, "%s", ntohs(be) == 0x0800 ? "ip" : ntohs(be) == 0x86dd ? "ip6" :
			 ntohs(be) == 0x0806 ? "arp" : "");
	else if (vt == FW_VT_TCPFLAGS && len == 1)
		fw_fmt_bits(buf, size, v[0], tcpf, sizeof(tcpf) / sizeof(tcpf[0]));
	else
		buf[0] = '\0';
	if (!buf[0] && size > 1)
		fw_fmt_hex(buf, size, v, len);
}

static void fw_r_payload(struct fw_render *r, const struct nft_expr *e)
{
	uint32_t b = e->u.payload.base, o = e->u.payload.offset, l = e->u.payload.len;
	const char *th = r->l4 ? r->l4 : "th";
	uint32_t d = e->u.payload.dreg;

	if (e->u.payload.sreg) {
		fw_out(r, "[payload write @%u,%u]", o, l);
	} else if (b == NFT_PAYLOAD_NETWORK_HEADER && o == 12 && l == 4) {
		fw_rd_set(r, d, FW_VT_ADDR, l, "ip saddr");
	} else if (b == NFT_PAYLOAD_NETWORK_HEADER && o == 16 && l == 4) {
		fw_rd_set(r, d, FW_VT_ADDR, l, "ip daddr");
	} else if (b == NFT_PAYLOAD_NETWORK_HEADER && (o == 12 || o == 16) && l < 4) {
		/* iptables-nft loads only the prefix's whole bytes: "-d
		 * 10.244.0.0/16" is a 2-byte load and a cmp. */
		fw_rd_set(r, d, FW_VT_ADDR, l, "ip %s", o == 12 ? "saddr" : "daddr");
		if (fw_rd(r, d))	/* NULL: no such register, nothing to show */
			fw_rd(r, d)->prefix = (int)l * 8;
	} else if (b == NFT_PAYLOAD_NETWORK_HEADER && o == 9 && l == 1) {
		fw_rd_set(r, d, FW_VT_PROTO, l, "ip protocol");
	} else if (b == NFT_PAYLOAD_TRANSPORT_HEADER && (o == 0 || o == 2) && l == 2) {
		fw_rd_set(r, d, FW_VT_PORT, l, "%s %s", th, o ? "dport" : "sport");
	} else if (b == NFT_PAYLOAD_TRANSPORT_HEADER && o == 13 && l == 1) {
		fw_rd_set(r, d, FW_VT_TCPFLAGS, l, "tcp flags");
	} else {
		static const char *const base[] = { "ll", "nh", "th", "ih" };

		fw_rd_set(r, d, FW_VT_RAW, l, "@%s,%u,%u", b < 4 ? base[b] : "?", o * 8, l * 8);
	}
}

static void fw_r_meta(struct fw_render *r, const struct nft_expr *e)
{
	static const struct { uint32_t key; enum fw_vt vt; uint32_t len; const char *text; } m[] = {
		{ NFT_META_L4PROTO, FW_VT_PROTO, 1, "meta l4proto" },
		{ NFT_META_NFPROTO, FW_VT_NFPROTO, 1, "meta nfproto" },
		{ NFT_META_PROTOCOL, FW_VT_ETHER, 2, "meta protocol" },
		{ NFT_META_MARK, FW_VT_MARK, 4, "meta mark" },
		{ NFT_META_IIFNAME, FW_VT_IFNAME, IFNAMSIZ, "iifname" },
		{ NFT_META_OIFNAME, FW_VT_IFNAME, IFNAMSIZ, "oifname" },
		{ NFT_META_IIF, FW_VT_U32, 4, "iif" },
		{ NFT_META_OIF, FW_VT_U32, 4, "oif" },
		{ NFT_META_PKTTYPE, FW_VT_RAW, 1, "meta pkttype" },
		{ NFT_META_PRIORITY, FW_VT_U32, 4, "meta priority" },
		{ NFT_META_NFTRACE, FW_VT_RAW, 1, "meta nftrace" },
	};
	const char *text = NULL;
	enum fw_vt vt = FW_VT_RAW;
	uint32_t len = 4;
	struct fw_rd *src;

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (m[i].key == e->u.meta.key) {
			text = m[i].text;
			vt = m[i].vt;
			len = m[i].len;
		}
	if (!e->u.meta.set) {
		if (text)
			fw_rd_set(r, e->u.meta.reg, vt, len, "%s", text);
		else
			fw_rd_set(r, e->u.meta.reg, FW_VT_RAW, 4, "meta key %u", e->u.meta.key);
		return;
	}
	src = fw_rd(r, e->u.meta.reg);
	if (text)
		fw_out(r, "%s set %s", text, src ? src->text : "?");
	else
		fw_out(r, "meta key %u set %s", e->u.meta.key, src ? src->text : "?");
}

static void fw_r_ct(struct fw_render *r, const struct nft_expr *e)
{
	static const struct { uint32_t key; enum fw_vt vt; uint32_t len; const char *text; } m[] = {
		{ NFT_CT_STATE, FW_VT_CTSTATE, 4, "ct state" },
		{ NFT_CT_DIRECTION, FW_VT_RAW, 1, "ct direction" },
		{ NFT_CT_STATUS, FW_VT_U32, 4, "ct status" },
		{ NFT_CT_MARK, FW_VT_MARK, 4, "ct mark" },
		{ NFT_CT_L3PROTOCOL, FW_VT_NFPROTO, 1, "ct l3proto" },
		{ NFT_CT_PROTOCOL, FW_VT_PROTO, 1, "ct protocol" },
		{ NFT_CT_SRC_IP, FW_VT_ADDR, 4, "ct original ip saddr" },
		{ NFT_CT_DST_IP, FW_VT_ADDR, 4, "ct original ip daddr" },
	};
	struct fw_rd *src;

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		if (m[i].key != e->u.ct.key)
			continue;
		if (!e->u.ct.set) {
			fw_rd_set(r, e->u.ct.reg, m[i].vt, m[i].len, "%s", m[i].text);
		} else {
			src = fw_rd(r, e->u.ct.reg);
			fw_out(r, "%s set %s", m[i].text, src ? src->text : "?");
		}
		return;
	}
	if (e->u.ct.set)
		fw_out(r, "ct key %u set", e->u.ct.key);
	else
		fw_rd_set(r, e->u.ct.reg, FW_VT_RAW, 4, "ct key %u", e->u.ct.key);
}

static void fw_r_fib(struct fw_render *r, const struct nft_expr *e)
{
	uint32_t f = e->u.fib.flags, res = e->u.fib.result;
	char text[64];

	snprintf(text, sizeof(text), "fib %s%s%s%s", (f & NFTA_FIB_F_SADDR) ? "saddr" : "daddr",
		 (f & NFTA_FIB_F_MARK) ? " . mark" : "", (f & NFTA_FIB_F_IIF) ? " . iif" : "",
		 (f & NFTA_FIB_F_OIF) ? " . oif" : "");
	if (res == NFT_FIB_RESULT_ADDRTYPE)
		fw_rd_set(r, e->u.fib.dreg, FW_VT_FIBTYPE, 4, "%s type", text);
	else if (res == NFT_FIB_RESULT_OIFNAME)
		fw_rd_set(r, e->u.fib.dreg, FW_VT_IFNAME, IFNAMSIZ, "%s oifname", text);
	else
		fw_rd_set(r, e->u.fib.dreg, FW_VT_U32, 4, "%s oif", text);
}

/* Returns the prefix length when mask is leading ones then zeros, else -1. */
static int fw_mask_prefix(const struct nft_bytes *m, uint32_t len)
{
	int n = 0;
	bool zeros = false;

	for (uint32_t i = 0; i < len && i < m->len; i++)
		for (int bit = 7; bit >= 0; bit--) {
			bool one = m->b[i] & (1u << bit);

			if (one && zeros)
				return -1;
			if (one)
				n++;
			else
				zeros = true;
		}
	return n;
}

static void fw_r_bitwise(struct fw_render *r, const struct nft_expr *e)
{
	struct fw_rd *s = fw_rd(r, e->u.bitwise.sreg), *d = fw_rd(r, e->u.bitwise.dreg);
	struct fw_rd tmp;
	bool xor0 = true;

	if (!s || !d)
		return;
	tmp = *s;
	for (uint32_t i = 0; i < e->u.bitwise.xor.len; i++)
		xor0 = xor0 && !e->u.bitwise.xor.b[i];
	tmp.masked = true;
	tmp.mask = e->u.bitwise.mask;
	tmp.xor = e->u.bitwise.xor;
	tmp.prefix = (tmp.vt == FW_VT_ADDR && xor0 && e->u.bitwise.op == NFT_BITWISE_BOOL) ?
		     fw_mask_prefix(&e->u.bitwise.mask, e->u.bitwise.len) : -1;
	if (tmp.vt == FW_VT_ADDR && tmp.prefix == (int)e->u.bitwise.len * 8 && s->prefix >= 0)
		tmp.prefix = s->prefix;
	if (e->u.bitwise.op != NFT_BITWISE_BOOL) {
		snprintf(tmp.text, sizeof(tmp.text), "(%.40s %s %u)", s->text,
			 e->u.bitwise.op == NFT_BITWISE_LSHIFT ? "<<" : ">>",
			 e->u.bitwise.data.len >= 4 ? (unsigned)e->u.bitwise.data.b[0] : 0u);
		tmp.masked = false;
	}
	*d = tmp;
}

/* The left-hand side as text, with a non-prefix mask spelled out. */
static void fw_lhs(const struct fw_rd *d, char *buf, size_t size)
{
	char m[40], x[40];
	bool xor0 = true;

	for (uint32_t i = 0; i < d->xor.len; i++)
		xor0 = xor0 && !d->xor.b[i];
	if (!d->masked || d->prefix >= 0) {
		/* a prefix is spelled as the value's /len */
		snprintf(buf, size, "%s", d->text);
		return;
	}
	fw_fmt_value(m, sizeof(m), d->vt == FW_VT_ADDR ? FW_VT_ADDR : FW_VT_RAW, d->mask.b, d->len);
	fw_fmt_value(x, sizeof(x), d->vt == FW_VT_ADDR ? FW_VT_ADDR : FW_VT_RAW, d->xor.b, d->len);
	snprintf(buf, size, "%s & %s%s%s", d->text, m, xor0 ? "" : " ^ ", xor0 ? "" : x);
}

static const char *fw_cmp_op(uint32_t op)
{
	static const char *const ops[] = { "", "!= ", "< ", "<= ", "> ", ">= " };

	return op < sizeof(ops) / sizeof(ops[0]) ? ops[op] : "?? ";
}

static void fw_r_cmp(struct fw_render *r, const struct nft_expr *e)
{
	const struct fw_rd *d = fw_rd(r, e->u.cmp.sreg);
	char lhs[160], val[96];
	bool zero = true;

	if (!d) {
		fw_out(r, "[cmp]");
		return;
	}
	for (uint32_t i = 0; i < e->u.cmp.data.len; i++)
		zero = zero && !e->u.cmp.data.b[i];
	/* nft writes "ct state established,related" as mask != 0. */
	if (d->vt == FW_VT_CTSTATE && d->masked && zero &&
	    (e->u.cmp.op == NFT_CMP_NEQ || e->u.cmp.op == NFT_CMP_EQ)) {
		fw_fmt_value(val, sizeof(val), FW_VT_CTSTATE, d->mask.b, 4);
		fw_out(r, "%s %s%s", d->text, e->u.cmp.op == NFT_CMP_EQ ? "!= " : "", val);
		return;
	}
	fw_lhs(d, lhs, sizeof(lhs));
	fw_fmt_value(val, sizeof(val), d->vt, e->u.cmp.data.b, e->u.cmp.data.len);
	if (d->prefix >= 0 && d->prefix < 32)
		fw_out(r, "%s %s%s/%d", lhs, fw_cmp_op(e->u.cmp.op), val, d->prefix);
	else
		fw_out(r, "%s %s%s", lhs, fw_cmp_op(e->u.cmp.op), val);
	if (d->vt == FW_VT_PROTO && e->u.cmp.op == NFT_CMP_EQ && e->u.cmp.data.len == 1)
		r->l4 = e->u.cmp.data.b[0] == IPPROTO_TCP ? "tcp" :
			e->u.cmp.data.b[0] == IPPROTO_UDP ? "udp" : r->l4;
}

static void fw_r_range(struct fw_render *r, const struct nft_expr *e)
{
	const struct fw_rd *d = fw_rd(r, e->u.range.sreg);
	char lo[64], hi[64];
	enum fw_vt vt = d ? d->vt : FW_VT_RAW;

	fw_fmt_value(lo, sizeof(lo), vt, e->u.range.from.b, e->u.range.from.len);
	fw_fmt_value(hi, sizeof(hi), vt, e->u.range.to.b, e->u.range.to.len);
	fw_out(r, "%s %s%s-%s", d ? d->text : "?", e->u.range.op == NFT_RANGE_NEQ ? "!= " : "",
	       lo, hi);
}

static const char *fw_verdict_text(int32_t code, const char *chain, char *buf, size_t size)
{
	switch (code) {
	case NF_ACCEPT: return "accept";
	case NF_DROP: return "drop";
	case NFT_CONTINUE: return "continue";
	case NFT_RETURN: return "return";
	case NFT_JUMP:
	case NFT_GOTO:
		snprintf(buf, size, "%s %s", code == NFT_JUMP ? "jump" : "goto", chain ? chain : "?");
		return buf;
	}
	if ((code & NF_VERDICT_MASK) == NF_QUEUE)
		return "queue";
	if ((code & NF_VERDICT_MASK) == NF_DROP)
		return "drop";
	snprintf(buf, size, "verdict %d", code);
	return buf;
}

/* The key of a lookup: the registers from sreg on, joined as nft concats. */
static void fw_key_text(struct fw_render *r, uint32_t sreg, uint32_t klen, char *buf,
			size_t size, enum fw_vt *vt)
{
	int off = fw_reg_off(sreg, 4);
	size_t used = 0;

	buf[0] = '\0';
	*vt = FW_VT_RAW;
	if (off < 0)
		return;
	for (uint32_t w = (uint32_t)off / 4, got = 0; got < klen && w < FW_REG_BYTES / 4;) {
		const struct fw_rd *d = &r->rd[w];
		uint32_t step = d->len ? (d->len + 3) / 4 : 1;

		used += (size_t)snprintf(buf + used, size > used ? size - used : 0, "%s%s",
					 got ? " . " : "", d->text[0] ? d->text : "?");
		if (!got)
			*vt = d->vt;
		got += step * 4;
		w += step;
		if (got < klen)
			*vt = FW_VT_RAW;
	}
}

/* An anonymous set's elements, inline as nft prints them. */
static void fw_set_text(const struct nft_set *s, enum fw_vt vt, char *buf, size_t size)
{
	size_t used = (size_t)snprintf(buf, size, "{ ");
	char lo[64], hi[64];
	int p;

	for (size_t i = 0; i < s->nranges && used + 8 < size; i++) {
		const struct nft_range *g = &s->ranges[i];
		const struct nft_elem *el = &s->elems[g->elem];
		struct nft_bytes m = { .len = (uint8_t)s->key_len };
		char v[NFT_NAME_MAXLEN + 8];

		fw_fmt_value(lo, sizeof(lo), vt, g->lo.b, s->key_len);
		fw_fmt_value(hi, sizeof(hi), vt, g->hi.b, s->key_len);
		for (uint32_t j = 0; j < s->key_len; j++)
			m.b[j] = (uint8_t)~(g->lo.b[j] ^ g->hi.b[j]);
		p = vt == FW_VT_ADDR ? fw_mask_prefix(&m, s->key_len) : -1;
		if (!memcmp(g->lo.b, g->hi.b, s->key_len))
			used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "", lo);
		else if (p >= 0)
			used += (size_t)snprintf(buf + used, size - used, "%s%s/%d", i ? ", " : "", lo, p);
		else
			used += (size_t)snprintf(buf + used, size - used, "%s%s-%s", i ? ", " : "", lo, hi);
		if ((s->flags & NFT_SET_MAP) && s->data_type == NFT_DATA_VERDICT && used < size)
			used += (size_t)snprintf(buf + used, size - used, " : %s",
						 fw_verdict_text(el->verdict, el->chain, v, sizeof(v)));
	}
	if (used + 3 < size)
		snprintf(buf + used, size - used, " }");
}

static void fw_r_lookup(struct fw_render *r, const struct nft_expr *e)
{
	const struct nft_set *s = nft_set_find(r->table, e->str);
	char key[128], set[200];
	enum fw_vt vt;
	bool inv = e->u.lookup.flags & NFT_LOOKUP_F_INV;

	fw_key_text(r, e->u.lookup.sreg, s ? s->key_len : 4, key, sizeof(key), &vt);
	if (s && (s->flags & NFT_SET_ANONYMOUS) &&
	    (!(s->flags & NFT_SET_MAP) || s->data_type == NFT_DATA_VERDICT))
		fw_set_text(s, vt, set, sizeof(set));
	else
		snprintf(set, sizeof(set), "@%s", e->str ? e->str : "?");
	if (!e->u.lookup.has_dreg)
		fw_out(r, "%s %s%s", key, inv ? "!= " : "", set);
	else if (e->u.lookup.dreg == NFT_REG_VERDICT)
		fw_out(r, "%s vmap %s", key, set);
	else
		fw_rd_set(r, e->u.lookup.dreg, FW_VT_RAW, s ? s->data_len : 4, "%.30s map %.30s",
			  key, set);
}

static void fw_r_nat(struct fw_render *r, const struct nft_expr *e)
{
	const struct fw_rd *a = e->u.nat.reg_addr_min ? fw_rd(r, e->u.nat.reg_addr_min) : NULL;
	const struct fw_rd *p = e->u.nat.reg_proto_min ? fw_rd(r, e->u.nat.reg_proto_min) : NULL;

	fw_out(r, "%s to %s%s%s", e->u.nat.type == NFT_NAT_SNAT ? "snat" : "dnat",
	       a ? a->text : "", p ? ":" : "", p ? p->text : "");
}

static void fw_r_imm(struct fw_render *r, const struct nft_expr *e)
{
	char buf[NFT_NAME_MAXLEN + 8], val[96];
	enum fw_vt vt = e->u.imm.data.len == 4 ? FW_VT_ADDR :
			e->u.imm.data.len == 2 ? FW_VT_PORT : FW_VT_RAW;

	if (e->u.imm.dreg == NFT_REG_VERDICT) {
		fw_out(r, "%s", fw_verdict_text(e->u.imm.verdict, e->str, buf, sizeof(buf)));
		return;
	}
	fw_fmt_value(val, sizeof(val), vt, e->u.imm.data.b, e->u.imm.data.len);
	fw_rd_set(r, e->u.imm.dreg, vt, e->u.imm.data.len, "%s", val);
}

/* -m addrtype as nft shows it: "fib daddr type != local". */
static void fw_r_addrtype(struct fw_render *r, const struct xt_addrtype_info_v1 *a)
{
	char types[96];
	size_t used = 0;

	for (int side = 0; side < 2; side++) {
		uint16_t mask = side ? a->dest : a->source;
		bool inv = a->flags & (side ? XT_ADDRTYPE_INVERT_DEST : XT_ADDRTYPE_INVERT_SOURCE);

		if (!mask)
			continue;
		types[0] = '\0';
		used = 0;
		for (uint32_t t = 0; t <= RTN_PROHIBIT && used < sizeof(types); t++) {
			uint32_t v = t;
			char name[24];

			if (!(mask & (1u << t)))
				continue;
			fw_fmt_value(name, sizeof(name), FW_VT_FIBTYPE, (const uint8_t *)&v, 4);
			used += (size_t)snprintf(types + used, sizeof(types) - used, "%s%s",
						 used ? "," : "", name);
		}
		fw_out(r, "fib %s%s type %s%s", side ? "daddr" : "saddr",
		       (a->flags & XT_ADDRTYPE_LIMIT_IFACE_IN) ? " . iif" :
		       (a->flags & XT_ADDRTYPE_LIMIT_IFACE_OUT) ? " . oif" : "",
		       inv ? "!= " : "", types);
	}
}

static void fw_r_xt(struct fw_render *r, const struct nft_expr *e)
{
	const char *n = e->str ? e->str : "?";
	struct xt_addrtype_info_v1 at;
	struct xt_mark_mtinfo1 m;

	if (e->kind == NFT_EXPR_MATCH && !strcmp(n, "comment") && e->infolen)
		fw_out(r, "comment \"%.*s\"", (int)strnlen((const char *)e->info, e->infolen),
		       (const char *)e->info);
	else if (e->kind == NFT_EXPR_MATCH && !strcmp(n, "addrtype") && e->u.xt.rev == 1 &&
		 fw_xt_info(e, &at, sizeof(at)))
		fw_r_addrtype(r, &at);
	else if (e->kind == NFT_EXPR_MATCH && !strcmp(n, "mark") && fw_xt_info(e, &m, sizeof(m)))
		fw_out(r, "meta mark & 0x%08x %s 0x%08x", m.mask, m.invert ? "!=" : "==", m.mark);
	else
		fw_out(r, "xt %s \"%s\"", e->kind == NFT_EXPR_MATCH ? "match" : "target", n);
}

static void fw_r_stmt(struct fw_render *r, const struct nft_expr *e)
{
	static const char *const units[] = { "second", "minute", "hour", "day", "week" };
	static const uint64_t secs[] = { 1, 60, 3600, 86400, 604800 };
	const char *unit = "?";

	switch (e->kind) {
	case NFT_EXPR_COUNTER: fw_out(r, "counter"); break;
	case NFT_EXPR_NOTRACK: fw_out(r, "notrack"); break;
	case NFT_EXPR_LOG:
		if (e->str)
			fw_out(r, "log prefix \"%s\"", e->str);
		else
			fw_out(r, "log");
		break;
	case NFT_EXPR_LIMIT:
		for (size_t i = 0; i < sizeof(secs) / sizeof(secs[0]); i++)
			if (secs[i] == e->u.limit.unit)
				unit = units[i];
		fw_out(r, "limit rate %s%llu%s/%s", (e->u.limit.flags & NFT_LIMIT_F_INV) ? "over " : "",
		       (unsigned long long)e->u.limit.rate,
		       e->u.limit.type == NFT_LIMIT_PKT_BYTES ? " bytes" : "", unit);
		break;
	case NFT_EXPR_REJECT:
		fw_out(r, "reject%s", e->u.reject.type == NFT_REJECT_TCP_RST ? " with tcp reset" : "");
		break;
	case NFT_EXPR_MASQ: fw_out(r, "masquerade"); break;
	case NFT_EXPR_REDIR: fw_out(r, "redirect"); break;
	case NFT_EXPR_NAT: fw_r_nat(r, e); break;
	case NFT_EXPR_IMMEDIATE: fw_r_imm(r, e); break;
	case NFT_EXPR_MATCH:
	case NFT_EXPR_TARGET: fw_r_xt(r, e); break;
	default: fw_out(r, "[%s]", e->name); break;
	}
}

/*
 * nft hides the protocol checks it adds itself: "meta nfproto ipv4" before
 * an ip payload in an inet table, "meta l4proto tcp" before a tcp one.
 * Returns true when exprs[i..i+1] is such a check; *l4 gets the protocol.
 */
static bool fw_implicit(const struct nft_rule *rule, size_t i, const char **l4)
{
	const struct nft_expr *m = &rule->exprs[i], *c, *p;

	if (i + 2 >= rule->nexprs)
		return false;
	c = &rule->exprs[i + 1];
	p = &rule->exprs[i + 2];
	if (m->kind != NFT_EXPR_META || m->u.meta.set || c->kind != NFT_EXPR_CMP ||
	    c->u.cmp.op != NFT_CMP_EQ || c->u.cmp.sreg != m->u.meta.reg ||
	    c->u.cmp.data.len != 1 || p->kind != NFT_EXPR_PAYLOAD || p->u.payload.sreg)
		return false;
	if (m->u.meta.key == NFT_META_NFPROTO && c->u.cmp.data.b[0] == NFPROTO_IPV4)
		return p->u.payload.base == NFT_PAYLOAD_NETWORK_HEADER;
	if (m->u.meta.key != NFT_META_L4PROTO || p->u.payload.base != NFT_PAYLOAD_TRANSPORT_HEADER)
		return false;
	if (c->u.cmp.data.b[0] == IPPROTO_TCP)
		*l4 = "tcp";
	else if (c->u.cmp.data.b[0] == IPPROTO_UDP)
		*l4 = "udp";
	else
		return false;
	return true;
}

static void fw_render_rule(const struct nft_table *t, const struct nft_rule *rule,
			   char *buf, size_t size)
{
	struct fw_render *r = calloc(1, sizeof(*r));

	buf[0] = '\0';
	if (!r)
		return;
	r->table = t;
	r->buf = buf;
	r->size = size;
	for (size_t i = 0; i < rule->nexprs; i++) {
		const struct nft_expr *e = &rule->exprs[i];

		if (fw_implicit(rule, i, &r->l4)) {
			i++;
			continue;
		}
		switch (e->kind) {
		case NFT_EXPR_PAYLOAD: fw_r_payload(r, e); break;
		case NFT_EXPR_META: fw_r_meta(r, e); break;
		case NFT_EXPR_CT: fw_r_ct(r, e); break;
		case NFT_EXPR_FIB: fw_r_fib(r, e); break;
		case NFT_EXPR_BITWISE: fw_r_bitwise(r, e); break;
		case NFT_EXPR_BYTEORDER: {
			struct fw_rd *s = fw_rd(r, e->u.byteorder.sreg), *d = fw_rd(r, e->u.byteorder.dreg);

			if (s && d)
				*d = *s;
			break;
		}
		case NFT_EXPR_CMP: fw_r_cmp(r, e); break;
		case NFT_EXPR_RANGE: fw_r_range(r, e); break;
		case NFT_EXPR_LOOKUP: fw_r_lookup(r, e); break;
		default: fw_r_stmt(r, e); break;
		}
	}
	if (rule->comment)
		fw_out(r, "comment \"%s\"", rule->comment);
	free(r);
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

/* Names the loop that entering `to` closes: "goto loop: a -> b -> a". */
static void fw_loop_reason(struct fw_eval *ev, const struct fw_walk *w, const char *to)
{
	size_t used, from = FW_RECENT;

	for (size_t k = 1; k <= FW_RECENT && from == FW_RECENT; k++)
		if (w->recent[(w->entries - k) % FW_RECENT] &&
		    !strcmp(w->recent[(w->entries - k) % FW_RECENT], to))
			from = k;
	used = (size_t)snprintf(ev->reason, sizeof(ev->reason), "goto loop: %s%.32s",
				from == FW_RECENT ? "... -> " : "", to);
	for (size_t k = from == FW_RECENT ? 1 : from - 1; k >= 1 && used < sizeof(ev->reason); k--)
		used += (size_t)snprintf(ev->reason + used, sizeof(ev->reason) - used, " -> %.32s",
					 w->recent[(w->entries - k) % FW_RECENT]);
	if (used < sizeof(ev->reason))
		snprintf(ev->reason + used, sizeof(ev->reason) - used, " -> %.32s", to);
}

/* Follows a jump or goto; false (d says unknown) when it cannot. */
static bool fw_enter(struct fw_eval *ev, struct fw_walk *w, struct fw_decision *d)
{
	const struct nft_chain *to = nft_chain_find(ev->table, ev->target);

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
		fw_loop_reason(ev, w, to->name);
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
			fw_unknown(ev, "more than %d rules on one path", FW_MAX_RULES);
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

		for (size_t j = 0; j < t->nchains; j++, order++) {
			const struct nft_chain *c = &t->chains[j];

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
	fw_render_rule(ev->table, d->rule, rule, sizeof(out->rule));
	len = strlen(rule);
	if (d->policy && d->v == FW_DROP)
		snprintf(rule + len, sizeof(out->rule) - len, " (then policy drop)");
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
	if (!(v = fw_entries(rs, hook, &n)))
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
	free(v);
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
