/*
 * nftables change notifications applied to a ruleset read earlier, so that
 * a commit costs what it changed, not what the ruleset holds; and the
 * comparison with a fresh dump that checks the result.  NEW* messages go
 * through the dump's own parser (nft.c); what a notification adds on top is
 * where a rule goes and what a DEL* message removes.
 *
 * How the kernel (6.x, nf_tables_rule_notify) announces rules: a rule that
 * ends up between two others carries NFTA_RULE_POSITION, the handle of the
 * rule before it; one at either end carries none, and NLM_F_APPEND says the
 * end (it is set for `add` and for `replace`).  A replaced rule keeps its
 * handle: DELRULE for the old one, then NEWRULE with the same handle (the
 * order may be either), so the new one goes where the old one was.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <libmnl/libmnl.h>

#include "netlink/nft_int.h"

#define NFT_ATTRS 32	/* above every NFTA_{TABLE,CHAIN,SET,RULE}_MAX */

#define NFT_APPLY_DELETED 64	/* deleted rules remembered per commit */

/* What one commit's messages leave for the ones after them: the rules it
 * deleted (a NEWRULE with one's handle is its replacement) and the rules
 * whose position is a rule announced later in the commit (the kernel names
 * the rule before, which may be one of the commit's own still to come). */
struct nft_apply {
	struct {
		const struct nft_chain *chain;
		uint64_t handle;
		size_t index;
	} del[NFT_APPLY_DELETED];
	size_t ndel;
	struct nft_waiting {
		const struct nft_chain *chain;
		uint64_t after;
		struct nft_rule rule;
	} *wait;
	size_t nwait;
	struct nft_change *chg;	/* NULL: not kept */
};

/* The names and handle of one message (nft_msg_ok() checked the types). */
struct nft_ids {
	const struct nlattr *tb[NFT_ATTRS];
	uint32_t family;
};

static int nft_ids_cb(const struct nlattr *a, void *data)
{
	struct nft_ids *id = data;
	uint16_t t = mnl_attr_get_type(a);

	if (t < NFT_ATTRS)
		id->tb[t] = a;
	return MNL_CB_OK;
}

static int nft_ids(const struct nlmsghdr *nlh, struct nft_ids *id)
{
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);

	memset(id, 0, sizeof(*id));
	id->family = nfg->nfgen_family;
	return mnl_attr_parse(nlh, sizeof(*nfg), nft_ids_cb, id) < 0 ? -EINVAL : 0;
}

static const char *nft_id_str(const struct nft_ids *id, int attr)
{
	return id->tb[attr] ? mnl_attr_get_str(id->tb[attr]) : NULL;
}

static uint64_t nft_id_u64(const struct nft_ids *id, int attr)
{
	return id->tb[attr] ? be64toh(mnl_attr_get_u64(id->tb[attr])) : 0;
}

static struct nft_table *nft_table_at(struct nft_ruleset *rs, const struct nft_ids *id, int attr)
{
	return (struct nft_table *)nft_table_find(rs, id->family, nft_id_str(id, attr));
}

/* Removes element i of an array of n, keeping the order. */
static void nft_remove(void *arr, size_t *n, size_t size, size_t i)
{
	char *p = arr;

	memmove(p + i * size, p + (i + 1) * size, (*n - i - 1) * size);
	(*n)--;
}

/* The index of the rule with handle h, the last one when two have it (a
 * replacement is put before the rule it replaces); -1 when none. */
static ssize_t nft_rule_index(const struct nft_chain *c, uint64_t h)
{
	for (size_t i = c->nrules; i-- > 0;)
		if (c->rules[i].handle == h)
			return (ssize_t)i;
	return -1;
}

/* ---- rules ------------------------------------------------------------ */

/* Where a NEWRULE goes in c: its index, or -1 when its position is a rule
 * not (yet) in c. */
static ssize_t nft_rule_slot(const struct nft_chain *c, const struct nft_ids *id,
			     const struct nlmsghdr *nlh, const struct nft_apply *ap)
{
	uint64_t h = nft_id_u64(id, NFTA_RULE_HANDLE);
	ssize_t at;

	if (id->tb[NFTA_RULE_POSITION]) {
		at = nft_rule_index(c, nft_id_u64(id, NFTA_RULE_POSITION));
		return at < 0 ? -1 : at + 1;
	}
	if ((at = nft_rule_index(c, h)) >= 0)
		return at;	/* announced before the old one's DELRULE */
	for (size_t i = ap->ndel; i-- > 0;)
		if (ap->del[i].chain == c && ap->del[i].handle == h)
			return (ssize_t)(ap->del[i].index <= c->nrules ? ap->del[i].index : c->nrules);
	return (nlh->nlmsg_flags & NLM_F_APPEND) ? (ssize_t)c->nrules : 0;
}

/* Puts r at index at of c, whose last slot is r's (or free). */
static void nft_rule_put(struct nft_chain *c, size_t at, struct nft_rule r)
{
	memmove(&c->rules[at + 1], &c->rules[at], (c->nrules - 1 - at) * sizeof(r));
	c->rules[at] = r;
}

/* The rules waiting for the one at index at, after it (and theirs after
 * them).  Returns 0 or -ENOMEM. */
static int nft_rule_settle(struct nft_apply *ap, struct nft_chain *c, size_t at)
{
	for (size_t i = 0; i < ap->nwait;) {
		struct nft_waiting *w = &ap->wait[i];

		if (w->chain != c || w->after != c->rules[at].handle) {
			i++;
			continue;
		}
		if (!nft_grow(&c->rules, &c->nrules, sizeof(*c->rules)))
			return -ENOMEM;
		nft_rule_put(c, ++at, w->rule);
		nft_remove(ap->wait, &ap->nwait, sizeof(*w), i);
		i = 0;
	}
	return 0;
}

/* The rule just parsed (c's last) waits for the rule before it. */
static int nft_rule_park(struct nft_apply *ap, struct nft_chain *c, const struct nft_ids *id)
{
	struct nft_waiting *w = nft_grow(&ap->wait, &ap->nwait, sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->chain = c;
	w->after = nft_id_u64(id, NFTA_RULE_POSITION);
	w->rule = c->rules[--c->nrules];
	return 0;
}

/* A waiting rule deleted before its place came. */
static void nft_unpark(struct nft_apply *ap, const struct nft_chain *c, uint64_t h)
{
	for (size_t i = 0; i < ap->nwait; i++)
		if (ap->wait[i].chain == c && ap->wait[i].rule.handle == h) {
			nft_rule_clear(&ap->wait[i].rule);
			nft_remove(ap->wait, &ap->nwait, sizeof(ap->wait[0]), i);
			return;
		}
}

static int nft_new_rule(struct nft_ruleset *rs, const struct nlmsghdr *nlh, struct nft_apply *ap)
{
	struct nft_ids id;
	struct nft_chain *c;
	ssize_t at;
	int ret;

	if ((ret = nft_ids(nlh, &id)))
		return ret;
	c = (struct nft_chain *)nft_chain_find(nft_table_at(rs, &id, NFTA_RULE_TABLE),
					      nft_id_str(&id, NFTA_RULE_CHAIN));
	if (!c)
		return -ENOENT;
	at = nft_rule_slot(c, &id, nlh, ap);
	/* The parser appends to c (c itself does not move). */
	if ((ret = nft_parse_one(rs, nlh)))
		return ret;
	if (at < 0)
		return nft_rule_park(ap, c, &id);
	nft_rule_put(c, (size_t)at, c->rules[c->nrules - 1]);
	return nft_rule_settle(ap, c, (size_t)at);
}

static int nft_del_rule(struct nft_ruleset *rs, const struct nlmsghdr *nlh, struct nft_apply *ap)
{
	struct nft_ids id;
	struct nft_chain *c;
	uint64_t h;
	ssize_t i;
	int ret;

	if ((ret = nft_ids(nlh, &id)))
		return ret;
	c = (struct nft_chain *)nft_chain_find(nft_table_at(rs, &id, NFTA_RULE_TABLE),
					      nft_id_str(&id, NFTA_RULE_CHAIN));
	h = nft_id_u64(&id, NFTA_RULE_HANDLE);
	if (!c)
		return 0;
	if ((i = nft_rule_index(c, h)) < 0) {
		nft_unpark(ap, c, h);	/* replaced twice in one commit */
		return 0;
	}
	nft_rule_clear(&c->rules[i]);
	nft_remove(c->rules, &c->nrules, sizeof(*c->rules), (size_t)i);
	if (ap->ndel == NFT_APPLY_DELETED)
		nft_remove(ap->del, &ap->ndel, sizeof(ap->del[0]), 0);
	ap->del[ap->ndel].chain = c;
	ap->del[ap->ndel].handle = h;
	ap->del[ap->ndel++].index = (size_t)i;
	return 0;
}

/* ---- tables, chains, sets --------------------------------------------- */

static void nft_note_key(struct nft_change *chg, uint32_t family, const char *table,
			 const char *name);

/* A chain renamed keeps its handle: the notification has the new name (a
 * jump to the old one now finds nothing: that is a change too). */
static int nft_new_chain(struct nft_ruleset *rs, const struct nlmsghdr *nlh,
			 const struct nft_apply *ap)
{
	struct nft_ids id;
	struct nft_table *t;
	uint64_t h;
	int ret;

	if ((ret = nft_ids(nlh, &id)))
		return ret;
	t = nft_table_at(rs, &id, NFTA_CHAIN_TABLE);
	h = nft_id_u64(&id, NFTA_CHAIN_HANDLE);
	for (size_t i = 0; t && h && id.tb[NFTA_CHAIN_NAME] && i < t->nchains; i++)
		if (t->chains[i].handle == h) {
			if (ap->chg)
				nft_note_key(ap->chg, t->family, t->name, t->chains[i].name);
			nft_copy_str(t->chains[i].name, sizeof(t->chains[i].name),
				     nft_id_str(&id, NFTA_CHAIN_NAME));
			nft_table_reindex(t);
		}
	return nft_parse_one(rs, nlh);
}

static int nft_del_chain(struct nft_ruleset *rs, const struct nlmsghdr *nlh)
{
	struct nft_ids id;
	struct nft_table *t;
	const char *name;
	uint64_t h;
	int ret;

	if ((ret = nft_ids(nlh, &id)))
		return ret;
	t = nft_table_at(rs, &id, NFTA_CHAIN_TABLE);
	name = nft_id_str(&id, NFTA_CHAIN_NAME);
	h = nft_id_u64(&id, NFTA_CHAIN_HANDLE);
	for (size_t i = 0; t && i < t->nchains; i++) {
		struct nft_chain *c = &t->chains[i];

		if ((h && c->handle == h) || (!h && name && !strcmp(c->name, name))) {
			for (size_t j = 0; j < c->nrules; j++)
				nft_rule_clear(&c->rules[j]);
			free(c->rules);
			t->nbase -= c->base;
			nft_remove(t->chains, &t->nchains, sizeof(*c), i);
			nft_table_chain_removed(t, i);
			break;
		}
	}
	return 0;
}

/* A set name may come back with a new handle (anonymous sets' __set%d are
 * reused): the old elements are not its. */
static int nft_new_set(struct nft_ruleset *rs, const struct nlmsghdr *nlh)
{
	struct nft_ids id;
	struct nft_set *s;
	uint64_t h;
	int ret;

	if ((ret = nft_ids(nlh, &id)))
		return ret;
	s = (struct nft_set *)nft_set_find(nft_table_at(rs, &id, NFTA_SET_TABLE),
					   nft_id_str(&id, NFTA_SET_NAME));
	h = nft_id_u64(&id, NFTA_SET_HANDLE);
	if (s && h && s->handle != h) {
		nft_set_clear(s);
		s->elems = NULL;
		s->ranges = NULL;
		s->nelems = s->nranges = 0;
	}
	return nft_parse_one(rs, nlh);
}

static int nft_del_set(struct nft_ruleset *rs, const struct nlmsghdr *nlh)
{
	struct nft_ids id;
	struct nft_table *t;
	const struct nft_set *s;
	int ret;

	if ((ret = nft_ids(nlh, &id)))
		return ret;
	t = nft_table_at(rs, &id, NFTA_SET_TABLE);
	if (!(s = nft_set_find(t, nft_id_str(&id, NFTA_SET_NAME))))
		return 0;
	nft_set_clear((struct nft_set *)s);
	nft_remove(t->sets, &t->nsets, sizeof(*s), (size_t)(s - t->sets));
	return 0;
}

static int nft_del_table(struct nft_ruleset *rs, const struct nlmsghdr *nlh)
{
	struct nft_ids id;
	struct nft_table *t;
	int ret;

	if ((ret = nft_ids(nlh, &id)))
		return ret;
	if (!(t = nft_table_at(rs, &id, NFTA_TABLE_NAME)))
		return 0;
	nft_table_clear(t);
	nft_remove(rs->tables, &rs->ntables, sizeof(*t), (size_t)(t - rs->tables));
	return 0;
}

/* ---- set elements ----------------------------------------------------- */

static bool nft_elem_same(const struct nft_elem *a, const struct nft_elem *b)
{
	return a->key.len == b->key.len && !memcmp(a->key.b, b->key.b, a->key.len) &&
	       a->key_end.len == b->key_end.len &&
	       !memcmp(a->key_end.b, b->key_end.b, a->key_end.len) &&
	       (a->flags & NFT_SET_ELEM_INTERVAL_END) == (b->flags & NFT_SET_ELEM_INTERVAL_END);
}

static void nft_elem_drop(struct nft_set *s, const struct nft_elem *gone)
{
	for (size_t i = 0; i < s->nelems; i++)
		if (nft_elem_same(&s->elems[i], gone)) {
			free(s->elems[i].chain);
			nft_remove(s->elems, &s->nelems, sizeof(*s->elems), i);
			return;
		}
}

/* The elements are decoded into a scratch set by the dump's own code. */
static int nft_del_elems(struct nft_ruleset *rs, const struct nlmsghdr *nlh)
{
	struct nft_set scratch = { 0 }, *s;
	const struct nlattr *a;
	struct nft_ids id;
	int ret;

	if ((ret = nft_ids(nlh, &id)))
		return ret;
	s = (struct nft_set *)nft_set_find(nft_table_at(rs, &id, NFTA_SET_ELEM_LIST_TABLE),
					   nft_id_str(&id, NFTA_SET_ELEM_LIST_SET));
	if (!s || !id.tb[NFTA_SET_ELEM_LIST_ELEMENTS])
		return 0;
	mnl_attr_for_each_nested(a, id.tb[NFTA_SET_ELEM_LIST_ELEMENTS])
		if (!ret)
			ret = nft_add_elem(&scratch, a);
	for (size_t i = 0; !ret && i < scratch.nelems; i++)
		nft_elem_drop(s, &scratch.elems[i]);
	nft_set_clear(&scratch);
	return nft_derive_ranges(s) ?: ret;
}

/* ---- one commit ------------------------------------------------------- */

static int nft_apply_one(struct nft_ruleset *rs, const struct nlmsghdr *nlh, struct nft_apply *ap)
{
	uint16_t type = NFNL_MSG_TYPE(nlh->nlmsg_type);

	/* A chain or table array may move, and the chains remembered with it:
	 * a rule still waiting for its place then cannot be placed. */
	if (type == NFT_MSG_NEWCHAIN || type == NFT_MSG_DELCHAIN || type == NFT_MSG_NEWTABLE ||
	    type == NFT_MSG_DELTABLE) {
		if (ap->nwait)
			return -ENOENT;
		ap->ndel = 0;
	}
	switch (type) {
	case NFT_MSG_NEWRULE: return nft_new_rule(rs, nlh, ap);
	case NFT_MSG_DELRULE: return nft_del_rule(rs, nlh, ap);
	case NFT_MSG_NEWCHAIN: return nft_new_chain(rs, nlh, ap);
	case NFT_MSG_DELCHAIN: return nft_del_chain(rs, nlh);
	case NFT_MSG_NEWSET: return nft_new_set(rs, nlh);
	case NFT_MSG_DELSET: return nft_del_set(rs, nlh);
	case NFT_MSG_DELSETELEM: return nft_del_elems(rs, nlh);
	case NFT_MSG_DELTABLE: return nft_del_table(rs, nlh);
	}
	return nft_parse_one(rs, nlh);	/* NEWTABLE, NEWSETELEM, NEWGEN */
}

static void nft_note_key(struct nft_change *chg, uint32_t family, const char *table,
			 const char *name)
{
	for (size_t i = 0; i < chg->nkeys; i++)
		if (chg->keys[i] == nft_key(family, table, name))
			return;
	if (chg->nkeys == NFT_CHANGE_KEYS)
		chg->all = true;
	else
		chg->keys[chg->nkeys++] = nft_key(family, table, name);
}

/* What the message touched: the chain of a rule, a chain (a base chain, a
 * hook moved or a table: anything), a set. */
static void nft_note(struct nft_change *chg, const struct nlmsghdr *nlh)
{
	struct nft_ids id;

	chg->msgs++;
	if (nft_ids(nlh, &id)) {
		chg->all = true;
		return;
	}
	chg->families |= 1u << (id.family & 31);
	switch (NFNL_MSG_TYPE(nlh->nlmsg_type)) {
	case NFT_MSG_NEWRULE:
	case NFT_MSG_DELRULE:
		nft_note_key(chg, id.family, nft_id_str(&id, NFTA_RULE_TABLE),
			     nft_id_str(&id, NFTA_RULE_CHAIN));
		return;
	case NFT_MSG_NEWCHAIN:
	case NFT_MSG_DELCHAIN:
		chg->all |= id.tb[NFTA_CHAIN_HOOK] != NULL;
		nft_note_key(chg, id.family, nft_id_str(&id, NFTA_CHAIN_TABLE),
			     nft_id_str(&id, NFTA_CHAIN_NAME));
		return;
	case NFT_MSG_NEWSET:
	case NFT_MSG_DELSET:
		nft_note_key(chg, id.family, nft_id_str(&id, NFTA_SET_TABLE),
			     nft_id_str(&id, NFTA_SET_NAME));
		return;
	case NFT_MSG_NEWSETELEM:
	case NFT_MSG_DELSETELEM:
		nft_note_key(chg, id.family, nft_id_str(&id, NFTA_SET_ELEM_LIST_TABLE),
			     nft_id_str(&id, NFTA_SET_ELEM_LIST_SET));
		return;
	}
	chg->all = true;	/* a table: dormant, gone */
}

int nft_ruleset_apply(struct nft_ruleset *rs, const void *buf, size_t len, struct nft_change *chg)
{
	const struct nlmsghdr *nlh = buf;
	struct nft_apply ap = { .chg = chg };
	int left = (int)len, ret;

	if (!rs || !buf || len > INT32_MAX)
		return -EINVAL;
	nft_ruleset_touch(rs);
	for (ret = 0; !ret && mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);

		if (nlh->nlmsg_type < NLMSG_MIN_TYPE ||
		    NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES)
			continue;
		if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*nfg)) || !nft_msg_ok(nlh))
			ret = -EINVAL;
		else
			ret = nft_apply_one(rs, nlh, &ap);
		if (chg && NFNL_MSG_TYPE(nlh->nlmsg_type) != NFT_MSG_NEWGEN)
			nft_note(chg, nlh);
	}
	if (!ret && left != 0)
		ret = -EINVAL;
	/* A rule still waiting: the rule before it never came. */
	if (!ret && ap.nwait)
		ret = -ENOENT;
	for (size_t i = 0; i < ap.nwait; i++)
		nft_rule_clear(&ap.wait[i].rule);
	free(ap.wait);
	return ret;
}
