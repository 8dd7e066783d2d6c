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
#include <sys/mman.h>
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

#include "netlink/nft_int.h"

/* ---- ownership ------------------------------------------------------- */

static void nft_expr_clear(struct nft_expr *e)
{
	free(e->str);
	free(e->info);
}

void nft_rule_clear(struct nft_rule *r)
{
	for (size_t i = 0; i < r->nexprs; i++)
		nft_expr_clear(&r->exprs[i]);
	if (!r->pooled)
		free(r->exprs);
	free(r->comment);
}

void nft_set_clear(struct nft_set *s)
{
	for (size_t i = 0; i < s->nelems; i++)
		free(s->elems[i].chain);
	free(s->elems);
	free(s->ranges);
}

void nft_table_clear(struct nft_table *t)
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
	free(t->chain_idx);
}

/*
 * The expression pool.  A dump's rules take their expressions from a few
 * big blocks instead of a calloc() each: 10,000 rules hold 100,000
 * expressions, 28 MB, whose 7,000 page faults were a fifth of check's
 * time; blocks of 2 MiB and more are asked for as transparent huge pages
 * (one fault each).  Only while rs->pooling (a dump): rules a notification
 * adds later are allocated and freed one by one, so that a long-lived view
 * does not grow; the pool goes with the ruleset.
 */
#define NFT_POOL_FIRST (256u << 10)
#define NFT_POOL_HUGE (2u << 20)
#define NFT_POOL_MAX (16u << 20)

struct nft_pool {
	struct nft_pool_block *head;
	size_t next;		/* the size of the next block */
};

struct nft_pool_block {
	struct nft_pool_block *next;
	size_t size, used;
};

static void nft_pool_free(struct nft_pool *p)
{
	struct nft_pool_block *b, *next;

	if (!p)
		return;
	for (b = p->head; b; b = next) {
		next = b->next;
		munmap(b, b->size);
	}
	free(p);
}

/* Returns size zeroed bytes (mmap()'s), 16-aligned, or NULL. */
static void *nft_pool_alloc(struct nft_pool *p, size_t size)
{
	struct nft_pool_block *b = p->head;
	size_t hdr = (sizeof(*b) + 15) & ~(size_t)15, bs;
	void *m;

	size = (size + 15) & ~(size_t)15;
	if (!b || b->size - b->used < size) {
		if (size > NFT_POOL_MAX - hdr)
			return NULL;
		for (bs = p->next ? p->next : NFT_POOL_FIRST; bs - hdr < size; bs *= 2)
			;
		if ((m = mmap(NULL, bs, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			      0)) == MAP_FAILED)
			return NULL;
		/* Not fatal when refused: 4 KiB pages then. */
		if (bs >= NFT_POOL_HUGE)
			madvise(m, bs, MADV_HUGEPAGE);
		b = m;
		*b = (struct nft_pool_block){ .next = p->head, .size = bs, .used = hdr };
		p->head = b;
		p->next = bs < NFT_POOL_MAX ? bs * 2 : bs;
	}
	m = (char *)b + b->used;
	b->used += size;
	return m;
}

/* n zeroed expressions for a rule of rs: from its pool while it pools. */
static struct nft_expr *nft_exprs_new(struct nft_ruleset *rs, size_t n, bool *pooled)
{
	*pooled = false;
	if (!rs->pooling || n > NFT_POOL_MAX / sizeof(struct nft_expr) / 2)
		return calloc(n, sizeof(struct nft_expr));
	if (!rs->pool && !(rs->pool = calloc(1, sizeof(*rs->pool))))
		return NULL;
	*pooled = true;
	return nft_pool_alloc(rs->pool, n * sizeof(struct nft_expr));
}

void nft_ruleset_free(struct nft_ruleset *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->ntables; i++)
		nft_table_clear(&rs->tables[i]);
	free(rs->tables);
	nft_pool_free(rs->pool);
	free(rs);
}

void nft_ruleset_touch(struct nft_ruleset *rs)
{
	static uint64_t serials;

	rs->serial = ++serials;
}

struct nft_ruleset *nft_ruleset_new(void)
{
	return calloc(1, sizeof(struct nft_ruleset));
}

void *nft_grow(void *arr_p, size_t *n, size_t size)
{
	void **arr = arr_p;
	char *p = reallocarray(*arr, *n + 1, size);

	if (!p)
		return NULL;
	*arr = p;
	memset(p + *n * size, 0, size);
	return p + (*n)++ * size;
}

void nft_copy_str(char *dst, size_t len, const char *src)
{
	/* strnlen + memcpy: called for every expression, snprintf showed up. */
	size_t n = src ? strnlen(src, len - 1) : 0;

	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
}

void nft_bytes_set(struct nft_bytes *b, const void *data, uint32_t len)
{
	if (!data || len > sizeof(b->b))
		len = 0;
	b->len = (uint8_t)len;
	if (len)
		memcpy(b->b, data, len);
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

/* ---- the chain index -------------------------------------------------- */

#define NFT_IDX_EMPTY UINT32_MAX
#define NFT_IDX_GONE (UINT32_MAX - 1)	/* a deleted chain's slot: probing goes on */
#define NFT_IDX_LINEAR 16	/* fewer chains: no index */

static size_t nft_name_hash(const char *name)
{
	return (size_t)nft_key(0, NULL, name);
}

void nft_table_reindex(struct nft_table *t)
{
	free(t->chain_idx);
	t->chain_idx = NULL;
	t->chain_idx_size = t->chain_idx_for = t->chain_idx_gone = 0;
}

static void nft_idx_put(struct nft_table *t, size_t i)
{
	size_t mask = t->chain_idx_size - 1, h = nft_name_hash(t->chains[i].name) & mask;

	while (t->chain_idx[h] != NFT_IDX_EMPTY)
		h = (h + 1) & mask;
	t->chain_idx[h] = (uint32_t)i;
}

void nft_table_chain_removed(struct nft_table *t, size_t i)
{
	/* A deletion must cost what it is: chains after i move down one,
	 * their slots are renumbered (integers, no hashing), i's marked gone. */
	if (!t->chain_idx || t->chain_idx_for != t->nchains + 1) {
		nft_table_reindex(t);
		return;
	}
	for (size_t h = 0; h < t->chain_idx_size; h++) {
		uint32_t v = t->chain_idx[h];

		if (v == i) {
			t->chain_idx[h] = NFT_IDX_GONE;
			t->chain_idx_gone++;
		}
		else if (v < NFT_IDX_GONE && v > i)
			t->chain_idx[h] = v - 1;
	}
	t->chain_idx_for = t->nchains;
}

/* Brings the index up to t's chains: the ones appended since added, or
 * all of them into a table twice their number.  False when out of memory
 * (the caller then searches linearly). */
static bool nft_idx_sync(struct nft_table *t)
{
	size_t size = 64;

	/* Rebuilt when half full, deleted slots counted: probing must end. */
	if (t->chain_idx && t->chain_idx_for <= t->nchains &&
	    (t->nchains + t->chain_idx_gone) * 2 <= t->chain_idx_size) {
		for (; t->chain_idx_for < t->nchains; t->chain_idx_for++)
			nft_idx_put(t, t->chain_idx_for);
		return true;
	}
	nft_table_reindex(t);
	while (size < t->nchains * 4)
		size *= 2;
	if (t->nchains >= NFT_IDX_EMPTY || !(t->chain_idx = malloc(size * sizeof(uint32_t))))
		return false;
	memset(t->chain_idx, 0xff, size * sizeof(uint32_t));
	t->chain_idx_size = size;
	for (; t->chain_idx_for < t->nchains; t->chain_idx_for++)
		nft_idx_put(t, t->chain_idx_for);
	return true;
}

const struct nft_chain *nft_chain_find(const struct nft_table *t, const char *name)
{
	/* The index is a cache of the parser's: built here, on a const. */
	struct nft_table *m = (struct nft_table *)t;
	size_t mask, h;

	if (!t || !name)
		return NULL;
	if (t->nchains < NFT_IDX_LINEAR || !nft_idx_sync(m)) {
		for (size_t i = 0; i < t->nchains; i++)
			if (!strcmp(t->chains[i].name, name))
				return &t->chains[i];
		return NULL;
	}
	mask = t->chain_idx_size - 1;
	for (h = nft_name_hash(name) & mask; t->chain_idx[h] != NFT_IDX_EMPTY; h = (h + 1) & mask)
		if (t->chain_idx[h] != NFT_IDX_GONE && !strcmp(t->chains[t->chain_idx[h]].name, name))
			return &t->chains[t->chain_idx[h]];
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

/* libnftnl's string getters strlen() an attribute the message did not
 * have (found by tests/fuzz/fuzz_nft.c): NULL for those. */
static const char *chain_str(const struct nftnl_chain *c, uint16_t attr)
{
	return nftnl_chain_is_set(c, attr) ? nftnl_chain_get_str(c, attr) : NULL;
}

static const char *set_str(const struct nftnl_set *s, uint16_t attr)
{
	return nftnl_set_is_set(s, attr) ? nftnl_set_get_str(s, attr) : NULL;
}

static const char *rule_str(const struct nftnl_rule *r, uint16_t attr)
{
	return nftnl_rule_is_set(r, attr) ? nftnl_rule_get_str(r, attr) : NULL;
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
			  chain_str(nc, NFTNL_CHAIN_TABLE));
	if (!t) {
		ret = -ENOENT;
		goto out;
	}
	c = (struct nft_chain *)nft_chain_find(t, chain_str(nc, NFTNL_CHAIN_NAME));
	if (!c && !(c = nft_grow(&t->chains, &t->nchains, sizeof(*c))))
		goto out;
	nft_copy_str(c->name, sizeof(c->name), chain_str(nc, NFTNL_CHAIN_NAME));
	c->handle = nftnl_chain_get_u64(nc, NFTNL_CHAIN_HANDLE);
	c->flags = nftnl_chain_get_u32(nc, NFTNL_CHAIN_FLAGS);
	t->nbase -= c->base;
	c->base = nftnl_chain_is_set(nc, NFTNL_CHAIN_HOOKNUM);
	t->nbase += c->base;
	if (c->base) {
		c->hooknum = nftnl_chain_get_u32(nc, NFTNL_CHAIN_HOOKNUM);
		c->prio = nftnl_chain_get_s32(nc, NFTNL_CHAIN_PRIO);
		/* The kernel always dumps a base chain's policy; accept is
		 * its default should it ever be missing. */
		c->policy = nftnl_chain_is_set(nc, NFTNL_CHAIN_POLICY) ?
			    nftnl_chain_get_u32(nc, NFTNL_CHAIN_POLICY) : NF_ACCEPT;
		nft_copy_str(c->type, sizeof(c->type), chain_str(nc, NFTNL_CHAIN_TYPE));
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
			  set_str(ns, NFTNL_SET_TABLE));
	if (!t) {
		ret = -ENOENT;
		goto out;
	}
	/* The kernel's limit, which the evaluator's byte strings rely on. */
	if (nftnl_set_get_u32(ns, NFTNL_SET_KEY_LEN) > NFT_DATA_VALUE_MAXLEN ||
	    nftnl_set_get_u32(ns, NFTNL_SET_DATA_LEN) > NFT_DATA_VALUE_MAXLEN) {
		ret = -EINVAL;
		goto out;
	}
	s = (struct nft_set *)nft_set_find(t, set_str(ns, NFTNL_SET_NAME));
	if (!s && !(s = nft_grow(&t->sets, &t->nsets, sizeof(*s))))
		goto out;
	nft_copy_str(s->name, sizeof(s->name), set_str(ns, NFTNL_SET_NAME));
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
int nft_derive_ranges(struct nft_set *s)
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

/*
 * Set elements are read here, not by libnftnl: its set parser left a set
 * that nftnl_set_free() crashed on, and its getters strlen() what a message
 * lacked (both found by tests/fuzz/fuzz_nft.c).  nft_msg_ok() has checked
 * every attribute's type; an element holds a key, maybe a key_end, flags,
 * and as map data a value or a verdict with its chain.
 */
struct nft_attrs {
	const struct nlattr *tb[NFTA_SET_ELEM_MAX + 1];
};

static int nft_attrs_cb(const struct nlattr *a, void *data)
{
	struct nft_attrs *at = data;
	uint16_t t = mnl_attr_get_type(a);

	if (t <= NFTA_SET_ELEM_MAX)
		at->tb[t] = a;
	return MNL_CB_OK;
}

/* NFTA_DATA_VALUE or NFTA_DATA_VERDICT of a; false when malformed. */
static bool nft_elem_data(const struct nlattr *a, struct nft_bytes *b, struct nft_elem *verdict)
{
	struct nft_attrs d = { 0 }, v = { 0 };
	const struct nlattr *val;

	if (mnl_attr_parse_nested(a, nft_attrs_cb, &d) < 0)
		return false;
	if ((val = d.tb[NFTA_DATA_VALUE])) {
		if (mnl_attr_get_payload_len(val) > sizeof(b->b))
			return false;
		nft_bytes_set(b, mnl_attr_get_payload(val), mnl_attr_get_payload_len(val));
		return true;
	}
	if (!verdict || !d.tb[NFTA_DATA_VERDICT] ||
	    mnl_attr_parse_nested(d.tb[NFTA_DATA_VERDICT], nft_attrs_cb, &v) < 0 ||
	    !v.tb[NFTA_VERDICT_CODE])
		return !d.tb[NFTA_DATA_VERDICT];
	verdict->verdict = (int32_t)ntohl(mnl_attr_get_u32(v.tb[NFTA_VERDICT_CODE]));
	return !v.tb[NFTA_VERDICT_CHAIN] ||
	       (verdict->chain = strdup(mnl_attr_get_str(v.tb[NFTA_VERDICT_CHAIN])));
}

int nft_add_elem(struct nft_set *s, const struct nlattr *nest)
{
	struct nft_elem *e = nft_grow(&s->elems, &s->nelems, sizeof(*e));
	struct nft_attrs at = { 0 };

	if (!e)
		return -ENOMEM;
	if (mnl_attr_parse_nested(nest, nft_attrs_cb, &at) < 0)
		return -EINVAL;
	if (at.tb[NFTA_SET_ELEM_FLAGS])
		e->flags = ntohl(mnl_attr_get_u32(at.tb[NFTA_SET_ELEM_FLAGS]));
	if ((at.tb[NFTA_SET_ELEM_KEY] && !nft_elem_data(at.tb[NFTA_SET_ELEM_KEY], &e->key, NULL)) ||
	    (at.tb[NFTA_SET_ELEM_KEY_END] &&
	     !nft_elem_data(at.tb[NFTA_SET_ELEM_KEY_END], &e->key_end, NULL)) ||
	    (at.tb[NFTA_SET_ELEM_DATA] && !nft_elem_data(at.tb[NFTA_SET_ELEM_DATA], &e->data, e)))
		return -EINVAL;
	return 0;
}

static int nft_elems_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t t = mnl_attr_get_type(a);

	if (t <= NFTA_SET_ELEM_LIST_MAX)
		tb[t] = a;
	return MNL_CB_OK;
}

static int nft_parse_elems(struct nft_ruleset *rs, const struct nlmsghdr *nlh)
{
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[NFTA_SET_ELEM_LIST_MAX + 1] = { 0 }, *a;
	struct nft_table *t;
	struct nft_set *s;
	int ret = 0;

	if (mnl_attr_parse(nlh, sizeof(*nfg), nft_elems_cb, tb) < 0)
		return -EINVAL;
	if (!tb[NFTA_SET_ELEM_LIST_TABLE] || !tb[NFTA_SET_ELEM_LIST_SET])
		return -ENOENT;
	t = nft_table_mut(rs, nfg->nfgen_family, mnl_attr_get_str(tb[NFTA_SET_ELEM_LIST_TABLE]));
	s = (struct nft_set *)nft_set_find(t, mnl_attr_get_str(tb[NFTA_SET_ELEM_LIST_SET]));
	if (!s)
		return -ENOENT;
	if (tb[NFTA_SET_ELEM_LIST_ELEMENTS])
		mnl_attr_for_each_nested(a, tb[NFTA_SET_ELEM_LIST_ELEMENTS])
			if (!ret)
				ret = nft_add_elem(s, a);
	/* Even after a bad element: the ranges always match the elements. */
	return nft_derive_ranges(s) ?: ret;
}

/* ---- rules ----------------------------------------------------------- */

static int nft_conv_expr(struct nftnl_expr *ne, void *arg)
{
	struct nft_rule *r = arg;
	struct nft_expr *e = nft_grow(&r->exprs, &r->nexprs, sizeof(*e));

	return e && nft_expr_from_nftnl(e, ne) == 0 ? 0 : -1;
}

/*
 * The rule's comment from its userdata: TLVs of a type byte, a length byte
 * and the value (libnftnl's struct nftnl_udata), walked here with bounds
 * (nftnl_udata_parse() let a callback read past a truncated one: found by
 * tests/fuzz/fuzz_nft.c).  The comment is stored with its NUL; the last one
 * counts, as with libnftnl; anything else is not ours.
 */
static int nft_rule_comment(struct nft_rule *r, const void *udata, uint32_t len)
{
	const uint8_t *p = udata, *end = p ? p + len : NULL;
	const char *comment = NULL;

	while (p && end - p >= 2 && p[1] <= end - p - 2) {
		const char *v = (const char *)p + 2;

		if (p[0] == NFTNL_UDATA_RULE_COMMENT && p[1] > 0 && v[p[1] - 1] == '\0')
			comment = v;
		p += 2 + p[1];
	}
	if (!comment)
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

	switch (nft_at_type(a)) {
	case NFTA_RULE_TABLE:
		if (nft_at_valid(a, MNL_TYPE_NUL_STRING))
			rr->table = nft_at_data(a);
		break;
	case NFTA_RULE_CHAIN:
		if (nft_at_valid(a, MNL_TYPE_NUL_STRING))
			rr->chain = nft_at_data(a);
		break;
	case NFTA_RULE_HANDLE:
		if (nft_at_valid(a, MNL_TYPE_U64))
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

/* A register an expression may load into (the evaluator's too). */
static bool nft_reg_data(uint32_t reg)
{
	return (reg >= NFT_REG_1 && reg <= NFT_REG_4) ||
	       (reg >= NFT_REG32_00 && reg <= NFT_REG32_15);
}

/* Whether m, c test "meta nfproto" or "meta l4proto" (== or !=): what nft
 * puts before the address of every rule of an inet table.  The evaluator
 * always knows both, and the pair either goes on or ends the rule, so a
 * rule whose payload comparison after it fails misses either way. */
static bool nft_pre_passable(const struct nft_expr *m, const struct nft_expr *c)
{
	return m->kind == NFT_EXPR_META && !m->u.meta.set &&
	       (m->u.meta.key == NFT_META_NFPROTO || m->u.meta.key == NFT_META_L4PROTO) &&
	       nft_reg_data(m->u.meta.reg) && c->kind == NFT_EXPR_CMP &&
	       c->u.cmp.sreg == m->u.meta.reg && c->u.cmp.data.len == 1 &&
	       (c->u.cmp.op == NFT_CMP_EQ || c->u.cmp.op == NFT_CMP_NEQ);
}

/* nft_rule.pre, from the rule's first payload and cmp, after at most two
 * meta tests nft_pre_passable() lets it pass. */
static void nft_rule_pre(struct nft_rule *r)
{
	const struct nft_expr *p, *c;
	size_t i = 0;

	while (i < 4 && i + 3 < r->nexprs && nft_pre_passable(&r->exprs[i], &r->exprs[i + 1]))
		i += 2;
	if (r->nexprs < i + 2)
		return;
	p = &r->exprs[i];
	c = &r->exprs[i + 1];
	if (p->kind != NFT_EXPR_PAYLOAD || c->kind != NFT_EXPR_CMP ||
	    p->u.payload.sreg || c->u.cmp.op != NFT_CMP_EQ || c->u.cmp.sreg != p->u.payload.dreg ||
	    c->u.cmp.data.len != p->u.payload.len || !p->u.payload.len ||
	    p->u.payload.len > sizeof(r->pre.val) || p->u.payload.offset > UINT8_MAX ||
	    p->u.payload.base > UINT8_MAX)
		return;
	r->pre.reg = p->u.payload.dreg;
	r->pre.base = (uint8_t)p->u.payload.base;
	r->pre.off = (uint8_t)p->u.payload.offset;
	r->pre.len = (uint8_t)p->u.payload.len;
	memcpy(r->pre.val, c->u.cmp.data.b, r->pre.len);
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
	if (!r->partial)
		nft_rule_pre(r);
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
			      rule_str(nr, NFTNL_RULE_TABLE),
			      rule_str(nr, NFTNL_RULE_CHAIN), &r);
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
 * read straight from the attributes (nft_expr_from_attr()), into the same
 * structs the libnftnl path fills (the unit tests and the fuzzer parse every
 * rule both ways and compare).  A rule holding anything else, or anything
 * malformed, takes the libnftnl path instead: -EAGAIN.
 */

bool nft_parse_fast = true;

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
		nft_at_for_each_nested(a, rr.exprs)
			n++;
	/* One allocation for the rule's expressions. */
	if (n && !(r.exprs = nft_exprs_new(rs, n, &r.pooled)))
		return -ENOMEM;
	r.handle = rr.handle;
	if (rr.exprs) {
		nft_at_for_each_nested(a, rr.exprs) {
			if ((ret = nft_expr_from_attr(&r.exprs[r.nexprs++], a)))
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

int nft_parse_one(struct nft_ruleset *rs, const struct nlmsghdr *nlh)
{
	if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
		return 0;
	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES)
		return 0;
	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(struct nfgenmsg)))
		return -EINVAL;
	/* Malformed for the kernel's types: refused before either path. */
	if (!nft_msg_ok(nlh))
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
	nft_ruleset_touch(rs);
	while (mnl_nlmsg_ok(nlh, left)) {
		if ((ret = nft_parse_one(rs, nlh)))
			return ret;
		nlh = mnl_nlmsg_next(nlh, &left);
	}
	return left == 0 ? 0 : -EINVAL;
}

