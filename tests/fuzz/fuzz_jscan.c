/*
 * The JSON shape scanner (agent/core/jscan.c) against jansson: any bytes.
 * Whatever jansson decodes as one value, jscan_value finds whole (from its
 * first byte to its last) and jscan_shape finds at least as deep and holding
 * at least as many values as jansson built; spans stay inside the input.
 */
#include <jansson.h>
#include <stdlib.h>

#include "agent/core/jscan.h"
#include "tests/fuzz/fuzz.h"

/* Nesting and values of a decoded tree, keys counted as values. */
static void
tree(const json_t *v, int level, int *depth, size_t *values)
{
	const json_t *x;
	const char *k;
	size_t i;

	(*values)++;
	if (!json_is_array(v) && !json_is_object(v))
		return;
	if (level > *depth)
		*depth = level;
	if (json_is_array(v))
		json_array_foreach(v, i, x)
			tree(x, level + 1, depth, values);
	else
		json_object_foreach((json_t *)v, k, x) {
			(*values)++;
			tree(x, level + 1, depth, values);
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct jscan_shape sh;
	size_t pos = 0, a, b, values = 0;
	int depth = 0;
	bool found;
	json_t *v;

	jscan_shape(s, size, &sh);
	found = jscan_value(s, size, &pos, &a, &b);
	if (found && (a >= b || b > size || pos != b))
		abort();
	if (!(v = json_loadb(s, size, JSON_DECODE_ANY, NULL)))
		return 0;
	tree(v, 1, &depth, &values);
	json_decref(v);
	if (!found || jscan_peek(s, size, &pos) != '\0' || pos != size)
		abort();
	if (sh.depth < depth || sh.values < values)
		abort();
	return 0;
}
