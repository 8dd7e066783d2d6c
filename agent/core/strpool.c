#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/core/strpool.h"

/* Open addressing, linear probing, at most half full. */
struct strpool {
	char **slot;
	size_t cap, n;
};

static uint64_t
strpool_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

struct strpool *
strpool_new(void)
{
	struct strpool *p = calloc(1, sizeof(*p));

	if (p && !(p->slot = calloc(p->cap = 64, sizeof(*p->slot)))) {
		free(p);
		p = NULL;
	}
	if (!p)
		errno = ENOMEM;
	return p;
}

void
strpool_free(struct strpool *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->cap; i++)
		free(p->slot[i]);
	free(p->slot);
	free(p);
}

static char **
strpool_find(char **slot, size_t cap, const char *s)
{
	size_t i = strpool_hash(s) & (cap - 1);

	while (slot[i] && strcmp(slot[i], s))
		i = (i + 1) & (cap - 1);
	return &slot[i];
}

static int
strpool_grow(struct strpool *p)
{
	size_t cap = p->cap * 2;
	char **slot = calloc(cap, sizeof(*slot));

	if (!slot)
		return -ENOMEM;
	for (size_t i = 0; i < p->cap; i++)
		if (p->slot[i])
			*strpool_find(slot, cap, p->slot[i]) = p->slot[i];
	free(p->slot);
	p->slot = slot;
	p->cap = cap;
	return 0;
}

const char *
strpool_intern(struct strpool *p, const char *s)
{
	char **at;

	if (2 * (p->n + 1) > p->cap && strpool_grow(p) < 0) {
		errno = ENOMEM;
		return NULL;
	}
	at = strpool_find(p->slot, p->cap, s);
	if (!*at) {
		if (!(*at = strdup(s)))
			return NULL;
		p->n++;
	}
	return *at;
}

size_t
strpool_count(const struct strpool *p)
{
	return p ? p->n : 0;
}
