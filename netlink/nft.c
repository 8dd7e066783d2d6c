/*
 * Reads the nftables ruleset over nfnetlink (libmnl + libnftnl) into the
 * plain structs of nft.h.  The kernel dump and the unit tests go through the
 * same entry point, nft_ruleset_add_msg().
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/gen.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "netlink/nft.h"

/* A ruleset that keeps changing is retried this often before -EAGAIN. */
#define NFT_READ_TRIES 8
#define NFT_RECV_SIZE (1 << 16)

/* ---- ownership ------------------------------------------------------- */

static void nft_expr_clear(struct nft_expr *e)
{
	free(e->str);
	free(e->info);
}

static void nft_rule_clear(struct nft_rule *r)
{
	for (size_t i = 0; i < r->nexprs; i++)
		nft_expr_clear(&r->exprs[i]);
	free(r->exprs);
	free(r->comment);
}

static void nft_set_clear(struct nft_set *s)
{
	for (size_t i = 0; i < s->nelems; i++)
		free(s->elems[i].chain);
	free(s->elems);
	free(s->ranges);
}

static void nft_table_clear(struct nft_table *t)
{
	for (size_t i = 0; i < t->nchains; i++) {
		for (size_t j = 0; j < t->chains[i].nrules; j++)
			nft_rule_clear(&t->chains[i].rules[j]);
		free(t->chains[i].rules);
	}
	free(t->chains);
	for (size_t i = 0; i < t->nsets; i++)
		nft_set_clear(&t->sets[i]);
	free(t->sets);
}

void nft_ruleset_free(struct nft_ruleset *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->ntables; i++)
		nft_table_clear(&rs->tables[i]);
	free(rs->tables);
	free(rs);
}

struct nft_ruleset *nft_ruleset_new(void)
{
	return calloc(1, sizeof(struct nft_ruleset));
}

/* Appends one zeroed element to *arr; returns it or NULL (ENOMEM). */
static void *nft_grow(void *arr_p, size_t *n, size_t size)
{
	void **arr = arr_p;
	char *p = reallocarray(*arr, *n + 1, size);

	if (!p)
		return NULL;
	*arr = p;
	memset(p + *n * size, 0, size);
	return p + (*n)++ * size;
}

static void nft_copy_str(char *dst, size_t len, const char *src)
{
	/* strnlen + memcpy: called for every expression, snprintf showed up. */
	size_t n = src ? strnlen(src, len - 1) : 0;

	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
}

/* ---- lookups --------------------------------------------------------- */

const char *nft_family_name(uint32_t family)
{
	switch (family) {
	case NFPROTO_IPV4: return "ip";
	case NFPROTO_IPV6: return "ip6";
	case NFPROTO_INET: return "inet";
	case NFPROTO_ARP: return "arp";
	case NFPROTO_BRIDGE: return "bridge";
	case NFPROTO_NETDEV: return "netdev";
	}
	return "unknown";
}

const struct nft_table *nft_table_find(const struct nft_ruleset *rs, uint32_t family,
				       const char *name)
{
	for (size_t i = 0; rs && name && i < rs->ntables; i++)
		if (rs->tables[i].family == family && !strcmp(rs->tables[i].name, name))
			return &rs->tables[i];
	return NULL;
}

const struct nft_chain *nft_chain_find(const struct nft_table *t, const char *name)
{
	/* Rules arrive chain after chain: try the last one asked for first. */
	static __thread size_t hint;

	if (!t || !name)
		return NULL;
	if (hint < t->nchains && !strcmp(t->chains[hint].name, name))
		return &t->chains[hint];
	for (size_t i = 0; i < t->nchains; i++)
		if (!strcmp(t->chains[i].name, name)) {
			hint = i;
			return &t->chains[i];
		}
	return NULL;
}

const struct nft_set *nft_set_find(const struct nft_table *t, const char *name)
{
	for (size_t i = 0; t && name && i < t->nsets; i++)
		if (!strcmp(t->sets[i].name, name))
			return &t->sets[i];
	return NULL;
}

/* The finders hand out const pointers; the parser owns the ruleset. */
static struct nft_table *nft_table_mut(struct nft_ruleset *rs, uint32_t family, const char *name)
{
	return (struct nft_table *)nft_table_find(rs, family, name);
}

/* ---- tables, chains -------------------------------------------------- */

static int nft_parse_table(struct nft_ruleset *rs, const struct nlmsghdr *nlh)
{
	struct nftnl_table *nt = nftnl_table_alloc();
	struct nft_table *t;
	int ret = -ENOMEM;

	if (!nt)
		return -ENOMEM;
	if (nftnl_table_nlmsg_parse(nlh, nt) < 0 || !nftnl_table_is_set(nt, NFTNL_TABLE_NAME)) {
		ret = -EINVAL;
		goto out;
	}
	t = nft_table_mut(rs, nftnl_table_get_u32(nt, NFTNL_TABLE_FAMILY),
			  nftnl_table_get_str(nt, NFTNL_TABLE_NAME));
	if (!t && !(t = nft_grow(&rs->tables, &rs->ntables, sizeof(*t))))
		goto out;
	t->family = nftnl_table_get_u32(nt, NFTNL_TABLE_FAMILY);
	nft_copy_str(t->name, sizeof(t->name), nftnl_table_get_str(nt, NFTNL_TABLE_NAME));
	t->handle = nftnl_table_get_u64(nt, NFTNL_TABLE_HANDLE);
	t->flags = nftnl_table_get_u32(nt, NFTNL_TABLE_FLAGS);
	ret = 0;
out:
	nftnl_table_free(nt);
	return ret;
}

static int nft_parse_chain(struct nft_ruleset *rs, const struct nlmsghdr *nlh)
{
	struct nftnl_chain *nc = nftnl_chain_alloc();
	struct nft_table *t;
	struct nft_chain *c;
	int ret = -ENOMEM;

	if (!nc)
		return -ENOMEM;
	if (nftnl_chain_nlmsg_parse(nlh, nc) < 0 || !nftnl_chain_is_set(nc, NFTNL_CHAIN_NAME)) {
		ret = -EINVAL;
		goto out;
	}
	t = nft_table_mut(rs, nftnl_chain_get_u32(nc, NFTNL_CHAIN_FAMILY),
			  nftnl_chain_get_str(nc, NFTNL_CHAIN_TABLE));
	if (!t) {
		ret = -ENOENT;
		goto out;
	}
	c = (struct nft_chain *)nft_chain_find(t, nftnl_chain_get_str(nc, NFTNL_CHAIN_NAME));
	if (!c && !(c = nft_grow(&t->chains, &t->nchains, sizeof(*c))))
		goto out;
	nft_copy_str(c->name, sizeof(c->name), nftnl_chain_get_str(nc, NFTNL_CHAIN_NAME));
	c->handle = nftnl_chain_get_u64(nc, NFTNL_CHAIN_HANDLE);
	c->flags = nftnl_chain_get_u32(nc, NFTNL_CHAIN_FLAGS);
	c->base = nftnl_chain_is_set(nc, NFTNL_CHAIN_HOOKNUM);
	if (c->base) {
		c->hooknum = nftnl_chain_get_u32(nc, NFTNL_CHAIN_HOOKNUM);
		c->prio = nftnl_chain_get_s32(nc, NFTNL_CHAIN_PRIO);
		/* The kernel always dumps a base chain's policy; accept is
		 * its default should it ever be missing. */
		c->policy = nftnl_chain_is_set(nc, NFTNL_CHAIN_POLICY) ?
			    nftnl_chain_get_u32(nc, NFTNL_CHAIN_POLICY) : NF_ACCEPT;
		nft_copy_str(c->type, sizeof(c->type), nftnl_chain_get_str(nc, NFTNL_CHAIN_TYPE));
	}
	ret = 0;
out:
	nftnl_chain_free(nc);
	return ret;
}

/* ---- sets and elements ----------------------------------------------- */

static int nft_parse_set(struct nft_ruleset *rs, const struct nlmsghdr *nlh)
{
	struct nftnl_set *ns = nftnl_set_alloc();
	struct nft_table *t;
	struct nft_set *s;
	int ret = -ENOMEM;

	if (!ns)
		return -ENOMEM;
	if (nftnl_set_nlmsg_parse(nlh, ns) < 0 || !nftnl_set_is_set(ns, NFTNL_SET_NAME)) {
		ret = -EINVAL;
		goto out;
	}
	t = nft_table_mut(rs, nftnl_set_get_u32(ns, NFTNL_SET_FAMILY),
			  nftnl_set_get_str(ns, NFTNL_SET_TABLE));
	if (!t) {
		ret = -ENOENT;
		goto out;
	}
	s = (struct nft_set *)nft_set_find(t, nftnl_set_get_str(ns, NFTNL_SET_NAME));
	if (!s && !(s = nft_grow(&t->sets, &t->nsets, sizeof(*s))))
		goto out;
	nft_copy_str(s->name, sizeof(s->name), nftnl_set_get_str(ns, NFTNL_SET_NAME));
	s->handle = nftnl_set_get_u64(ns, NFTNL_SET_HANDLE);
	s->flags = nftnl_set_get_u32(ns, NFTNL_SET_FLAGS);
	s->key_type = nftnl_set_get_u32(ns, NFTNL_SET_KEY_TYPE);
	s->key_len = nftnl_set_get_u32(ns, NFTNL_SET_KEY_LEN);
	s->data_type = nftnl_set_get_u32(ns, NFTNL_SET_DATA_TYPE);
	s->data_len = nftnl_set_get_u32(ns, NFTNL_SET_DATA_LEN);
	s->id = nftnl_set_get_u32(ns, NFTNL_SET_ID);
	ret = 0;
out:
	nftnl_set_free(ns);
	return ret;
}

static void nft_bytes_set(struct nft_bytes *b, const void *data, uint32_t len)
{
	if (!data || len > sizeof(b->b))
		len = 0;
	b->len = (uint8_t)len;
	if (len)
		memcpy(b->b, data, len);
}

static int nft_copy_elem(struct nft_set *s, struct nftnl_set_elem *ne)
{
	struct nft_elem *e = nft_grow(&s->elems, &s->nelems, sizeof(*e));
	uint32_t len = 0;
	const void *p;

	if (!e)
		return -ENOMEM;
	p = nftnl_set_elem_get(ne, NFTNL_SET_ELEM_KEY, &len);
	nft_bytes_set(&e->key, p, len);
	if (nftnl_set_elem_is_set(ne, NFTNL_SET_ELEM_KEY_END)) {
		p = nftnl_set_elem_get(ne, NFTNL_SET_ELEM_KEY_END, &len);
		nft_bytes_set(&e->key_end, p, len);
	}
	/* libnftnl's elem getters dereference unset attributes: ask first. */
	if (nftnl_set_elem_is_set(ne, NFTNL_SET_ELEM_FLAGS))
		e->flags = nftnl_set_elem_get_u32(ne, NFTNL_SET_ELEM_FLAGS);
	if (nftnl_set_elem_is_set(ne, NFTNL_SET_ELEM_VERDICT))
		e->verdict = (int32_t)nftnl_set_elem_get_u32(ne, NFTNL_SET_ELEM_VERDICT);
	if (nftnl_set_elem_is_set(ne, NFTNL_SET_ELEM_CHAIN) &&
	    !(e->chain = strdup(nftnl_set_elem_get_str(ne, NFTNL_SET_ELEM_CHAIN))))
		return -ENOMEM;
	if (nftnl_set_elem_is_set(ne, NFTNL_SET_ELEM_DATA)) {
		p = nftnl_set_elem_get(ne, NFTNL_SET_ELEM_DATA, &len);
		nft_bytes_set(&e->data, p, len);
	}
	return 0;
}

/* Sort order of interval elements: by key as the kernel's rbtree compares
 * (memcmp), and on equal keys an end before a start, so that [a,b] and
 * [b+1,c] sent unmerged stay two touching ranges. */
static const struct nft_set *nft_sort_set;

static int nft_elem_cmp(const void *a, const void *b)
{
	const struct nft_elem *x = &nft_sort_set->elems[*(const size_t *)a];
	const struct nft_elem *y = &nft_sort_set->elems[*(const size_t *)b];
	int d = memcmp(x->key.b, y->key.b, sizeof(x->key.b));

	if (d)
		return d;
	return (int)(y->flags & NFT_SET_ELEM_INTERVAL_END) -
	       (int)(x->flags & NFT_SET_ELEM_INTERVAL_END);
}

/* Big-endian decrement: the exclusive end of a range becomes inclusive. */
static void nft_bytes_dec(struct nft_bytes *b)
{
	for (int i = b->len - 1; i >= 0; i--)
		if (b->b[i]-- != 0)
			break;
}

static int nft_add_range(struct nft_set *s, const struct nft_bytes *lo,
			 const struct nft_bytes *hi, size_t elem)
{
	struct nft_range *r = nft_grow(&s->ranges, &s->nranges, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->lo = *lo;
	r->hi = *hi;
	r->elem = elem;
	return 0;
}

/*
 * Interval sets without key_end (the rbtree backend) come as start elements
 * and INTERVAL_END elements holding the first key past the range; nft also
 * sends a lone end at key 0 to close the gap below the first range.  A key
 * matches when the greatest element <= key is a start, which is what this
 * walk turns into [lo, hi] ranges; an open start runs to all-ones.
 */
static int nft_derive_intervals(struct nft_set *s, const size_t *order)
{
	struct nft_bytes hi;
	size_t open = SIZE_MAX;
	int ret;

	for (size_t k = 0; k < s->nelems; k++) {
		const struct nft_elem *e = &s->elems[order[k]];

		if (e->key_end.len) {
			if ((ret = nft_add_range(s, &e->key, &e->key_end, order[k])))
				return ret;
			continue;
		}
		if (open != SIZE_MAX && memcmp(e->key.b, s->elems[open].key.b, e->key.len)) {
			hi = e->key;
			nft_bytes_dec(&hi);
			if ((ret = nft_add_range(s, &s->elems[open].key, &hi, open)))
				return ret;
		}
		open = (e->flags & NFT_SET_ELEM_INTERVAL_END) ? SIZE_MAX : order[k];
	}
	if (open != SIZE_MAX) {
		hi = s->elems[open].key;
		memset(hi.b, 0xff, hi.len);
		return nft_add_range(s, &s->elems[open].key, &hi, open);
	}
	return 0;
}

/* Rebuilt after every element message: one set's elements may span several
 * dump messages and only the whole list says where the ranges end. */
static int nft_derive_ranges(struct nft_set *s)
{
	size_t *order;
	int ret = 0;

	free(s->ranges);
	s->ranges = NULL;
	s->nranges = 0;
	if (!s->nelems)
		return 0;
	if (!(order = calloc(s->nelems, sizeof(*order))))
		return -ENOMEM;
	for (size_t i = 0; i < s->nelems; i++)
		order[i] = i;
	nft_sort_set = s;
	qsort(order, s->nelems, sizeof(*order), nft_elem_cmp);
	nft_sort_set = NULL;
	if (s->flags & NFT_SET_INTERVAL) {
		ret = nft_derive_intervals(s, order);
	} else {
		for (size_t k = 0; k < s->nelems && !ret; k++)
			ret = nft_add_range(s, &s->elems[order[k]].key,
					    &s->elems[order[k]].key, order[k]);
	}
	free(order);
	return ret;
}

static int nft_parse_elems(struct nft_ruleset *rs, const struct nlmsghdr *nlh)
{
	struct nftnl_set *ns = nftnl_set_alloc();
	struct nftnl_set_elems_iter *it = NULL;
	struct nftnl_set_elem *ne;
	struct nft_table *t;
	struct nft_set *s;
	int ret = -ENOMEM;

	if (!ns)
		return -ENOMEM;
	if (nftnl_set_elems_nlmsg_parse(nlh, ns) < 0) {
		ret = -EINVAL;
		goto out;
	}
	t = nft_table_mut(rs, nftnl_set_get_u32(ns, NFTNL_SET_FAMILY),
			  nftnl_set_get_str(ns, NFTNL_SET_TABLE));
	s = (struct nft_set *)nft_set_find(t, nftnl_set_get_str(ns, NFTNL_SET_NAME));
	if (!s) {
		ret = -ENOENT;
		goto out;
	}
	if (!(it = nftnl_set_elems_iter_create(ns)))
		goto out;
	while ((ne = nftnl_set_elems_iter_next(it)))
		if ((ret = nft_copy_elem(s, ne)))
			goto out;
	ret = nft_derive_ranges(s);
out:
	if (it)
		nftnl_set_elems_iter_destroy(it);
	nftnl_set_free(ns);
	return ret;
}

/* ---- expressions ----------------------------------------------------- */

static void nft_expr_bytes(const struct nftnl_expr *ne, uint16_t attr, struct nft_bytes *b)
{
	uint32_t len = 0;
	const void *p = nftnl_expr_get(ne, attr, &len);

	nft_bytes_set(b, p, len);
}

static uint32_t nft_u32(const struct nftnl_expr *ne, uint16_t attr)
{
	return nftnl_expr_is_set(ne, attr) ? nftnl_expr_get_u32(ne, attr) : 0;
}

static int nft_expr_strdup(struct nft_expr *e, const struct nftnl_expr *ne, uint16_t attr)
{
	const char *s = nftnl_expr_is_set(ne, attr) ? nftnl_expr_get_str(ne, attr) : NULL;

	if (s && !(e->str = strdup(s)))
		return -ENOMEM;
	return 0;
}

static int nft_expr_info(struct nft_expr *e, const struct nftnl_expr *ne, uint16_t attr)
{
	uint32_t len = 0;
	const void *p = nftnl_expr_get(ne, attr, &len);

	if (!p || !len)
		return 0;
	if (!(e->info = malloc(len)))
		return -ENOMEM;
	memcpy(e->info, p, len);
	e->infolen = len;
	return 0;
}

static void nft_conv_match(struct nft_expr *e, const struct nftnl_expr *ne)
{
	if (!strcmp(e->name, "payload")) {
		e->kind = NFT_EXPR_PAYLOAD;
		e->u.payload.base = nft_u32(ne, NFTNL_EXPR_PAYLOAD_BASE);
		e->u.payload.offset = nft_u32(ne, NFTNL_EXPR_PAYLOAD_OFFSET);
		e->u.payload.len = nft_u32(ne, NFTNL_EXPR_PAYLOAD_LEN);
		e->u.payload.dreg = nft_u32(ne, NFTNL_EXPR_PAYLOAD_DREG);
		e->u.payload.sreg = nft_u32(ne, NFTNL_EXPR_PAYLOAD_SREG);
	} else if (!strcmp(e->name, "cmp")) {
		e->kind = NFT_EXPR_CMP;
		e->u.cmp.sreg = nft_u32(ne, NFTNL_EXPR_CMP_SREG);
		e->u.cmp.op = nft_u32(ne, NFTNL_EXPR_CMP_OP);
		nft_expr_bytes(ne, NFTNL_EXPR_CMP_DATA, &e->u.cmp.data);
	} else if (!strcmp(e->name, "bitwise")) {
		e->kind = NFT_EXPR_BITWISE;
		e->u.bitwise.sreg = nft_u32(ne, NFTNL_EXPR_BITWISE_SREG);
		e->u.bitwise.dreg = nft_u32(ne, NFTNL_EXPR_BITWISE_DREG);
		e->u.bitwise.len = nft_u32(ne, NFTNL_EXPR_BITWISE_LEN);
		e->u.bitwise.op = nft_u32(ne, NFTNL_EXPR_BITWISE_OP);
		nft_expr_bytes(ne, NFTNL_EXPR_BITWISE_MASK, &e->u.bitwise.mask);
		nft_expr_bytes(ne, NFTNL_EXPR_BITWISE_XOR, &e->u.bitwise.xor);
		nft_expr_bytes(ne, NFTNL_EXPR_BITWISE_DATA, &e->u.bitwise.data);
	} else if (!strcmp(e->name, "byteorder")) {
		e->kind = NFT_EXPR_BYTEORDER;
		e->u.byteorder.sreg = nft_u32(ne, NFTNL_EXPR_BYTEORDER_SREG);
		e->u.byteorder.dreg = nft_u32(ne, NFTNL_EXPR_BYTEORDER_DREG);
		e->u.byteorder.op = nft_u32(ne, NFTNL_EXPR_BYTEORDER_OP);
		e->u.byteorder.len = nft_u32(ne, NFTNL_EXPR_BYTEORDER_LEN);
		e->u.byteorder.size = nft_u32(ne, NFTNL_EXPR_BYTEORDER_SIZE);
	} else if (!strcmp(e->name, "range")) {
		e->kind = NFT_EXPR_RANGE;
		e->u.range.sreg = nft_u32(ne, NFTNL_EXPR_RANGE_SREG);
		e->u.range.op = nft_u32(ne, NFTNL_EXPR_RANGE_OP);
		nft_expr_bytes(ne, NFTNL_EXPR_RANGE_FROM_DATA, &e->u.range.from);
		nft_expr_bytes(ne, NFTNL_EXPR_RANGE_TO_DATA, &e->u.range.to);
	} else if (!strcmp(e->name, "meta")) {
		e->kind = NFT_EXPR_META;
		e->u.meta.key = nft_u32(ne, NFTNL_EXPR_META_KEY);
		e->u.meta.set = nftnl_expr_is_set(ne, NFTNL_EXPR_META_SREG);
		e->u.meta.reg = nft_u32(ne, e->u.meta.set ? NFTNL_EXPR_META_SREG
							  : NFTNL_EXPR_META_DREG);
	} else if (!strcmp(e->name, "fib")) {
		e->kind = NFT_EXPR_FIB;
		e->u.fib.dreg = nft_u32(ne, NFTNL_EXPR_FIB_DREG);
		e->u.fib.result = nft_u32(ne, NFTNL_EXPR_FIB_RESULT);
		e->u.fib.flags = nft_u32(ne, NFTNL_EXPR_FIB_FLAGS);
	} else if (!strcmp(e->name, "ct")) {
		e->kind = NFT_EXPR_CT;
		e->u.ct.key = nft_u32(ne, NFTNL_EXPR_CT_KEY);
		e->u.ct.set = nftnl_expr_is_set(ne, NFTNL_EXPR_CT_SREG);
		e->u.ct.reg = nft_u32(ne, e->u.ct.set ? NFTNL_EXPR_CT_SREG : NFTNL_EXPR_CT_DREG);
		e->u.ct.has_dir = nftnl_expr_is_set(ne, NFTNL_EXPR_CT_DIR);
		if (e->u.ct.has_dir)
			e->u.ct.dir = nftnl_expr_get_u8(ne, NFTNL_EXPR_CT_DIR);
	}
}

static int nft_conv_action(struct nft_expr *e, const struct nftnl_expr *ne)
{
	if (!strcmp(e->name, "lookup")) {
		e->kind = NFT_EXPR_LOOKUP;
		e->u.lookup.sreg = nft_u32(ne, NFTNL_EXPR_LOOKUP_SREG);
		e->u.lookup.has_dreg = nftnl_expr_is_set(ne, NFTNL_EXPR_LOOKUP_DREG);
		e->u.lookup.dreg = nft_u32(ne, NFTNL_EXPR_LOOKUP_DREG);
		e->u.lookup.flags = nft_u32(ne, NFTNL_EXPR_LOOKUP_FLAGS);
		e->u.lookup.set_id = nft_u32(ne, NFTNL_EXPR_LOOKUP_SET_ID);
		return nft_expr_strdup(e, ne, NFTNL_EXPR_LOOKUP_SET);
	} else if (!strcmp(e->name, "immediate")) {
		e->kind = NFT_EXPR_IMMEDIATE;
		e->u.imm.dreg = nft_u32(ne, NFTNL_EXPR_IMM_DREG);
		e->u.imm.verdict = (int32_t)nft_u32(ne, NFTNL_EXPR_IMM_VERDICT);
		nft_expr_bytes(ne, NFTNL_EXPR_IMM_DATA, &e->u.imm.data);
		return nft_expr_strdup(e, ne, NFTNL_EXPR_IMM_CHAIN);
	} else if (!strcmp(e->name, "log")) {
		e->kind = NFT_EXPR_LOG;
		e->u.log.level = nft_u32(ne, NFTNL_EXPR_LOG_LEVEL);
		if (nftnl_expr_is_set(ne, NFTNL_EXPR_LOG_GROUP))
			e->u.log.group = nftnl_expr_get_u16(ne, NFTNL_EXPR_LOG_GROUP);
		return nft_expr_strdup(e, ne, NFTNL_EXPR_LOG_PREFIX);
	} else if (!strcmp(e->name, "limit")) {
		e->kind = NFT_EXPR_LIMIT;
		if (nftnl_expr_is_set(ne, NFTNL_EXPR_LIMIT_RATE))
			e->u.limit.rate = nftnl_expr_get_u64(ne, NFTNL_EXPR_LIMIT_RATE);
		if (nftnl_expr_is_set(ne, NFTNL_EXPR_LIMIT_UNIT))
			e->u.limit.unit = nftnl_expr_get_u64(ne, NFTNL_EXPR_LIMIT_UNIT);
		e->u.limit.burst = nft_u32(ne, NFTNL_EXPR_LIMIT_BURST);
		e->u.limit.type = nft_u32(ne, NFTNL_EXPR_LIMIT_TYPE);
		e->u.limit.flags = nft_u32(ne, NFTNL_EXPR_LIMIT_FLAGS);
	} else if (!strcmp(e->name, "reject")) {
		e->kind = NFT_EXPR_REJECT;
		e->u.reject.type = nft_u32(ne, NFTNL_EXPR_REJECT_TYPE);
		if (nftnl_expr_is_set(ne, NFTNL_EXPR_REJECT_CODE))
			e->u.reject.code = nftnl_expr_get_u8(ne, NFTNL_EXPR_REJECT_CODE);
	} else if (!strcmp(e->name, "masq")) {
		e->kind = NFT_EXPR_MASQ;
		e->u.masq.flags = nft_u32(ne, NFTNL_EXPR_MASQ_FLAGS);
		e->u.masq.reg_proto_min = nft_u32(ne, NFTNL_EXPR_MASQ_REG_PROTO_MIN);
		e->u.masq.reg_proto_max = nft_u32(ne, NFTNL_EXPR_MASQ_REG_PROTO_MAX);
	} else if (!strcmp(e->name, "redir")) {
		e->kind = NFT_EXPR_REDIR;
		e->u.masq.flags = nft_u32(ne, NFTNL_EXPR_REDIR_FLAGS);
		e->u.masq.reg_proto_min = nft_u32(ne, NFTNL_EXPR_REDIR_REG_PROTO_MIN);
		e->u.masq.reg_proto_max = nft_u32(ne, NFTNL_EXPR_REDIR_REG_PROTO_MAX);
	} else if (!strcmp(e->name, "nat")) {
		e->kind = NFT_EXPR_NAT;
		e->u.nat.type = nft_u32(ne, NFTNL_EXPR_NAT_TYPE);
		e->u.nat.family = nft_u32(ne, NFTNL_EXPR_NAT_FAMILY);
		e->u.nat.reg_addr_min = nft_u32(ne, NFTNL_EXPR_NAT_REG_ADDR_MIN);
		e->u.nat.reg_addr_max = nft_u32(ne, NFTNL_EXPR_NAT_REG_ADDR_MAX);
		e->u.nat.reg_proto_min = nft_u32(ne, NFTNL_EXPR_NAT_REG_PROTO_MIN);
		e->u.nat.reg_proto_max = nft_u32(ne, NFTNL_EXPR_NAT_REG_PROTO_MAX);
		e->u.nat.flags = nft_u32(ne, NFTNL_EXPR_NAT_FLAGS);
	} else if (!strcmp(e->name, "match") || !strcmp(e->name, "target")) {
		bool mt = e->name[0] == 'm';

		e->kind = mt ? NFT_EXPR_MATCH : NFT_EXPR_TARGET;
		e->u.xt.rev = nft_u32(ne, mt ? NFTNL_EXPR_MT_REV : NFTNL_EXPR_TG_REV);
		if (nft_expr_strdup(e, ne, mt ? NFTNL_EXPR_MT_NAME : NFTNL_EXPR_TG_NAME))
			return -ENOMEM;
		return nft_expr_info(e, ne, mt ? NFTNL_EXPR_MT_INFO : NFTNL_EXPR_TG_INFO);
	} else if (!strcmp(e->name, "counter")) {
		e->kind = NFT_EXPR_COUNTER;
	} else if (!strcmp(e->name, "notrack")) {
		e->kind = NFT_EXPR_NOTRACK;
	}
	return 0;
}

static int nft_conv_expr(struct nftnl_expr *ne, void *arg)
{
	struct nft_rule *r = arg;
	struct nft_expr *e = nft_grow(&r->exprs, &r->nexprs, sizeof(*e));

	if (!e)
		return -1;
	nft_copy_str(e->name, sizeof(e->name), nftnl_expr_get_str(ne, NFTNL_EXPR_NAME));
	e->kind = NFT_EXPR_UNKNOWN;
	nft_conv_match(e, ne);
	if (e->kind == NFT_EXPR_UNKNOWN && nft_conv_action(e, ne))
		return -1;
	return 0;
}

/* ---- rules ----------------------------------------------------------- */

static int nft_udata_cb(const struct nftnl_udata *attr, void *data)
{
	const char **comment = data;
	uint8_t len = nftnl_udata_len(attr);
	const char *s = nftnl_udata_get(attr);

	/* The comment is stored with its NUL; anything else is not ours. */
	if (nftnl_udata_type(attr) == NFTNL_UDATA_RULE_COMMENT && len > 0 && s[len - 1] == '\0')
		*comment = s;
	return 0;
}

static int nft_rule_comment(struct nft_rule *r, const void *udata, uint32_t len)
{
	const char *comment = NULL;

	if (!udata || !len)
		return 0;
	if (nftnl_udata_parse(udata, len, nft_udata_cb, &comment) < 0 || !comment)
		return 0;
	return (r->comment = strdup(comment)) ? 0 : -ENOMEM;
}

struct nft_raw_rule {
	const char *table, *chain;
	uint64_t handle;
	const struct nlattr *exprs, *udata;
};

static int nft_raw_rule_cb(const struct nlattr *a, void *data)
{
	struct nft_raw_rule *rr = data;

	switch (mnl_attr_get_type(a)) {
	case NFTA_RULE_TABLE:
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			rr->table = mnl_attr_get_str(a);
		break;
	case NFTA_RULE_CHAIN:
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			rr->chain = mnl_attr_get_str(a);
		break;
	case NFTA_RULE_HANDLE:
		if (mnl_attr_validate(a, MNL_TYPE_U64) == 0)
			rr->handle = be64toh(mnl_attr_get_u64(a));
		break;
	case NFTA_RULE_EXPRESSIONS:
		rr->exprs = a;
		break;
	case NFTA_RULE_USERDATA:
		rr->udata = a;
		break;
	}
	return MNL_CB_OK;
}

static int nft_raw_expr_cb(const struct nlattr *a, void *data)
{
	const char **name = data;

	if (mnl_attr_get_type(a) == NFTA_EXPR_NAME &&
	    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
		*name = mnl_attr_get_str(a);
	return MNL_CB_OK;
}

/*
 * libnftnl refuses a whole rule when one expression is new to it.  Such a
 * rule must still be seen (and evaluated as unknown), so its table, chain,
 * handle, comment and expression names are read here by hand.
 */
static int nft_raw_rule(const struct nlmsghdr *nlh, struct nft_raw_rule *rr, struct nft_rule *r)
{
	const struct nlattr *a;

	memset(rr, 0, sizeof(*rr));
	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), nft_raw_rule_cb, rr) < 0 ||
	    !rr->table || !rr->chain)
		return -EINVAL;
	r->handle = rr->handle;
	r->partial = true;
	if (rr->udata && nft_rule_comment(r, mnl_attr_get_payload(rr->udata),
					  mnl_attr_get_payload_len(rr->udata)))
		return -ENOMEM;
	if (!rr->exprs)
		return 0;
	mnl_attr_for_each_nested(a, rr->exprs) {
		const char *name = "?";
		struct nft_expr *e = nft_grow(&r->exprs, &r->nexprs, sizeof(*e));

		if (!e)
			return -ENOMEM;
		mnl_attr_parse_nested(a, nft_raw_expr_cb, &name);
		nft_copy_str(e->name, sizeof(e->name), name);
	}
	return 0;
}

static int nft_rule_attach(struct nft_ruleset *rs, uint32_t family, const char *table,
			   const char *chain, struct nft_rule *r)
{
	struct nft_table *t = nft_table_mut(rs, family, table);
	struct nft_chain *c = (struct nft_chain *)nft_chain_find(t, chain);
	struct nft_rule *slot;

	if (!c)
		return -ENOENT;
	if (!(slot = nft_grow(&c->rules, &c->nrules, sizeof(*slot))))
		return -ENOMEM;
	*slot = *r;
	return 0;
}

static int nft_parse_rule_slow(struct nft_ruleset *rs, const struct nlmsghdr *nlh)
{
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
	struct nftnl_rule *nr = nftnl_rule_alloc();
	struct nft_rule r = { 0 };
	struct nft_raw_rule rr;
	const void *udata;
	uint32_t len = 0;
	int ret = -ENOMEM;

	if (!nr)
		return -ENOMEM;
	if (nftnl_rule_nlmsg_parse(nlh, nr) < 0) {
		if ((ret = nft_raw_rule(nlh, &rr, &r)) == 0)
			ret = nft_rule_attach(rs, nfg->nfgen_family, rr.table, rr.chain, &r);
		goto out;
	}
	r.handle = nftnl_rule_get_u64(nr, NFTNL_RULE_HANDLE);
	/* libnftnl 1.2.4's parser fills USERDATA without marking it set:
	 * ask for the data itself. */
	udata = nftnl_rule_get_data(nr, NFTNL_RULE_USERDATA, &len);
	if (nft_rule_comment(&r, udata, len))
		goto out;
	if (nftnl_expr_foreach(nr, nft_conv_expr, &r) < 0)
		goto out;
	ret = nft_rule_attach(rs, nftnl_rule_get_u32(nr, NFTNL_RULE_FAMILY),
			      nftnl_rule_get_str(nr, NFTNL_RULE_TABLE),
			      nftnl_rule_get_str(nr, NFTNL_RULE_CHAIN), &r);
out:
	if (ret)
		nft_rule_clear(&r);
	nftnl_rule_free(nr);
	return ret;
}

/* ---- rules, the fast way -------------------------------------------------
 *
 * libnftnl allocates an object per expression, finds its type by name and
 * copies every attribute before we copy them again: on a 10k-rule ruleset
 * that is most of the time spent.  The expressions podreach evaluates are
 * read here straight from the attributes, into the same structs the
 * libnftnl path fills (the unit tests parse every rule both ways and compare).
 * A rule holding anything else, or anything malformed, takes the libnftnl
 * path instead: -EAGAIN.
 */

bool nft_parse_fast = true;

#define FAST_MAX_ATTR 16

struct fast_attrs {
	const struct nlattr *tb[FAST_MAX_ATTR + 1];
};

static int fast_attr_cb(const struct nlattr *a, void *data)
{
	struct fast_attrs *fa = data;
	uint16_t t = mnl_attr_get_type(a);

	if (t <= FAST_MAX_ATTR)
		fa->tb[t] = a;
	return MNL_CB_OK;
}

/* A big-endian u32 attribute, 0 when absent (as nft_u32() reads libnftnl's). */
static uint32_t fast_u32(const struct nlattr *a)
{
	return a && mnl_attr_get_payload_len(a) >= 4 ? ntohl(mnl_attr_get_u32(a)) : 0;
}

static bool fast_u32_ok(const struct nlattr *a)
{
	return !a || mnl_attr_get_payload_len(a) == 4;
}

static uint8_t fast_u8(const struct nlattr *a)
{
	return a && mnl_attr_get_payload_len(a) >= 1 ? mnl_attr_get_u8(a) : 0;
}

/* Nested NFTA_DATA_VALUE into b; false when malformed. */
static bool fast_data(const struct nlattr *a, struct nft_bytes *b)
{
	struct fast_attrs in = { 0 };
	const struct nlattr *v;

	if (!a)
		return true;
	if (mnl_attr_parse_nested(a, fast_attr_cb, &in) < 0 || !(v = in.tb[NFTA_DATA_VALUE]) ||
	    mnl_attr_get_payload_len(v) > sizeof(b->b))
		return false;
	nft_bytes_set(b, mnl_attr_get_payload(v), mnl_attr_get_payload_len(v));
	return true;
}

static bool fast_str(const struct nlattr *a, char **out)
{
	if (!a)
		return true;
	if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
		return false;
	return (*out = strdup(mnl_attr_get_str(a))) != NULL;
}

/* Verdict or value of an immediate. */
static bool fast_imm(struct nft_expr *e, const struct fast_attrs *fa)
{
	struct fast_attrs d = { 0 }, v = { 0 };

	e->kind = NFT_EXPR_IMMEDIATE;
	e->u.imm.dreg = fast_u32(fa->tb[NFTA_IMMEDIATE_DREG]);
	if (!fa->tb[NFTA_IMMEDIATE_DATA] ||
	    mnl_attr_parse_nested(fa->tb[NFTA_IMMEDIATE_DATA], fast_attr_cb, &d) < 0)
		return false;
	if (d.tb[NFTA_DATA_VALUE])
		return fast_data(fa->tb[NFTA_IMMEDIATE_DATA], &e->u.imm.data);
	if (!d.tb[NFTA_DATA_VERDICT] ||
	    mnl_attr_parse_nested(d.tb[NFTA_DATA_VERDICT], fast_attr_cb, &v) < 0 ||
	    !v.tb[NFTA_VERDICT_CODE] || !fast_u32_ok(v.tb[NFTA_VERDICT_CODE]))
		return false;
	e->u.imm.verdict = (int32_t)fast_u32(v.tb[NFTA_VERDICT_CODE]);
	return fast_str(v.tb[NFTA_VERDICT_CHAIN], &e->str);
}

/* Sets, fib, ct and the NAT and reject statements. */
static bool fast_action(struct nft_expr *e, const struct fast_attrs *fa)
{
	const struct nlattr *const *tb = fa->tb;

	if (!strcmp(e->name, "lookup")) {
		e->kind = NFT_EXPR_LOOKUP;
		e->u.lookup.sreg = fast_u32(tb[NFTA_LOOKUP_SREG]);
		e->u.lookup.has_dreg = tb[NFTA_LOOKUP_DREG] != NULL;
		e->u.lookup.dreg = fast_u32(tb[NFTA_LOOKUP_DREG]);
		e->u.lookup.flags = fast_u32(tb[NFTA_LOOKUP_FLAGS]);
		e->u.lookup.set_id = fast_u32(tb[NFTA_LOOKUP_SET_ID]);
		return fast_str(tb[NFTA_LOOKUP_SET], &e->str);
	}
	if (!strcmp(e->name, "fib")) {
		e->kind = NFT_EXPR_FIB;
		e->u.fib.dreg = fast_u32(tb[NFTA_FIB_DREG]);
		e->u.fib.result = fast_u32(tb[NFTA_FIB_RESULT]);
		e->u.fib.flags = fast_u32(tb[NFTA_FIB_FLAGS]);
		return true;
	}
	if (!strcmp(e->name, "ct")) {
		e->kind = NFT_EXPR_CT;
		e->u.ct.key = fast_u32(tb[NFTA_CT_KEY]);
		e->u.ct.set = tb[NFTA_CT_SREG] != NULL;
		e->u.ct.reg = fast_u32(tb[e->u.ct.set ? NFTA_CT_SREG : NFTA_CT_DREG]);
		e->u.ct.has_dir = tb[NFTA_CT_DIRECTION] != NULL;
		e->u.ct.dir = fast_u8(tb[NFTA_CT_DIRECTION]);
		return true;
	}
	if (!strcmp(e->name, "masq")) {
		e->kind = NFT_EXPR_MASQ;
		e->u.masq.flags = fast_u32(tb[NFTA_MASQ_FLAGS]);
		e->u.masq.reg_proto_min = fast_u32(tb[NFTA_MASQ_REG_PROTO_MIN]);
		e->u.masq.reg_proto_max = fast_u32(tb[NFTA_MASQ_REG_PROTO_MAX]);
		return true;
	}
	if (!strcmp(e->name, "reject")) {
		e->kind = NFT_EXPR_REJECT;
		e->u.reject.type = fast_u32(tb[NFTA_REJECT_TYPE]);
		e->u.reject.code = fast_u8(tb[NFTA_REJECT_ICMP_CODE]);
		return true;
	}
	return false;
}

/* The common matches; false for anything this path does not read. */
static bool fast_match(struct nft_expr *e, const struct fast_attrs *fa)
{
	const struct nlattr *const *tb = fa->tb;

	if (!strcmp(e->name, "payload")) {
		e->kind = NFT_EXPR_PAYLOAD;
		e->u.payload.base = fast_u32(tb[NFTA_PAYLOAD_BASE]);
		e->u.payload.offset = fast_u32(tb[NFTA_PAYLOAD_OFFSET]);
		e->u.payload.len = fast_u32(tb[NFTA_PAYLOAD_LEN]);
		e->u.payload.dreg = fast_u32(tb[NFTA_PAYLOAD_DREG]);
		e->u.payload.sreg = fast_u32(tb[NFTA_PAYLOAD_SREG]);
		return true;
	}
	if (!strcmp(e->name, "cmp")) {
		e->kind = NFT_EXPR_CMP;
		e->u.cmp.sreg = fast_u32(tb[NFTA_CMP_SREG]);
		e->u.cmp.op = fast_u32(tb[NFTA_CMP_OP]);
		return fast_data(tb[NFTA_CMP_DATA], &e->u.cmp.data);
	}
	if (!strcmp(e->name, "bitwise")) {
		e->kind = NFT_EXPR_BITWISE;
		e->u.bitwise.sreg = fast_u32(tb[NFTA_BITWISE_SREG]);
		e->u.bitwise.dreg = fast_u32(tb[NFTA_BITWISE_DREG]);
		e->u.bitwise.len = fast_u32(tb[NFTA_BITWISE_LEN]);
		e->u.bitwise.op = fast_u32(tb[NFTA_BITWISE_OP]);
		return fast_data(tb[NFTA_BITWISE_MASK], &e->u.bitwise.mask) &&
		       fast_data(tb[NFTA_BITWISE_XOR], &e->u.bitwise.xor) &&
		       fast_data(tb[NFTA_BITWISE_DATA], &e->u.bitwise.data);
	}
	if (!strcmp(e->name, "meta")) {
		e->kind = NFT_EXPR_META;
		e->u.meta.key = fast_u32(tb[NFTA_META_KEY]);
		e->u.meta.set = tb[NFTA_META_SREG] != NULL;
		e->u.meta.reg = fast_u32(tb[e->u.meta.set ? NFTA_META_SREG : NFTA_META_DREG]);
		return true;
	}
	if (!strcmp(e->name, "immediate"))
		return fast_imm(e, fa);
	if (!strcmp(e->name, "counter")) {
		e->kind = NFT_EXPR_COUNTER;
		return true;
	}
	return fast_action(e, fa);
}

/* Fills e from one NFTA_LIST_ELEM; false when the libnftnl path must do it. */
static bool fast_expr(struct nft_expr *e, const struct nlattr *elem)
{
	struct fast_attrs x = { 0 }, d = { 0 };

	if (mnl_attr_parse_nested(elem, fast_attr_cb, &x) < 0 || !x.tb[NFTA_EXPR_NAME] ||
	    mnl_attr_validate(x.tb[NFTA_EXPR_NAME], MNL_TYPE_NUL_STRING) < 0 ||
	    (x.tb[NFTA_EXPR_DATA] && mnl_attr_parse_nested(x.tb[NFTA_EXPR_DATA], fast_attr_cb, &d) < 0))
		return false;
	nft_copy_str(e->name, sizeof(e->name), mnl_attr_get_str(x.tb[NFTA_EXPR_NAME]));
	e->kind = NFT_EXPR_UNKNOWN;
	return fast_match(e, &d);
}

static int nft_parse_rule_fast(struct nft_ruleset *rs, const struct nlmsghdr *nlh)
{
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
	struct nft_raw_rule rr;
	struct nft_rule r = { 0 };
	const struct nlattr *a;
	size_t n = 0;
	int ret = -EAGAIN;

	memset(&rr, 0, sizeof(rr));
	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), nft_raw_rule_cb, &rr) < 0 ||
	    !rr.table || !rr.chain)
		return -EAGAIN;
	if (rr.exprs)
		mnl_attr_for_each_nested(a, rr.exprs)
			n++;
	/* One allocation for the rule's expressions. */
	if (n && !(r.exprs = calloc(n, sizeof(*r.exprs))))
		return -ENOMEM;
	r.handle = rr.handle;
	if (rr.exprs) {
		mnl_attr_for_each_nested(a, rr.exprs) {
			if (!fast_expr(&r.exprs[r.nexprs++], a))
				goto out;
		}
	}
	if (rr.udata && nft_rule_comment(&r, mnl_attr_get_payload(rr.udata),
					 mnl_attr_get_payload_len(rr.udata))) {
		ret = -ENOMEM;
		goto out;
	}
	ret = nft_rule_attach(rs, nfg->nfgen_family, rr.table, rr.chain, &r);
out:
	if (ret)
		nft_rule_clear(&r);
	return ret;
}

static int nft_parse_rule(struct nft_ruleset *rs, const struct nlmsghdr *nlh)
{
	int ret = nft_parse_fast ? nft_parse_rule_fast(rs, nlh) : -EAGAIN;

	return ret == -EAGAIN ? nft_parse_rule_slow(rs, nlh) : ret;
}

static int nft_parse_gen(struct nft_ruleset *rs, const struct nlmsghdr *nlh)
{
	struct nftnl_gen *g = nftnl_gen_alloc();
	int ret = 0;

	if (!g)
		return -ENOMEM;
	if (nftnl_gen_nlmsg_parse(nlh, g) < 0)
		ret = -EINVAL;
	else
		rs->genid = nftnl_gen_get_u32(g, NFTNL_GEN_ID);
	nftnl_gen_free(g);
	return ret;
}

static int nft_parse_one(struct nft_ruleset *rs, const struct nlmsghdr *nlh)
{
	if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
		return 0;
	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES)
		return 0;
	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(struct nfgenmsg)))
		return -EINVAL;
	switch (NFNL_MSG_TYPE(nlh->nlmsg_type)) {
	case NFT_MSG_NEWTABLE: return nft_parse_table(rs, nlh);
	case NFT_MSG_NEWCHAIN: return nft_parse_chain(rs, nlh);
	case NFT_MSG_NEWSET: return nft_parse_set(rs, nlh);
	case NFT_MSG_NEWSETELEM: return nft_parse_elems(rs, nlh);
	case NFT_MSG_NEWRULE: return nft_parse_rule(rs, nlh);
	case NFT_MSG_NEWGEN: return nft_parse_gen(rs, nlh);
	}
	return 0;
}

int nft_ruleset_add_msg(struct nft_ruleset *rs, const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	int left = (int)len;
	int ret;

	if (!rs || !buf || len > INT32_MAX)
		return -EINVAL;
	while (mnl_nlmsg_ok(nlh, left)) {
		if ((ret = nft_parse_one(rs, nlh)))
			return ret;
		nlh = mnl_nlmsg_next(nlh, &left);
	}
	return left == 0 ? 0 : -EINVAL;
}

/* ---- the kernel dump ------------------------------------------------- */

struct nft_dump {
	struct mnl_socket *nl;
	char *buf;
	uint32_t seq, portid;
	struct nft_ruleset *rs;
	bool intr;		/* NLM_F_DUMP_INTR seen: the dump is inconsistent */
	int err;		/* a parse error, beats errno */
};

static int nft_data_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nft_dump *d = arg;
	int ret;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		d->intr = true;
	if ((ret = nft_ruleset_add_msg(d->rs, nlh, nlh->nlmsg_len))) {
		d->err = ret;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

/* NLMSG_DONE carries the dump's own error code, which libmnl ignores. */
static int nft_done_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nft_dump *d = arg;
	int err = 0;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		d->intr = true;
	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int))
		memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	if (err < 0) {
		d->err = err;
		return MNL_CB_ERROR;
	}
	return MNL_CB_STOP;
}

/* With a control array libmnl runs none of its defaults for the types the
 * array covers, so the ACK/error is ours to read too. */
static int nft_error_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nft_dump *d = arg;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		d->err = -EBADMSG;
		return MNL_CB_ERROR;
	}
	if (e->error == 0)
		return MNL_CB_STOP;
	d->err = e->error < 0 ? e->error : -e->error;
	return MNL_CB_ERROR;
}

/* Sends the request and reads until its DONE or ACK. */
static int nft_talk(struct nft_dump *d, const struct nlmsghdr *req)
{
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = nft_error_cb, [NLMSG_DONE] = nft_done_cb,
	};
	ssize_t n;
	int ret;

	d->err = 0;
	if (mnl_socket_sendto(d->nl, req, req->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(d->nl, d->buf, NFT_RECV_SIZE);
		if (n < 0)
			return -errno;
		ret = mnl_cb_run2(d->buf, (size_t)n, d->seq, d->portid, nft_data_cb, d,
				  ctl, NLMSG_MIN_TYPE);
	} while (ret > 0);
	if (ret < 0)
		return d->err ? d->err : -errno;
	return 0;
}

/* Every request asks for an ACK: a dump ends with DONE, a get with its
 * reply and then the ACK, and an error arrives as NLMSG_ERROR either way. */
static int nft_request(struct nft_dump *d, uint16_t type, uint32_t family, bool dump,
		       const char *table, const char *set)
{
	char req[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	uint16_t flags = NLM_F_ACK | (dump ? NLM_F_DUMP : 0);

	nlh = nftnl_nlmsg_build_hdr(req, type, (uint16_t)family, flags, ++d->seq);
	if (table)
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, table);
	if (set)
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set);
	return nft_talk(d, nlh);
}

static int nft_genid(struct nft_dump *d, uint32_t *genid)
{
	struct nft_ruleset scratch = { 0 };
	struct nft_ruleset *keep = d->rs;
	int ret;

	d->rs = &scratch;
	ret = nft_request(d, NFT_MSG_GETGEN, NFPROTO_UNSPEC, false, NULL, NULL);
	d->rs = keep;
	*genid = scratch.genid;
	return ret;
}

static int nft_dump_all(struct nft_dump *d)
{
	static const uint16_t kinds[] = { NFT_MSG_GETTABLE, NFT_MSG_GETCHAIN, NFT_MSG_GETSET };
	int ret;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if ((ret = nft_request(d, kinds[i], NFPROTO_UNSPEC, true, NULL, NULL)))
			return ret;
	/* Elements are dumped one set at a time: the kernel wants the set. */
	for (size_t i = 0; i < d->rs->ntables; i++) {
		const struct nft_table *t = &d->rs->tables[i];

		for (size_t j = 0; j < t->nsets; j++)
			if ((ret = nft_request(d, NFT_MSG_GETSETELEM, t->family, true,
					       t->name, t->sets[j].name)))
				return ret;
	}
	return nft_request(d, NFT_MSG_GETRULE, NFPROTO_UNSPEC, true, NULL, NULL);
}

/* One consistent pass: same generation before and after, no DUMP_INTR. */
static int nft_read_once(struct nft_dump *d, struct nft_ruleset **out)
{
	uint32_t before, after;
	int ret;

	d->intr = false;
	if (!(d->rs = nft_ruleset_new()))
		return -ENOMEM;
	if ((ret = nft_genid(d, &before)) || (ret = nft_dump_all(d)) ||
	    (ret = nft_genid(d, &after)))
		goto out;
	if (d->intr || before != after) {
		ret = -EAGAIN;
		goto out;
	}
	d->rs->genid = before;
	*out = d->rs;
	d->rs = NULL;
out:
	nft_ruleset_free(d->rs);
	d->rs = NULL;
	return ret;
}

int nft_ruleset_read(struct nft_ruleset **out)
{
	struct nft_dump d = { 0 };
	int ret = -EAGAIN;

	*out = NULL;
	if (!(d.buf = malloc(NFT_RECV_SIZE)))
		return -ENOMEM;
	if (!(d.nl = mnl_socket_open(NETLINK_NETFILTER)) ||
	    mnl_socket_bind(d.nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto out;
	}
	d.portid = mnl_socket_get_portid(d.nl);
	d.seq = (uint32_t)time(NULL);
	for (int i = 0; i < NFT_READ_TRIES; i++) {
		ret = nft_read_once(&d, out);
		/* A set or chain removed between two dumps shows as ENOENT;
		 * EINTR is how newer kernels refuse an inconsistent dump. */
		if (ret != -EAGAIN && ret != -EINTR && ret != -ENOENT)
			break;
		ret = -EAGAIN;
	}
out:
	if (d.nl)
		mnl_socket_close(d.nl);
	free(d.buf);
	return ret;
}
