/* A min-heap of deadlines keyed by small integer ids (0..cap-1), with
 * removal by id: the probe engine's only timer is armed for its minimum. */
#ifndef PODREACH_HEAP_H
#define PODREACH_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct heap {
	struct heap_ent {
		uint64_t when;
		uint32_t id;
	} *v;
	uint32_t *pos;		/* id -> index in v, UINT32_MAX when absent */
	size_t n, cap;
};

/* Returns 0 or -ENOMEM; h is empty with room for ids 0..cap-1. */
int heap_init(struct heap *h, size_t cap);
/* NULL-safe; frees what h holds. */
void heap_free(struct heap *h);
/* Returns 0, -EINVAL for an id out of range, -EEXIST when present. */
int heap_push(struct heap *h, uint32_t id, uint64_t when);
/* Returns 0 or -ENOENT. */
int heap_remove(struct heap *h, uint32_t id);
/* The earliest entry; false when empty. */
bool heap_peek(const struct heap *h, uint32_t *id, uint64_t *when);

#endif
