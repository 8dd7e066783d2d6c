/*
 * The CNI config parser (agent/io/cni.c): a .conf or .conflist of any
 * bytes.  What it accepts is a non-empty list of valid IPv4 prefixes; what
 * it refuses, it says why in printable text.
 */
#include <ctype.h>
#include <stdlib.h>

#include "agent/io/cni.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cidr_list l;
	char err[256], *json;

	if (size > CNI_MAX_BYTES)
		return 0;
	/* Exactly the file's bytes, no NUL after them. */
	if (!(json = malloc(size ? size : 1)))
		return 0;
	memcpy(json, data, size);
	if (cni_parse(json, size, &l, err, sizeof(err))) {
		if (l.n == 0 || l.n > CIDR_LIST_MAX)
			abort();
		for (size_t i = 0; i < l.n; i++)
			if (l.v[i].len > 32 || (l.v[i].len < 32 && (l.v[i].addr << l.v[i].len)))
				abort();
	} else {
		if (!err[0])
			abort();
		for (const char *p = err; *p; p++)
			if (iscntrl((unsigned char)*p))
				abort();
	}
	free(json);
	return 0;
}
