/*
 * The nftables message parsers (netlink/nft.c), both of them: every message
 * goes through the direct-attribute rule parser (nft_parse_fast) into one
 * ruleset and through libnftnl alone into another.  Where libnftnl read a
 * rule whole, the two must agree expression by expression; whatever was
 * read is then evaluated (agent/core/fw.c) for a pod's flow on every hook.
 *
 * Input: messages as [type][family][len lo][len hi][len bytes of
 * attributes]; type picks NEWTABLE, NEWCHAIN, NEWSET, NEWSETELEM, NEWRULE
 * or NEWGEN; each gets an nlmsghdr and nfgenmsg of its own.
 * tests/fuzz/mkseeds.py writes seeds in this form from a kernel dump.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "agent/core/fw.h"
#include "netlink/nft.h"
#include "tests/fuzz/fuzz.h"

static const uint8_t msg_types[] = {
	NFT_MSG_NEWTABLE, NFT_MSG_NEWCHAIN, NFT_MSG_NEWSET,
	NFT_MSG_NEWSETELEM, NFT_MSG_NEWRULE, NFT_MSG_NEWGEN,
};

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void same_expr(const struct nft_expr *a, const struct nft_expr *b)
{
	if (a->kind != b->kind || strcmp(a->name, b->name) || !same_str(a->str, b->str) ||
	    a->infolen != b->infolen || (a->infolen && memcmp(a->info, b->info, a->infolen)) ||
	    memcmp(&a->u, &b->u, sizeof(a->u))) {
		fprintf(stderr, "expression %s differs between the two parsers\n", a->name);
		abort();
	}
}

static void same_rule(const struct nft_rule *a, const struct nft_rule *b)
{
	/* libnftnl refused the rule: the slow path kept names only. */
	if (b->partial)
		return;
	if (a->handle != b->handle || !same_str(a->comment, b->comment) || a->partial ||
	    a->nexprs != b->nexprs) {
		fprintf(stderr, "rule %llu differs between the two parsers\n",
			(unsigned long long)a->handle);
		abort();
	}
	for (size_t e = 0; e < a->nexprs; e++)
		same_expr(&a->exprs[e], &b->exprs[e]);
}

static void same_rules(const struct nft_ruleset *a, const struct nft_ruleset *b)
{
	if (a->ntables != b->ntables)
		abort();
	for (size_t t = 0; t < a->ntables; t++) {
		if (a->tables[t].nchains != b->tables[t].nchains)
			abort();
		for (size_t c = 0; c < a->tables[t].nchains; c++) {
			const struct nft_chain *ca = &a->tables[t].chains[c], *cb = &b->tables[t].chains[c];

			if (ca->nrules != cb->nrules)
				abort();
			for (size_t r = 0; r < ca->nrules; r++)
				same_rule(&ca->rules[r], &cb->rules[r]);
		}
	}
}

/* One message from the input into buf; returns its length, 0 at the end. */
static size_t next_msg(struct fz *f, uint8_t *buf, size_t size)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct nfgenmsg *nfg;
	uint8_t type, family;
	size_t len;

	if (f->n < 4)
		return 0;
	type = msg_types[fz_u8(f) % sizeof(msg_types)];
	family = fz_u8(f);
	len = fz_u8(f);
	len |= (size_t)fz_u8(f) << 8;
	if (len > f->n)
		len = f->n;
	if (NLMSG_LENGTH(sizeof(*nfg)) + len > size)
		return 0;
	memset(buf, 0, NLMSG_LENGTH(sizeof(*nfg)));
	nlh->nlmsg_type = (uint16_t)(NFNL_SUBSYS_NFTABLES << 8 | type);
	nlh->nlmsg_len = (uint32_t)(NLMSG_LENGTH(sizeof(*nfg)) + len);
	nfg = NLMSG_DATA(nlh);
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	memcpy(buf + NLMSG_LENGTH(sizeof(*nfg)), f->p, len);
	f->p += len;
	f->n -= len;
	return nlh->nlmsg_len;
}

static void evaluate(const struct nft_ruleset *rs)
{
	static const struct addr4 addrs[] = {
		{ .ifindex = 1, .local = 0x7f000001, .len = 8 },
		{ .ifindex = 2, .local = 0xac120002, .len = 16 },
	};
	static const struct fw_ctx ctx = { addrs, 2, NULL };
	struct fw_result out[3];
	struct fw_flow flow;

	fw_flow_init(&flow, 0x0af40105, 0x0af50007, 9750);	/* 10.244.1.5 -> 10.245.0.7 */
	strcpy(flow.iifname, "veth1");
	strcpy(flow.oifname, "eth0");
	flow.iif = 5;
	flow.oif = 2;
	fw_eval_forward(rs, &ctx, &flow, out);
	fw_eval_local(rs, &ctx, &flow, out);
	fw_eval_hook(rs, &ctx, &flow, FW_HOOK_INPUT, &out[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	struct nft_ruleset *fast = nft_ruleset_new(), *slow = nft_ruleset_new();
	size_t len;
	uint8_t *buf = NULL;

	if (!fast || !slow || size > 1 << 20)
		goto out;
	while (f.n) {
		int a, b;

		free(buf);
		/* Exactly the message's bytes and its padding to 4 (libmnl reads
		 * to NLMSG_ALIGN(nlmsg_len), as a kernel's buffer has it): ASan
		 * sees any read past them. */
		if (!(buf = calloc(1, NLMSG_LENGTH(sizeof(struct nfgenmsg)) + 65536 + 4)) ||
		    !(len = next_msg(&f, buf, NLMSG_LENGTH(sizeof(struct nfgenmsg)) + 65536)) ||
		    !(buf = realloc(buf, NLMSG_ALIGN(len))))
			break;
		nft_parse_fast = true;
		a = nft_ruleset_add_msg(fast, buf, len);
		nft_parse_fast = false;
		b = nft_ruleset_add_msg(slow, buf, len);
		nft_parse_fast = true;
		if (getenv("FUZZ_NFT_VERBOSE"))	/* to see what a seed does */
			fprintf(stderr, "message type %u: %d\n", buf[4], a);
		if (a != b && a != -ENOMEM && b != -ENOMEM) {
			fprintf(stderr, "the parsers return %d and %d\n", a, b);
			abort();
		}
	}
	same_rules(fast, slow);
	evaluate(fast);
	if (getenv("FUZZ_NFT_VERBOSE"))
		for (size_t t = 0; t < fast->ntables; t++)
			for (size_t c = 0; c < fast->tables[t].nchains; c++)
				fprintf(stderr, "%s %s: %zu rules\n", fast->tables[t].name,
					fast->tables[t].chains[c].name, fast->tables[t].chains[c].nrules);
out:
	free(buf);
	nft_ruleset_free(fast);
	nft_ruleset_free(slow);
	return 0;
}
