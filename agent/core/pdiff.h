/*
 * Which problems appeared and which cleared between two reports, so that the
 * agent logs one line when a problem appears and one when it clears.  A
 * problem is known by its code and its subject — the route's destination,
 * else its message up to the first ": " ("cluster c2", "peer 172.18.0.2",
 * "tcp probe of 10.244.1.5:5000") — so a detail that changes from one
 * reconcile to the next (an error's text, where packets go now) is not a new
 * problem.
 */
#ifndef PODREACH_PDIFF_H
#define PODREACH_PDIFF_H

#include <stdbool.h>
#include <stddef.h>

#include "agent/core/report.h"

struct pdiff_key {
	enum problem_code code;
	char subject[160];
	size_t idx;			/* the problem's index in the report it came from */
};

/* One report's problems as keys: sorted, each key once. */
struct pdiff {
	struct pdiff_key *k;
	size_t n;
};

/* r's problem p's subject into buf. */
void pdiff_subject(const struct report *r, const struct problem *p, char *buf, size_t len);
/* Replaces out with the keys of r's problems.  Returns 0, or -ENOMEM with
 * out unchanged. */
int pdiff_keys(const struct report *r, struct pdiff *out);
/* cb(key, true) for each key of now not in before (idx into now's report),
 * cb(key, false) for each key of before not in now. */
void pdiff_walk(const struct pdiff *before, const struct pdiff *now,
		void (*cb)(const struct pdiff_key *k, bool appeared, void *arg), void *arg);
/* Like pdiff_walk, but at most max calls of cb per code and direction (the
 * first keys in order); the rest of each are counted and said by one call
 * more(code, appeared, count) after the walk: a burst of thousands of probes
 * failing at once is a few log lines, not thousands. */
void pdiff_walk_bounded(const struct pdiff *before, const struct pdiff *now, size_t max,
			void (*cb)(const struct pdiff_key *k, bool appeared, void *arg),
			void (*more)(enum problem_code code, bool appeared, size_t count, void *arg),
			void *arg);
/* NULL-safe; leaves p empty. */
void pdiff_free(struct pdiff *p);

#endif
