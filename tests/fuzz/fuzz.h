/*
 * Shared by the libFuzzer targets of tests/fuzz: a reader that takes
 * values off the front of the fuzzer's input, zeroes once it runs out.
 */
#ifndef PODREACH_FUZZ_H
#define PODREACH_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct fz {
	const uint8_t *p;
	size_t n;
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline uint8_t fz_u8(struct fz *f)
{
	uint8_t v = 0;

	if (f->n) {
		v = *f->p++;
		f->n--;
	}
	return v;
}

static inline uint32_t fz_u32(struct fz *f)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v = v << 8 | fz_u8(f);
	return v;
}

/* Up to max bytes (the count comes from the input too) into out. */
static inline size_t fz_bytes(struct fz *f, uint8_t *out, size_t max)
{
	size_t len = fz_u8(f) % (max + 1);

	if (len > f->n)
		len = f->n;
	memcpy(out, f->p, len);
	f->p += len;
	f->n -= len;
	return len;
}

#endif
