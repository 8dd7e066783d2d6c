/*
 * The shape of a JSON text, read before any of it is decoded: jansson builds
 * a tree of ~140 bytes per value and recurses per level, so a body's bytes
 * alone do not bound what decoding it costs (30 MB of "[]," are 10 million
 * values).  One pass, no allocation, outside strings only; not a validator:
 * jansson judges whatever the shape lets through.  Shared by every reader of
 * JSON from the network: peers, matrix rows, Kubernetes objects.
 */
#ifndef PODREACH_JSCAN_H
#define PODREACH_JSCAN_H

#include <stdbool.h>
#include <stddef.h>

struct jscan_shape {
	int depth;			/* the deepest nesting of [ and { */
	size_t values;			/* containers + scalars, keys included */
};

/* Scans all of buf. */
void jscan_shape(const char *buf, size_t len, struct jscan_shape *out);

/* Whether buf nests at most max_depth deep and holds at most max_values
 * values; false with why (naming what, e.g. "a watch event") in err. */
bool jscan_bounded(const char *buf, size_t len, int max_depth, size_t max_values,
		   const char *what, char *err, size_t errlen);

/* From *pos, whitespace skipped: the extent [*start, *end) of one value (a
 * string, a container with all it holds, or a bare scalar).  Returns false
 * when buf ends first or a container closes what it did not open.  *pos is
 * left after the value. */
bool jscan_value(const char *buf, size_t len, size_t *pos, size_t *start, size_t *end);

/* Skips whitespace from *pos; the byte there, or '\0' at the end. */
char jscan_peek(const char *buf, size_t len, size_t *pos);

#endif
