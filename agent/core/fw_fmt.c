/*
 * A rule as `nft list ruleset` prints it: registers are followed from the
 * loads (payload, meta, ct, fib, immediate) through bitwise and byteorder to
 * the cmp, range or lookup that uses them, and nft's own conventions are
 * kept (prefixes as /len, inline anonymous sets and verdict maps, the
 * protocol checks it adds itself left out, iptables-nft's compat matches in
 * their native spelling).  What it does not know it shows as [name].
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <net/if.h>
#include <linux/netfilter.h>
#include <linux/netfilter/xt_addrtype.h>
#include <linux/netfilter/xt_mark.h>
#include <linux/rtnetlink.h>

#include "agent/core/fw_fmt.h"
#include "netlink/nft.h"

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

/* The mask and xor of a bitwise as nft spells them: in the loaded value's own
 * type (a mark is a host-order u32, so its bytes are not to be read as hex
 * in memory order), as "& m", "^ x", "| x" (mask ~x) or "& m ^ x". */
static void fw_binop(const struct fw_rd *d, char *buf, size_t size)
{
	enum fw_vt vt = d->vt == FW_VT_ADDR || d->vt == FW_VT_MARK || d->vt == FW_VT_U32 ?
			d->vt : FW_VT_RAW;
	char m[40], x[40];
	bool xor0 = true, ones = true, inv = d->xor.len == d->mask.len;

	for (uint32_t i = 0; i < d->xor.len; i++)
		xor0 = xor0 && !d->xor.b[i];
	for (uint32_t i = 0; i < d->mask.len; i++) {
		ones = ones && d->mask.b[i] == 0xff;
		inv = inv && (d->mask.b[i] | d->xor.b[i]) == 0xff && !(d->mask.b[i] & d->xor.b[i]);
	}
	fw_fmt_value(m, sizeof(m), vt, d->mask.b, d->len);
	fw_fmt_value(x, sizeof(x), vt, d->xor.b, d->len);
	if (xor0)
		snprintf(buf, size, "& %s", m);
	else if (ones)
		snprintf(buf, size, "^ %s", x);
	else if (inv)
		snprintf(buf, size, "| %s", x);
	else
		snprintf(buf, size, "& %s ^ %s", m, x);
}

/* What a set statement writes: the register's value, with the bitwise
 * that made it ("meta mark set meta mark | 0x00004000"). */
static void fw_set_value(const struct fw_rd *src, char *buf, size_t size)
{
	char op[96];

	if (!src)
		snprintf(buf, size, "?");
	else if (src->masked && src->prefix < 0) {
		fw_binop(src, op, sizeof(op));
		snprintf(buf, size, "%s %s", src->text, op);
	} else
		snprintf(buf, size, "%s", src->text);
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
	char val[176];

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
	fw_set_value(src, val, sizeof(val));
	if (text)
		fw_out(r, "%s set %s", text, val);
	else
		fw_out(r, "meta key %u set %s", e->u.meta.key, val);
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
	char val[176];

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		if (m[i].key != e->u.ct.key)
			continue;
		if (!e->u.ct.set) {
			fw_rd_set(r, e->u.ct.reg, m[i].vt, m[i].len, "%s", m[i].text);
		} else {
			fw_set_value(fw_rd(r, e->u.ct.reg), val, sizeof(val));
			fw_out(r, "%s set %s", m[i].text, val);
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

/* The left-hand side as text, with a non-prefix mask spelled out; *binop
 * tells the caller that nft then writes "==" too. */
static void fw_lhs(const struct fw_rd *d, char *buf, size_t size, bool *binop)
{
	char op[96];

	*binop = d->masked && d->prefix < 0;
	if (!*binop) {
		/* a prefix is spelled as the value's /len */
		snprintf(buf, size, "%s", d->text);
		return;
	}
	fw_binop(d, op, sizeof(op));
	snprintf(buf, size, "%s %s", d->text, op);
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
	bool zero = true, binop;

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
	fw_lhs(d, lhs, sizeof(lhs), &binop);
	fw_fmt_value(val, sizeof(val), d->vt, e->u.cmp.data.b, e->u.cmp.data.len);
	if (d->prefix >= 0 && d->prefix < 32)
		fw_out(r, "%s %s%s/%d", lhs, fw_cmp_op(e->u.cmp.op), val, d->prefix);
	else	/* nft writes "==" after a binary operation: "meta mark & 0x... == 0x..." */
		fw_out(r, "%s %s%s", lhs, binop && e->u.cmp.op == NFT_CMP_EQ ? "== " :
		       fw_cmp_op(e->u.cmp.op), val);
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

/* -j MARK as nft shows iptables-nft's target: new = (mark & ~mask) ^ value,
 * spelled by the options that wrote it (--or-mark: value == mask, --xor-mark:
 * mask 0, --and-mark: value 0, --set-mark: mask all ones). */
static void fw_r_xt_mark(struct fw_render *r, const struct xt_mark_tginfo2 *t)
{
	if (t->mask == 0xffffffffu)
		fw_out(r, "meta mark set 0x%x", t->mark);
	else if (t->mark == t->mask)
		fw_out(r, "meta mark set mark or 0x%x", t->mark);
	else if (t->mask == 0)
		fw_out(r, "meta mark set mark xor 0x%x", t->mark);
	else if (t->mark == 0)
		fw_out(r, "meta mark set mark and 0x%x", ~t->mask);
	else
		fw_out(r, "meta mark set mark and 0x%x xor 0x%x", ~t->mask, t->mark);
}

static void fw_r_xt(struct fw_render *r, const struct nft_expr *e)
{
	const char *n = e->str ? e->str : "?";
	struct xt_addrtype_info_v1 at;
	struct xt_mark_mtinfo1 m;
	struct xt_mark_tginfo2 t;

	if (e->kind == NFT_EXPR_MATCH && !strcmp(n, "comment") && e->infolen)
		fw_out(r, "comment \"%.*s\"", (int)strnlen((const char *)e->info, e->infolen),
		       (const char *)e->info);
	else if (e->kind == NFT_EXPR_MATCH && !strcmp(n, "addrtype") && e->u.xt.rev == 1 &&
		 fw_xt_info(e, &at, sizeof(at)))
		fw_r_addrtype(r, &at);
	else if (e->kind == NFT_EXPR_MATCH && !strcmp(n, "mark") && fw_xt_info(e, &m, sizeof(m)))
		fw_out(r, "meta mark & 0x%08x %s 0x%08x", m.mask, m.invert ? "!=" : "==", m.mark);
	else if (e->kind == NFT_EXPR_TARGET && !strcmp(n, "MARK") && e->u.xt.rev == 2 &&
		 fw_xt_info(e, &t, sizeof(t)))
		fw_r_xt_mark(r, &t);
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

void fw_fmt_rule(const struct nft_table *t, const struct nft_rule *rule, char *buf, size_t size)
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

