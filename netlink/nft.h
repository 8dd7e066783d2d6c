/*
 * The whole nftables ruleset as plain values: tables of every family, their
 * chains, rules with expressions and handles, and sets with their elements.
 * netlink/nft.c fills these from an nfnetlink dump (or from serialized
 * messages in unit tests); agent/fw.c evaluates them.  No libnftnl type
 * appears here.  Constants (registers, NFT_CMP_*, NFT_META_*, NFT_PAYLOAD_*,
 * verdict codes, ...) are the kernel's own uapi values from
 * <linux/netfilter/nf_tables.h>, so nothing is translated on the way in.
 */
#ifndef PODREACH_NFT_H
#define PODREACH_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/netfilter/nf_tables.h>

struct nft_pool;

/* Register and immediate data: up to NFT_DATA_VALUE_MAXLEN bytes, as the
 * kernel holds them (addresses and ports in network byte order, meta mark
 * and ct state in host order). */
struct nft_bytes {
	uint8_t len;
	uint8_t b[NFT_DATA_VALUE_MAXLEN];
};

enum nft_expr_kind {
	NFT_EXPR_UNKNOWN,	/* anything else; name says what */
	NFT_EXPR_PAYLOAD,
	NFT_EXPR_CMP,
	NFT_EXPR_BITWISE,
	NFT_EXPR_BYTEORDER,
	NFT_EXPR_RANGE,
	NFT_EXPR_LOOKUP,
	NFT_EXPR_META,
	NFT_EXPR_FIB,
	NFT_EXPR_CT,
	NFT_EXPR_COUNTER,
	NFT_EXPR_LOG,
	NFT_EXPR_LIMIT,
	NFT_EXPR_IMMEDIATE,
	NFT_EXPR_REJECT,
	NFT_EXPR_MASQ,
	NFT_EXPR_NAT,
	NFT_EXPR_REDIR,
	NFT_EXPR_MATCH,		/* iptables-nft compat xt match */
	NFT_EXPR_TARGET,	/* iptables-nft compat xt target */
	NFT_EXPR_NOTRACK,
};

/*
 * One expression.  Register numbers are the netlink ones (NFT_REG_1..4,
 * NFT_REG32_00..15); 0 in an sreg/dreg field that is optional means "not
 * given" (register 0 is the verdict register, only valid as a lookup or
 * immediate destination, which therefore carry their own flag).
 */
struct nft_expr {
	enum nft_expr_kind kind;
	char name[32];		/* the kernel's expression type, e.g. "payload" */
	char *str;		/* jump/goto chain, lookup set, log prefix, xt name */
	uint8_t *info;		/* xt match/target info bytes, as the kernel keeps them */
	size_t infolen;
	union {
		struct {
			uint32_t base, offset, len, dreg, sreg;
		} payload;		/* sreg != 0: payload write (mangle) */
		struct {
			uint32_t sreg, op;
			struct nft_bytes data;
		} cmp;
		struct {
			uint32_t sreg, dreg, len, op;
			struct nft_bytes mask, xor, data;
		} bitwise;
		struct {
			uint32_t sreg, dreg, op, len, size;
		} byteorder;
		struct {
			uint32_t sreg, op;
			struct nft_bytes from, to;
		} range;
		struct {
			uint32_t sreg, dreg, flags, set_id;
			bool has_dreg;	/* a map lookup; dreg 0 is a verdict map */
		} lookup;
		struct {
			uint32_t key, reg;
			bool set;	/* reg is the source: "meta KEY set ..." */
		} meta;
		struct {
			uint32_t dreg, result, flags;
		} fib;
		struct {
			uint32_t key, reg;
			uint8_t dir;
			bool has_dir, set;
		} ct;
		struct {
			uint64_t rate, unit;
			uint32_t burst, type, flags;
		} limit;
		struct {
			uint32_t dreg;
			int32_t verdict;	/* dreg 0: NF_ACCEPT, NFT_JUMP, ... */
			struct nft_bytes data;	/* dreg != 0 */
		} imm;
		struct {
			uint32_t type;
			uint8_t code;
		} reject;
		struct {
			uint32_t flags, reg_proto_min, reg_proto_max;
		} masq;			/* masq and redir */
		struct {
			uint32_t type, family, reg_addr_min, reg_addr_max;
			uint32_t reg_proto_min, reg_proto_max, flags;
		} nat;
		struct {
			uint32_t rev;
		} xt;
		struct {
			uint32_t group, level;
		} log;
	} u;
};

struct nft_rule {
	uint64_t handle;	/* as `nft -a` shows it */
	char *comment;		/* NFTNL_UDATA_RULE_COMMENT, or NULL */
	struct nft_expr *exprs;
	size_t nexprs;
	bool pooled;		/* exprs lie in the ruleset's pool: not freed alone */
	bool partial;		/* libnftnl could not parse it: every expr is unknown */
	/* Set by the parser when the rule begins by comparing packet bytes
	 * with a constant (payload, then cmp == on its register), maybe after
	 * tests of meta nfproto or l4proto (as every rule of an inet table
	 * does), which the evaluator always knows: which bytes,
	 * so that a reader may pass over the rule without its expressions
	 * when they differ (a long chain's walk then reads only this array).
	 * len 0: none. */
	struct {
		uint32_t reg;		/* the payload's destination register */
		uint8_t base, off, len;
		uint8_t val[16];
	} pre;
};

struct nft_chain {
	char name[NFT_NAME_MAXLEN];
	char type[16];		/* "filter", "nat", "route"; "" for a regular chain */
	uint64_t handle;
	bool base;		/* has a hook */
	uint32_t hooknum;	/* NF_INET_* */
	int32_t prio;
	uint32_t policy;	/* NF_ACCEPT or NF_DROP; base chains only */
	uint32_t flags;
	struct nft_rule *rules;
	size_t nrules;
};

/* One set element as the kernel sent it.  An interval set sends the start of
 * each range as an element and the end (exclusive) as another element with
 * NFT_SET_ELEM_INTERVAL_END; concatenated ranges carry key_end instead. */
struct nft_elem {
	struct nft_bytes key, key_end;	/* key_end.len 0 when absent */
	uint32_t flags;			/* NFT_SET_ELEM_* */
	int32_t verdict;		/* verdict maps */
	char *chain;			/* verdict maps: jump/goto target */
	struct nft_bytes data;		/* data maps */
};

/* An inclusive [lo, hi] key range derived from the elements; elem indexes
 * the element that carries its data (maps). */
struct nft_range {
	struct nft_bytes lo, hi;
	size_t elem;
};

struct nft_set {
	char name[NFT_NAME_MAXLEN];	/* anonymous sets: "__set%d" */
	uint64_t handle;
	uint32_t flags;			/* NFT_SET_ANONYMOUS, _INTERVAL, _MAP, ... */
	uint32_t key_type, key_len, data_type, data_len, id;
	struct nft_elem *elems;
	size_t nelems;
	struct nft_range *ranges;	/* sorted by lo (memcmp order, as the kernel) */
	size_t nranges;
};

struct nft_table {
	uint32_t family;		/* NFPROTO_* */
	char name[NFT_NAME_MAXLEN];
	uint64_t handle;
	uint32_t flags;			/* NFT_TABLE_F_DORMANT: not evaluated */
	struct nft_chain *chains;	/* in dump (creation) order */
	size_t nchains;
	/* nft_chain_find()'s index: open addressing over chains[], built when
	 * first needed, kept as chains are appended, dropped when they move
	 * (nft_table_reindex()).  The parser's, not the reader's. */
	uint32_t *chain_idx;
	size_t chain_idx_size, chain_idx_for, chain_idx_gone;
	/* How many of chains[] are base chains, as the parser keeps it (0 in
	 * a table built by hand: unknown), so that a reader looking for them
	 * may stop at the last one. */
	size_t nbase;
	struct nft_set *sets;
	size_t nsets;
};

struct nft_ruleset {
	uint32_t genid;			/* the generation the dump belongs to */
	uint64_t serial;		/* new whenever the parser changed it (0: built by
					 * hand): what a reader may key a cache on */
	struct nft_table *tables;	/* in dump (creation) order */
	size_t ntables;
	/* The parser's: while pooling, rules take their expressions from
	 * pool (freed with the ruleset), as a dump's do. */
	struct nft_pool *pool;
	bool pooling;
};

/* Reads the whole ruleset of the current network namespace, consistently
 * (same generation before and after, no interrupted dump; retried a few
 * times).  Returns 0 and a ruleset the caller frees with nft_ruleset_free(),
 * or -errno (-EAGAIN when it kept changing under the dump).  Logs nothing. */
int nft_ruleset_read(struct nft_ruleset **out);

/* Returns an empty ruleset for nft_ruleset_add_msg(), or NULL with errno. */
struct nft_ruleset *nft_ruleset_new(void);

/* Frees rs and everything it holds; NULL-safe. */
void nft_ruleset_free(struct nft_ruleset *rs);

/* Parses the netlink messages in buf (NEWTABLE, NEWCHAIN, NEWSET,
 * NEWSETELEM, NEWRULE, NEWGEN; others are skipped) into rs, through the same
 * code the kernel dump goes through.  A chain, set or rule must come after
 * its table, elements after their set.  Returns 0, -EINVAL for a malformed
 * message, -ENOENT for an unknown table/chain/set, -ENOMEM. */
/* Rules are read straight from their attributes when they hold only the
 * common expressions (true, the default), or always through libnftnl
 * (false).  Both fill the same structs; the unit tests compare them. */
extern bool nft_parse_fast;

int nft_ruleset_add_msg(struct nft_ruleset *rs, const void *buf, size_t len);

/* A chain or set by family, table and name, as one number (FNV-1a), so
 * that what a commit touched and what an evaluation read can be compared.
 * Two objects may share a key: a caller then only does more than needed. */
static inline uint64_t nft_key(uint32_t family, const char *table, const char *name)
{
	uint64_t h = 0xcbf29ce484222325ull ^ (family & 0xff);
	const char *parts[2] = { table ? table : "", name ? name : "" };

	h *= 0x100000001b3ull;
	for (int i = 0; i < 2; i++) {
		for (const unsigned char *p = (const unsigned char *)parts[i]; *p; p++)
			h = (h ^ *p) * 0x100000001b3ull;
		h *= 0x100000001b3ull;	/* the separator */
	}
	return h;
}

#define NFT_CHANGE_KEYS 64

/* What one commit's notifications touched, for the caller to decide what
 * to re-evaluate. */
struct nft_change {
	size_t msgs;		/* nftables messages applied */
	uint32_t families;	/* 1u << NFPROTO_* of every table touched */
	bool all;		/* a table, a base chain, or more than fit in keys */
	size_t nkeys;
	uint64_t keys[NFT_CHANGE_KEYS];	/* nft_key() of each chain and set touched */
};

/* Applies the notifications of one commit (NEW and DEL of tables, chains,
 * rules, sets and elements; NEWGEN) to rs as the kernel applied them: a rule
 * where NFTA_RULE_POSITION / NLM_F_APPEND put it, a replaced rule where the
 * old one was, a renamed chain by its handle.  What chg touched is added to
 * *chg (may be NULL).  Returns 0, -EINVAL for a malformed message, -ENOENT
 * when it names a table, chain, set or position rs does not hold (rs is not
 * the kernel's any more), -ENOMEM.  After an error rs is partly changed:
 * re-seed it from a dump.  A deletion of what rs lacks is not an error: the
 * outcome is the same. */
int nft_ruleset_apply(struct nft_ruleset *rs, const void *buf, size_t len,
		      struct nft_change *chg);

/* How many tables, chains, rules and sets differ between a and b: rules in
 * order, tables, chains, sets and set elements in any order (elements as
 * the key ranges they make).  0 when the evaluator would see the same. */
size_t nft_ruleset_diff(const struct nft_ruleset *a, const struct nft_ruleset *b);

/* Lookups by name; NULL when absent.  Chains through an index (a table of
 * kube-proxy's holds tens of thousands). */
const struct nft_table *nft_table_find(const struct nft_ruleset *rs, uint32_t family,
				       const char *name);
const struct nft_chain *nft_chain_find(const struct nft_table *t, const char *name);
const struct nft_set *nft_set_find(const struct nft_table *t, const char *name);

/* "ip", "ip6", "inet", "arp", "bridge", "netdev", or "unknown". */
const char *nft_family_name(uint32_t family);

/* Drops t's chain index after chains moved or were renamed in place. */
void nft_table_reindex(struct nft_table *t);
/* Keeps t's chain index right after chain i was removed from chains[]. */
void nft_table_chain_removed(struct nft_table *t, size_t i);

#endif
