#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent/core/heap.h"

int
heap_init(struct heap *h, size_t cap)
{
	memset(h, 0, sizeof(*h));
	if (cap == 0 || cap >= UINT32_MAX)
		return -EINVAL;
	h->v = calloc(cap, sizeof(*h->v));
	h->pos = malloc(cap * sizeof(*h->pos));
	if (!h->v || !h->pos) {
		heap_free(h);
		return -ENOMEM;
	}
	memset(h->pos, 0xff, cap * sizeof(*h->pos));
	h->cap = cap;
	return 0;
}

void
heap_free(struct heap *h)
{
	if (!h)
		return;
	free(h->v);
	free(h->pos);
	memset(h, 0, sizeof(*h));
}

static void
sift_set(struct heap *h, size_t i, struct heap_ent ent)
{
	h->v[i] = ent;
	h->pos[ent.id] = (uint32_t)i;
}

static void
sift_up(struct heap *h, size_t i)
{
	struct heap_ent ent = h->v[i];

	while (i > 0 && h->v[(i - 1) / 2].when > ent.when) {
		sift_set(h, i, h->v[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	sift_set(h, i, ent);
}

static void
sift_down(struct heap *h, size_t i)
{
	struct heap_ent ent = h->v[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->v[c + 1].when < h->v[c].when)
			c++;
		if (h->v[c].when >= ent.when)
			break;
		sift_set(h, i, h->v[c]);
		i = c;
	}
	sift_set(h, i, ent);
}

int
heap_push(struct heap *h, uint32_t id, uint64_t when)
{
	if (id >= h->cap)
		return -EINVAL;
	if (h->pos[id] != UINT32_MAX)
		return -EEXIST;
	h->v[h->n] = (struct heap_ent){ when, id };
	sift_up(h, h->n++);
	return 0;
}

int
heap_remove(struct heap *h, uint32_t id)
{
	uint32_t moved;
	size_t i;

	if (id >= h->cap || h->pos[id] == UINT32_MAX)
		return -ENOENT;
	i = h->pos[id];
	h->pos[id] = UINT32_MAX;
	if (i == --h->n)
		return 0;
	/* The last entry fills the hole and moves whichever way it must. */
	moved = h->v[h->n].id;
	sift_set(h, i, h->v[h->n]);
	sift_up(h, i);
	sift_down(h, h->pos[moved]);
	return 0;
}

bool
heap_peek(const struct heap *h, uint32_t *id, uint64_t *when)
{
	if (!h->n)
		return false;
	*id = h->v[0].id;
	*when = h->v[0].when;
	return true;
}
