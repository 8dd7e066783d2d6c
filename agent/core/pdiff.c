#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/core/cidr.h"
#include "agent/core/pdiff.h"

void
pdiff_subject(const struct report *r, const struct problem *p, char *buf, size_t len)
{
	const char *end;
	char d[CIDR_STRLEN];

	if (p->route >= 0 && r->plan && (size_t)p->route < r->plan->n) {
		snprintf(buf, len, "%s", cidr_fmt(&r->plan->routes[p->route].dst, d));
		return;
	}
	end = strstr(p->message, ": ");
	snprintf(buf, len, "%.*s", (int)(end ? (size_t)(end - p->message) : strlen(p->message)),
		 p->message);
}

static int
pdiff_cmp(const void *a, const void *b)
{
	const struct pdiff_key *x = a, *y = b;

	if (x->code != y->code)
		return x->code < y->code ? -1 : 1;
	return strcmp(x->subject, y->subject);
}

int
pdiff_keys(const struct report *r, struct pdiff *out)
{
	struct pdiff_key *k = r->nproblems ? calloc(r->nproblems, sizeof(*k)) : NULL;
	size_t n = 0;

	if (r->nproblems && !k)
		return -ENOMEM;
	for (size_t i = 0; i < r->nproblems; i++) {
		k[i].code = r->problems[i].code;
		k[i].idx = i;
		pdiff_subject(r, &r->problems[i], k[i].subject, sizeof(k[i].subject));
	}
	/* Sorted once here, each walk is a merge: no quadratic compare of a
	 * full report (512 problems) on every reconcile. */
	if (r->nproblems)
		qsort(k, r->nproblems, sizeof(*k), pdiff_cmp);
	for (size_t i = 0; i < r->nproblems; i++)
		if (!n || pdiff_cmp(&k[n - 1], &k[i]))
			k[n++] = k[i];
	free(out->k);
	out->k = k;
	out->n = n;
	return 0;
}

void
pdiff_walk(const struct pdiff *before, const struct pdiff *now,
	   void (*cb)(const struct pdiff_key *k, bool appeared, void *arg), void *arg)
{
	size_t i = 0, j = 0;

	while (i < before->n || j < now->n) {
		int c = i == before->n ? 1 : j == now->n ? -1 : pdiff_cmp(&before->k[i], &now->k[j]);

		if (c < 0)
			cb(&before->k[i++], false, arg);
		else if (c > 0)
			cb(&now->k[j++], true, arg);
		else
			i++, j++;
	}
}

struct bounded {
	size_t max;
	size_t seen[PC_COUNT][2];	/* by code, cleared/appeared */
	void (*cb)(const struct pdiff_key *k, bool appeared, void *arg);
	void *arg;
};

static void
bounded_key(const struct pdiff_key *k, bool appeared, void *arg)
{
	struct bounded *b = arg;

	if (b->seen[k->code][appeared]++ < b->max)
		b->cb(k, appeared, b->arg);
}

void
pdiff_walk_bounded(const struct pdiff *before, const struct pdiff *now, size_t max,
		   void (*cb)(const struct pdiff_key *k, bool appeared, void *arg),
		   void (*more)(enum problem_code code, bool appeared, size_t count, void *arg),
		   void *arg)
{
	struct bounded b = { .max = max, .cb = cb, .arg = arg };

	pdiff_walk(before, now, bounded_key, &b);
	for (int c = 0; c < PC_COUNT; c++)
		for (int up = 0; up < 2; up++)
			if (b.seen[c][up] > max)
				more((enum problem_code)c, up, b.seen[c][up] - max, arg);
}

void
pdiff_free(struct pdiff *p)
{
	if (!p)
		return;
	free(p->k);
	p->k = NULL;
	p->n = 0;
}
