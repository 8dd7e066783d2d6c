/*
 * What nftables does to one IPv4 flow, hook by hook, as the kernel would:
 * a pure function of a ruleset (netlink/nft.h) and a flow.  Anything it does
 * not understand yields FW_UNKNOWN naming the rule, never a guess.
 */
#ifndef PODREACH_FW_H
#define PODREACH_FW_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netlink/kview.h"

struct nft_ruleset;

/* The kernel's NF_INET_* hook numbers. */
enum fw_hook {
	FW_HOOK_PREROUTING = 0,
	FW_HOOK_INPUT = 1,
	FW_HOOK_FORWARD = 2,
	FW_HOOK_OUTPUT = 3,
	FW_HOOK_POSTROUTING = 4,
};

enum fw_verdict {
	FW_ACCEPT,
	FW_DROP,
	FW_REJECT,
	FW_MASQUERADE,
	FW_SNAT,
	FW_DNAT,		/* also redirect, a DNAT to the node itself */
	FW_UNKNOWN,
};

/* The kernel's ct state bits (NF_CT_STATE_BIT): a first packet is new. */
#define FW_CT_INVALID		0x01u
#define FW_CT_ESTABLISHED	0x02u
#define FW_CT_RELATED		0x04u
#define FW_CT_NEW		0x08u
#define FW_CT_UNTRACKED		0x40u

/* One packet of a flow.  Addresses and ports in host byte order.  Evaluating
 * a hook updates it as the kernel would for the hooks after it (mark, ct
 * state after notrack, addresses after DNAT). */
struct fw_flow {
	uint32_t saddr, daddr;
	uint8_t l4proto;		/* IPPROTO_TCP */
	uint16_t sport, dport;
	char iifname[IF_NAMESIZE];	/* "" where the hook has none (output) */
	char oifname[IF_NAMESIZE];	/* "" where not yet routed (prerouting) */
	int iif, oif;			/* ifindex; 0 when unknown */
	uint32_t mark;			/* skb mark, 0 for a pod's packet */
	uint32_t ctstate;		/* FW_CT_NEW for a new flow */
	uint32_t ctmark;
};

#define FW_TRACE_KEYS 256

/* The chains and sets an evaluation read, as nft_key()s: a ruleset change
 * that touches none of them cannot change its verdicts (a new base chain
 * aside, which the caller knows from nft_change.all).  full: more than fit,
 * treat every change as touching. */
struct fw_trace {
	uint64_t keys[FW_TRACE_KEYS];
	size_t n;
	bool full;
};

/* What `fib ... type` and addrtype consult: the node's IPv4 addresses
 * (local table: the addresses, their subnet broadcasts, 127/8 on lo); and
 * where to note what the evaluation read (NULL: nowhere). */
struct fw_ctx {
	const struct addr4 *addrs;
	size_t naddrs;
	struct fw_trace *trace;
};

/* Whether t holds key (always when full). */
bool fw_trace_has(const struct fw_trace *t, uint64_t key);

#define FW_TABLE_LEN	(8 + 256)	/* "inet " + NFT_NAME_MAXLEN */
#define FW_CHAIN_LEN	256
#define FW_RULE_LEN	512
#define FW_REASON_LEN	160

/* One podreach(8) firewall[] item.  src/dst are for the caller to fill. */
struct fw_result {
	struct prefix4 src, dst;
	enum fw_hook hook;
	enum fw_verdict verdict;
	char table[FW_TABLE_LEN];	/* "ip nat", "inet kindnet-ipmasq"; "" when no chain ran */
	char chain[FW_CHAIN_LEN];	/* the chain of the deciding rule */
	uint64_t handle;		/* 0 when a chain policy decided */
	char rule[FW_RULE_LEN];		/* nft-ish text, or "policy accept" */
	char reason[FW_REASON_LEN];	/* FW_UNKNOWN: what was not understood */
};

/* A new TCP flow from saddr to daddr:dport in host order; sport is a
 * typical ephemeral port, interfaces and mark empty. */
void fw_flow_init(struct fw_flow *f, uint32_t saddr, uint32_t daddr, uint16_t dport);

/* Evaluates one hook: every base chain of that hook in the tables of
 * family ip and inet, by priority.  Updates flow for later hooks.
 * Returns 0 (out filled), -EINVAL for a NULL argument, or -ENOMEM. */
int fw_eval_hook(const struct nft_ruleset *rs, const struct fw_ctx *ctx,
		 struct fw_flow *flow, enum fw_hook hook, struct fw_result *out);

/* A flow the node forwards (pod to remote pod): prerouting, forward,
 * postrouting.  Stops after a drop, reject or unknown.  Returns how many
 * results were written (1..3); flow is copied, not changed. */
size_t fw_eval_forward(const struct nft_ruleset *rs, const struct fw_ctx *ctx,
		       const struct fw_flow *flow, struct fw_result out[static 3]);

/* A flow the node sends itself (its probes): output, postrouting. */
size_t fw_eval_local(const struct nft_ruleset *rs, const struct fw_ctx *ctx,
		     const struct fw_flow *flow, struct fw_result out[static 2]);

/* A flow to the node itself (a remote prober, the agent port): prerouting,
 * input. */
size_t fw_eval_input(const struct nft_ruleset *rs, const struct fw_ctx *ctx,
		     const struct fw_flow *flow, struct fw_result out[static 2]);

/* "accept", "drop", "reject", "masquerade", "snat", "dnat", "unknown". */
const char *fw_verdict_name(enum fw_verdict v);
/* "prerouting", "input", "forward", "output", "postrouting". */
const char *fw_hook_name(enum fw_hook h);

#endif
