/* CIDR math and strict parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "agent/core/cidr.h"

static struct prefix4
P(const char *s)
{
	struct prefix4 p = { 0 };
	char err[128];

	assert_true(cidr_parse(s, &p, err, sizeof(err)));
	return p;
}

static void
test_parse_good(void **state)
{
	char buf[CIDR_STRLEN];
	struct prefix4 p = P("10.244.0.0/16");

	assert_int_equal(p.addr, 0x0af40000);
	assert_int_equal(p.len, 16);
	assert_string_equal(cidr_fmt(&p, buf), "10.244.0.0/16");
	p = P("0.0.0.0/0");
	assert_int_equal(p.len, 0);
	p = P("172.18.0.2/32");
	assert_string_equal(cidr_fmt(&p, buf), "172.18.0.2/32");
}

static void
test_parse_bad(void **state)
{
	static const struct { const char *in, *why; } bad[] = {
		{ "10.244.0.1/16", "host bits set (did you mean 10.244.0.0/16?)" },
		{ "10.0.0.0/33", "more than 32" },
		{ "10.0.0.0", "no prefix length" },
		{ "10.0.0/8", "not an IPv4 CIDR" },
		{ "010.0.0.0/8", "not an IPv4 CIDR" },
		{ "256.0.0.0/8", "not an IPv4 CIDR" },
		{ "10.0.0.0/08", "bad prefix length" },
		{ "10.0.0.0/8x", "bad prefix length" },
		{ "10.0.0.0/-1", "bad prefix length" },
		{ " 10.0.0.0/8", "not an IPv4 CIDR" },
		{ "fd00::/8", "not an IPv4 CIDR" },
		{ "", "empty" },
	};
	struct prefix4 p;
	char err[160];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(cidr_parse(bad[i].in, &p, err, sizeof(err)));
		if (!strstr(err, bad[i].why))
			fail_msg("\"%s\": got \"%s\", want \"%s\"", bad[i].in, err, bad[i].why);
	}
}

static void
test_ip(void **state)
{
	uint32_t ip;

	assert_true(cidr_parse_ip("172.18.0.2", &ip));
	assert_int_equal(ip, 0xac120002);
	assert_false(cidr_parse_ip("172.18.0", &ip));
	assert_false(cidr_parse_ip("172.18.0.2.1", &ip));
	assert_false(cidr_parse_ip("172.18.0.02", &ip));
	assert_false(cidr_parse_ip("1.2.3.4 ", &ip));
	assert_false(cidr_parse_ip(NULL, &ip));
}

static void
test_overlap(void **state)
{
	struct prefix4 a = P("10.244.0.0/16"), b = P("10.244.1.0/24"), c = P("10.245.0.0/16"),
		       d = P("0.0.0.0/0");

	assert_true(cidr_contains(&a, &b));
	assert_false(cidr_contains(&b, &a));
	assert_true(cidr_overlaps(&a, &b));
	assert_true(cidr_overlaps(&b, &a));
	assert_false(cidr_overlaps(&a, &c));
	assert_true(cidr_overlaps(&d, &c));
	assert_true(cidr_contains_ip(&b, 0x0af40109));
	assert_false(cidr_contains_ip(&b, 0x0af40209));
	assert_int_equal(cidr_mask(0), 0);
	assert_int_equal(cidr_mask(32), 0xffffffff);
	assert_int_equal(cidr_mask(24), 0xffffff00);
}

static void
test_list(void **state)
{
	struct cidr_list l = { 0 };
	char err[160];

	assert_true(cidr_parse_list("10.244.0.0/24,10.244.1.0/24", ',', &l, err, sizeof(err)));
	assert_int_equal(l.n, 2);
	l.n = 0;
	assert_false(cidr_parse_list("10.244.0.0/24,10.244.0.0/24", ',', &l, err, sizeof(err)));
	assert_non_null(strstr(err, "listed twice"));
	l.n = 0;
	assert_false(cidr_parse_list("10.244.0.0/24,", ',', &l, err, sizeof(err)));
	assert_non_null(strstr(err, "empty item"));
	l.n = 0;
	assert_true(cidr_parse_list("10.1.0.0/16+10.2.0.0/16", '+', &l, err, sizeof(err)));
	assert_int_equal(l.n, 2);
}

/* The local cluster CIDR from its Nodes' pod CIDRs (discovery). */
static void
test_aggregate(void **state)
{
	static const char *in[] = { "10.244.1.0/24", "10.244.0.0/24", "10.244.3.0/24",
				    "10.244.2.0/24", "10.244.2.128/25", "10.244.5.0/24", "10.245.0.0/24" };
	struct prefix4 v[8];
	char err[64], b[CIDR_STRLEN];
	size_t n;

	for (size_t i = 0; i < 7; i++)
		assert_true(cidr_parse(in[i], &v[i], err, sizeof(err)));
	n = cidr_aggregate(v, 7);
	assert_int_equal(n, 3);
	assert_string_equal(cidr_fmt(&v[0], b), "10.244.0.0/22");
	assert_string_equal(cidr_fmt(&v[1], b), "10.244.5.0/24");
	assert_string_equal(cidr_fmt(&v[2], b), "10.245.0.0/24");
	/* Not siblings: 10.244.1.0/24 and 10.244.2.0/24 stay apart. */
	assert_true(cidr_parse("10.244.1.0/24", &v[0], err, sizeof(err)));
	assert_true(cidr_parse("10.244.2.0/24", &v[1], err, sizeof(err)));
	assert_int_equal(cidr_aggregate(v, 2), 2);
	assert_true(cidr_parse("0.0.0.0/1", &v[0], err, sizeof(err)));
	assert_true(cidr_parse("128.0.0.0/1", &v[1], err, sizeof(err)));
	assert_int_equal(cidr_aggregate(v, 2), 1);
	assert_int_equal(v[0].len, 0);
	assert_int_equal(cidr_aggregate(v, 0), 0);
}

/* cidr_spans_overlap agrees with a walk of cidr_overlaps over every
 * prefix (what ksync's route_relevant did per notification), for nested,
 * adjacent, equal and disjoint prefixes of random lengths. */
static void
test_spans(void **state)
{
	static struct prefix4 v[600];
	static struct cidr_span sp[600];
	uint32_t x = 12345;
	size_t n = 0, k;

	v[n++] = (struct prefix4){ 0x0a000000, 8 };	/* holds most of what follows */
	v[n++] = (struct prefix4){ 0x0a010000, 16 };
	v[n++] = (struct prefix4){ 0x0a020000, 16 };	/* adjacent: merged */
	v[n++] = (struct prefix4){ 0xfffffffe, 31 };	/* the top of the space */
	while (n < 600) {
		uint8_t len = (uint8_t)(12 + (x >> 7) % 21);

		x = x * 1103515245u + 12345u;
		v[n++] = (struct prefix4){ (0xac000000u | (x & 0x03ffffffu)) & cidr_mask(len), len };
	}
	k = cidr_spans(v, n, sp);
	assert_true(k < n);
	for (size_t i = 1; i < k; i++)
		assert_true(sp[i - 1].hi < sp[i].lo);
	for (int t = 0; t < 20000; t++) {
		struct prefix4 p;
		bool want = false;
		uint8_t len = (uint8_t)(x % 33);

		x = x * 1103515245u + 12345u;
		p = (struct prefix4){ (t % 2 ? 0xac000000u | (x & 0x03ffffffu) : x) & cidr_mask(len), len };
		for (size_t i = 0; i < n && !want; i++)
			want = cidr_overlaps(&v[i], &p);
		if (cidr_spans_overlap(sp, k, &p) != want)
			fail_msg("prefix %08x/%u: overlap %d", p.addr, p.len, want);
	}
	assert_false(cidr_spans_overlap(sp, 0, &v[0]));
	assert_true(cidr_spans_overlap(sp, k, &(struct prefix4){ 0xffffffff, 32 }));
	assert_true(cidr_spans_overlap(sp, k, &(struct prefix4){ 0xfffffffe, 32 }));	/* its first */
	assert_true(cidr_spans_overlap(sp, k, &(struct prefix4){ 0x0a000000, 32 }));
	assert_false(cidr_spans_overlap(sp, k, &(struct prefix4){ 0x09ffffff, 32 }));
	assert_true(cidr_spans_overlap(sp, k, &(struct prefix4){ 0, 0 }));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aggregate),
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_ip),
		cmocka_unit_test(test_overlap),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_spans),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
