/* IPv4 prefix math and strict parsing; pure, no I/O. */
#ifndef PODREACH_CIDR_H
#define PODREACH_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netlink/kview.h"

#define CIDR_LIST_MAX 16

/* A short list of prefixes: the pod CIDRs of one node and the like. */
struct cidr_list {
	struct prefix4 v[CIDR_LIST_MAX];
	size_t n;
};

#define CIDR_STRLEN 20		/* "255.255.255.255/32" + NUL, rounded */

/* Parses a dotted quad strictly (no shorthand, no leading zeros); host order. */
bool cidr_parse_ip(const char *s, uint32_t *ip);

/* Parses "a.b.c.d/n" strictly: n in 0..32, host bits clear.  On failure
 * writes why into err. */
bool cidr_parse(const char *s, struct prefix4 *p, char *err, size_t errlen);

/* Formats into buf; returns buf. */
char *cidr_fmt(const struct prefix4 *p, char buf[static CIDR_STRLEN]);
char *cidr_fmt_ip(uint32_t ip, char buf[static CIDR_STRLEN]);

uint32_t cidr_mask(uint8_t len);
bool cidr_contains_ip(const struct prefix4 *p, uint32_t ip);
/* True when inner lies entirely inside outer. */
bool cidr_contains(const struct prefix4 *outer, const struct prefix4 *inner);
bool cidr_overlaps(const struct prefix4 *a, const struct prefix4 *b);
bool cidr_equal(const struct prefix4 *a, const struct prefix4 *b);

/* Parses "CIDR<sep>CIDR..." into l (appending), refusing duplicates and more
 * than CIDR_LIST_MAX entries.  On failure writes why into err. */
bool cidr_parse_list(const char *s, char sep, struct cidr_list *l, char *err, size_t errlen);

/* qsort/bsearch order: by address, then by length. */
int cidr_cmp(const void *a, const void *b);

/* The exact union of v[0..n) in place: prefixes inside another dropped,
 * sibling halves merged, repeatedly; sorted.  Returns the new count. */
size_t cidr_aggregate(struct prefix4 *v, size_t n);

/* An address range, both ends included. */
struct cidr_span {
	uint32_t lo, hi;
};

/* The union of v[0..n) as sorted, disjoint spans into out (room for n);
 * returns their count. */
size_t cidr_spans(const struct prefix4 *v, size_t n, struct cidr_span *out);
/* Whether p overlaps one of s[0..n) (cidr_spans' output): O(log n). */
bool cidr_spans_overlap(const struct cidr_span *s, size_t n, const struct prefix4 *p);

#endif
