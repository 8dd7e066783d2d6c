/*
 * Inside netlink/nft*.c only: what the message parser (nft.c), the
 * expression table (nft_expr.c), the attribute checks (nft_check.c) and the
 * kernel dump (nft_dump.c) share.  Not for agent/.
 */
#ifndef PODREACH_NFT_INT_H
#define PODREACH_NFT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netlink/nft.h"

#include <linux/netlink.h>
#include <libmnl/libmnl.h>

struct nlmsghdr;
struct nftnl_expr;

/*
 * libmnl's attribute walk and checks, inline: reading 10,000 rules called
 * mnl_attr_parse_nested(), its callbacks and accessors through the PLT
 * some two million times, a third of the time spent above the kernel's
 * dump.  The same tests as mnl_attr_ok(), mnl_attr_next() and
 * mnl_attr_validate().
 */
static inline uint16_t nft_at_type(const struct nlattr *a)
{
	return a->nla_type & NLA_TYPE_MASK;
}

static inline uint16_t nft_at_len(const struct nlattr *a)
{
	return (uint16_t)(a->nla_len - NLA_HDRLEN);
}

static inline const void *nft_at_data(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}

static inline bool nft_at_ok(const struct nlattr *a, long len)
{
	return len >= (long)sizeof(*a) && a->nla_len >= sizeof(*a) && a->nla_len <= len;
}

static inline const struct nlattr *nft_at_next(const struct nlattr *a)
{
	return (const struct nlattr *)((const char *)a + NLA_ALIGN(a->nla_len));
}

/* Every attribute nested in nest, as mnl_attr_for_each_nested(). */
#define nft_at_for_each_nested(pos, nest)						\
	for ((pos) = nft_at_data(nest);							\
	     nft_at_ok((pos), (const char *)nft_at_data(nest) + nft_at_len(nest) -	\
			      (const char *)(pos));					\
	     (pos) = nft_at_next(pos))

/* mnl_attr_validate(a, t) == 0. */
static inline bool nft_at_valid(const struct nlattr *a, enum mnl_attr_data_type t)
{
	uint16_t n = nft_at_len(a);

	switch (t) {
	case MNL_TYPE_UNSPEC:
	case MNL_TYPE_BINARY: return true;
	case MNL_TYPE_U8: return n == 1;
	case MNL_TYPE_U16: return n == 2;
	case MNL_TYPE_U32: return n == 4;
	case MNL_TYPE_U64: return n == 8;
	case MNL_TYPE_NUL_STRING: return n > 0 && ((const char *)nft_at_data(a))[n - 1] == '\0';
	case MNL_TYPE_NESTED: return n == 0 || n >= NLA_HDRLEN;
	default: return mnl_attr_validate(a, t) == 0;
	}
}

/* Appends one zeroed element to *arr_p; returns it or NULL (ENOMEM). */
void *nft_grow(void *arr_p, size_t *n, size_t size);
/* Copies at most len - 1 bytes of src (NULL: "") and a NUL. */
void nft_copy_str(char *dst, size_t len, const char *src);
/* b = data[0..len); len 0 when data is NULL or too long. */
void nft_bytes_set(struct nft_bytes *b, const void *data, uint32_t len);
/* Gives rs a new serial: its contents changed. */
void nft_ruleset_touch(struct nft_ruleset *rs);
/* Free what r, s, t hold (not r, s, t themselves). */
void nft_rule_clear(struct nft_rule *r);
void nft_set_clear(struct nft_set *s);
void nft_table_clear(struct nft_table *t);
/* Parses one nftables message (a NEW* one) into rs: nft_ruleset_add_msg()
 * for one message.  Returns 0 or what nft_ruleset_add_msg() does. */
int nft_parse_one(struct nft_ruleset *rs, const struct nlmsghdr *nlh);
/* Appends the element of one NFTA_LIST_ELEM to s (its ranges untouched).
 * Returns 0, -EINVAL or -ENOMEM. */
int nft_add_elem(struct nft_set *s, const struct nlattr *nest);
/* Rebuilds s's ranges from its elements.  Returns 0 or -ENOMEM. */
int nft_derive_ranges(struct nft_set *s);

/* Fills e from libnftnl's parse of one expression: kind NFT_EXPR_UNKNOWN
 * (name only) for a type podreach does not read.  Returns 0 or -ENOMEM. */
int nft_expr_from_nftnl(struct nft_expr *e, const struct nftnl_expr *ne);
/* Fills e straight from one NFTA_LIST_ELEM.  Returns 0, -EAGAIN when the
 * libnftnl path must read it (a type this path does not read, or anything
 * malformed), or -ENOMEM. */
int nft_expr_from_attr(struct nft_expr *e, const struct nlattr *elem);

/*
 * libnftnl exit()s the whole process ("nf_tables kernel ABI is broken")
 * when an attribute it reads has the wrong length for its type.  Every
 * message is checked against the same types first and refused (-EINVAL)
 * instead.  Returns true when nlh may go to libnftnl.
 */
bool nft_msg_ok(const struct nlmsghdr *nlh);
/* The MNL_TYPE_* of each attribute of the expression type name (*n of
 * them), or NULL for a type podreach does not read. */
const uint8_t *nft_expr_types(const char *name, size_t *n);

#endif
