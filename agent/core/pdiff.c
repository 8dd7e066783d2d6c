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

void
pdiff_free(struct pdiff *p)
{
	if (!p)
		return;
	free(p->k);
	p->k = NULL;
	p->n = 0;
}
