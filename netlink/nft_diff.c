/*
 * Two rulesets compared as the evaluator reads them: the agent's view kept
 * from notifications (nft_apply.c) against a fresh dump, at every --resync.
 * Both come from the same parser into zeroed memory, so expressions compare
 * byte for byte.
 */
#include <stdlib.h>
#include <string.h>

#include "netlink/nft_int.h"

static bool nft_str_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static bool nft_expr_eq(const struct nft_expr *a, const struct nft_expr *b)
{
	return a->kind == b->kind && !strcmp(a->name, b->name) && nft_str_eq(a->str, b->str) &&
	       a->infolen == b->infolen && (!a->infolen || !memcmp(a->info, b->info, a->infolen)) &&
	       !memcmp(&a->u, &b->u, sizeof(a->u));
}

static bool nft_rule_eq(const struct nft_rule *a, const struct nft_rule *b)
{
	if (a->handle != b->handle || a->nexprs != b->nexprs || a->partial != b->partial ||
	    !nft_str_eq(a->comment, b->comment))
		return false;
	for (size_t i = 0; i < a->nexprs; i++)
		if (!nft_expr_eq(&a->exprs[i], &b->exprs[i]))
			return false;
	return true;
}

static int nft_u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Handles in one sorted list and not in the other. */
static size_t nft_handles_apart(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
	size_t i = 0, j = 0, d = 0;

	while (i < na || j < nb) {
		if (j == nb || (i < na && a[i] < b[j]))
			i++, d++;
		else if (i == na || b[j] < a[i])
			j++, d++;
		else
			i++, j++;
	}
	return d;
}

static uint64_t *nft_handles(const struct nft_chain *c)
{
	uint64_t *h = calloc(c->nrules + 1, sizeof(*h));

	for (size_t i = 0; h && i < c->nrules; i++)
		h[i] = c->rules[i].handle;
	if (h)
		qsort(h, c->nrules, sizeof(*h), nft_u64_cmp);
	return h;
}

/* Rules in one chain and not the other (by handle), or the same rules in
 * another order (1), when the two lists are not alike position by
 * position. */
static size_t nft_rules_apart(const struct nft_chain *a, const struct nft_chain *b)
{
	uint64_t *ha = nft_handles(a), *hb = nft_handles(b);
	size_t d = a->nrules + b->nrules;

	if (ha && hb)
		d = nft_handles_apart(ha, a->nrules, hb, b->nrules);
	free(ha);
	free(hb);
	return d ? d : 1;
}

/* The chain's own attributes (1 when they differ) and each rule that
 * differs. */
static size_t nft_chain_diff(const struct nft_chain *a, const struct nft_chain *b)
{
	size_t d = strcmp(a->type, b->type) || a->handle != b->handle || a->base != b->base ||
		   a->hooknum != b->hooknum || a->prio != b->prio || a->policy != b->policy ||
		   a->flags != b->flags;

	if (a->nrules != b->nrules)
		return d + nft_rules_apart(a, b);
	for (size_t i = 0; i < a->nrules; i++) {
		if (a->rules[i].handle != b->rules[i].handle)
			return d + nft_rules_apart(a, b);
		d += !nft_rule_eq(&a->rules[i], &b->rules[i]);
	}
	return d;
}

static bool nft_elem_data_eq(const struct nft_elem *a, const struct nft_elem *b)
{
	return a->verdict == b->verdict && nft_str_eq(a->chain, b->chain) &&
	       a->data.len == b->data.len && !memcmp(a->data.b, b->data.b, a->data.len);
}

/* Elements arrive in the backend's order in a dump and in the commit's in
 * notifications: the sorted ranges they make are what must agree. */
static bool nft_set_eq(const struct nft_set *a, const struct nft_set *b)
{
	if (a->handle != b->handle || a->flags != b->flags || a->key_type != b->key_type ||
	    a->key_len != b->key_len || a->data_type != b->data_type ||
	    a->data_len != b->data_len || a->nranges != b->nranges)
		return false;
	for (size_t i = 0; i < a->nranges; i++) {
		const struct nft_range *x = &a->ranges[i], *y = &b->ranges[i];

		if (memcmp(&x->lo, &y->lo, sizeof(x->lo)) || memcmp(&x->hi, &y->hi, sizeof(x->hi)) ||
		    !nft_elem_data_eq(&a->elems[x->elem], &b->elems[y->elem]))
			return false;
	}
	return true;
}

/* Chains and sets of a missing in b, and differing. */
static size_t nft_table_half(const struct nft_table *a, const struct nft_table *b, bool both)
{
	size_t d = 0;

	for (size_t i = 0; i < a->nchains; i++) {
		const struct nft_chain *c = nft_chain_find(b, a->chains[i].name);

		d += !c ? 1 + a->chains[i].nrules : both ? nft_chain_diff(&a->chains[i], c) : 0;
	}
	for (size_t i = 0; i < a->nsets; i++) {
		const struct nft_set *s = nft_set_find(b, a->sets[i].name);

		d += !s || (both && !nft_set_eq(&a->sets[i], s));
	}
	return d;
}

static size_t nft_half(const struct nft_ruleset *a, const struct nft_ruleset *b, bool both)
{
	size_t d = 0;

	for (size_t i = 0; i < a->ntables; i++) {
		const struct nft_table *ta = &a->tables[i];
		const struct nft_table *tb = nft_table_find(b, ta->family, ta->name);

		if (!tb) {
			d++;
			continue;
		}
		d += both && (ta->handle != tb->handle || ta->flags != tb->flags);
		d += nft_table_half(ta, tb, both);
	}
	return d;
}

size_t nft_ruleset_diff(const struct nft_ruleset *a, const struct nft_ruleset *b)
{
	return nft_half(a, b, true) + nft_half(b, a, false);
}
