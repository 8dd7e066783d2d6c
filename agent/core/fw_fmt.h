/*
 * Rendering one nftables rule the way `nft list ruleset` prints it, from
 * the expressions the kernel holds (registers, cmp, lookups, the compat xt
 * matches of iptables-nft), for the rule field of a firewall[] result.
 * Pure: agent/core/fw.c calls it for the rule that decided a flow.
 */
#ifndef PODREACH_FW_FMT_H
#define PODREACH_FW_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nft_expr;
struct nft_rule;
struct nft_table;

/* 4 x 16-byte registers after the 16-byte verdict register (NFT_REG_MAX+1). */
#define FW_REG_BYTES 80

/* Writes rule (of table t, whose sets an inline set is shown from) into buf,
 * always NUL-terminated; cut text ends in "...".  "" when out of memory. */
void fw_fmt_rule(const struct nft_table *t, const struct nft_rule *rule, char *buf, size_t size);

/* Shared with the evaluator (fw.c): the byte offset of register reg in the
 * register file when len bytes fit from there, else -1. */
int fw_reg_off(uint32_t reg, uint32_t len);
/* Copies the first len info bytes of an xt match/target; false when shorter. */
bool fw_xt_info(const struct nft_expr *e, void *dst, size_t len);

#endif
