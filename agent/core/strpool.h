/*
 * A set of interned strings: each distinct string stored once, handed out
 * as a pointer that lives as long as the pool.  The firewall's results name
 * the same few tables, chains and rules for thousands of flows; interned,
 * a flow costs four pointers instead of 1.2 KB of copies.  Pure.
 */
#ifndef PODREACH_STRPOOL_H
#define PODREACH_STRPOOL_H

#include <stddef.h>

struct strpool;

/* An empty pool; NULL with errno ENOMEM. */
struct strpool *strpool_new(void);
/* NULL-safe; every string it handed out goes with it. */
void strpool_free(struct strpool *p);
/* The pool's copy of s (the same pointer for equal strings); NULL with
 * errno ENOMEM. */
const char *strpool_intern(struct strpool *p, const char *s);
/* How many distinct strings it holds. */
size_t strpool_count(const struct strpool *p);

#endif
