/*
 * nftables change notifications (NFNLGRP_NFTABLES over nfnetlink): every
 * commit that adds, changes or deletes a table, chain, rule, set or element
 * announces each change, then NEWGEN with the generation it made.  The
 * messages are handed over one commit at a time, with that generation, for
 * nft_ruleset_apply(): a generation already in the caller's ruleset is
 * skipped, a gap means commits were missed.
 */
#ifndef PODREACH_NFTWATCH_H
#define PODREACH_NFTWATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nftwatch;

/* One commit's notifications. */
struct nftwatch_commit {
	const void *msgs;	/* its messages, NEWGEN excluded; valid during the call */
	size_t len;
	uint32_t genid;		/* the generation it made */
	bool lost;		/* notifications were lost (ENOBUFS): no msgs, re-seed */
};

typedef void (*nftwatch_cb)(const struct nftwatch_commit *c, void *arg);

/* Returns a non-blocking subscription, or NULL with errno set. */
struct nftwatch *nftwatch_open(void);
/* Returns one without a socket, for nftwatch_feed() alone (unit tests), or
 * NULL with errno. */
struct nftwatch *nftwatch_alloc(void);
/* NULL-safe. */
void nftwatch_close(struct nftwatch *w);
/* The fd to poll for EPOLLIN. */
int nftwatch_fd(const struct nftwatch *w);
/* Drains what is queued, calling cb for each commit completed (its NEWGEN
 * read) and once for a loss.  Returns the number of messages read, or
 * -errno. */
int nftwatch_read(struct nftwatch *w, nftwatch_cb cb, void *arg);
/* The datagram buf as nftwatch_read() handles it: messages kept until their
 * commit's NEWGEN.  Returns the number of messages, or -ENOMEM (the commit
 * is then reported lost). */
int nftwatch_feed(struct nftwatch *w, const void *buf, size_t len, nftwatch_cb cb, void *arg);
/* Forgets what is queued in the socket and kept of an unfinished commit
 * (before a dump that makes them moot). */
void nftwatch_discard(struct nftwatch *w);

#endif
