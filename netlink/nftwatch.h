/*
 * nftables change notifications (NFNLGRP_NFTABLES over nfnetlink): every
 * commit that adds, changes or deletes a table, chain, rule, set or element
 * is announced, so the agent re-reads the ruleset when it changes instead of
 * on a timer.  Only "something changed" is reported; the ruleset itself is
 * read with nft_ruleset_read().
 */
#ifndef PODREACH_NFTWATCH_H
#define PODREACH_NFTWATCH_H

struct nftwatch;

/* Returns a non-blocking subscription, or NULL with errno set. */
struct nftwatch *nftwatch_open(void);
/* NULL-safe. */
void nftwatch_close(struct nftwatch *w);
/* The fd to poll for EPOLLIN. */
int nftwatch_fd(const struct nftwatch *w);
/* Drains what is queued.  Returns the number of notifications (an overflow,
 * ENOBUFS, counts as one: something changed), or -errno. */
int nftwatch_read(struct nftwatch *w);

#endif
