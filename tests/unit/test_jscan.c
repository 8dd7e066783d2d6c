/* The shape of JSON before it is decoded (agent/core/jscan.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "agent/core/jscan.h"

static struct jscan_shape
shape(const char *s)
{
	struct jscan_shape sh;

	jscan_shape(s, strlen(s), &sh);
	return sh;
}

static void
test_depth(void **state)
{
	assert_int_equal(shape("{}").depth, 1);
	assert_int_equal(shape("{\"a\":\"[[[[\"}").depth, 1);	/* inside a string */
	assert_int_equal(shape("{\"a\":\"\\\"[[[\"}").depth, 1);	/* an escaped quote */
	assert_int_equal(shape("{\"a\":\"\\\\\",\"b\":[[1]]}").depth, 3);	/* an escaped '\' */
	assert_int_equal(shape("[[{}]]").depth, 3);
	assert_int_equal(shape("[],[[]]").depth, 2);
	assert_int_equal(shape("").depth, 0);
}

static void
test_values(void **state)
{
	/* Every container and scalar, keys included, once each. */
	assert_int_equal(shape("{}").values, 1);
	assert_int_equal(shape("{\"a\":1}").values, 3);
	assert_int_equal(shape("{\"a\": true, \"b\" :[null,-1.5e3,\"x,y:z\"]}").values, 8);
	assert_int_equal(shape("[[],[],[]]").values, 4);
	assert_int_equal(shape("123456789").values, 1);
	assert_int_equal(shape("  \n").values, 0);
}

static void
test_bounded(void **state)
{
	char err[120], *many;
	size_t n = 3 * 100000;

	assert_true(jscan_bounded("[[1]]", 5, 2, 3, "x", err, sizeof(err)));
	assert_false(jscan_bounded("[[1]]", 5, 1, 3, "an item", err, sizeof(err)));
	assert_string_equal(err, "an item nested deeper than 1");
	assert_false(jscan_bounded("[[1]]", 5, 2, 2, "an item", err, sizeof(err)));
	assert_string_equal(err, "an item of more than 2 JSON values");
	/* 100,000 empty lists in 300 KB: cheap bytes, dear values. */
	many = malloc(n);
	for (size_t i = 0; i < n; i += 3)
		memcpy(many + i, "[],", 3);
	many[0] = '[';
	many[n - 1] = ']';
	assert_false(jscan_bounded(many, n, 32, 20000, "a watch event", err, sizeof(err)));
	free(many);
}

static void
test_value(void **state)
{
	static const char s[] = " {\"a\":[1,\"]}\",{}]} , \"x\\\"y\" ,-12e3]";
	size_t pos = 0, a, b;

	assert_true(jscan_value(s, strlen(s), &pos, &a, &b));
	assert_int_equal(a, 1);
	assert_memory_equal(s + b - 2, "]}", 2);
	assert_int_equal(jscan_peek(s, strlen(s), &pos), ',');
	pos++;
	assert_true(jscan_value(s, strlen(s), &pos, &a, &b));
	assert_memory_equal(s + a, "\"x\\\"y\"", b - a);
	assert_int_equal(jscan_peek(s, strlen(s), &pos), ',');
	pos++;
	assert_true(jscan_value(s, strlen(s), &pos, &a, &b));
	assert_memory_equal(s + a, "-12e3", b - a);
	assert_int_equal(jscan_peek(s, strlen(s), &pos), ']');
	/* Unterminated, or nothing that starts a value. */
	pos = 0;
	assert_false(jscan_value("[[]", 3, &pos, &a, &b));
	pos = 0;
	assert_false(jscan_value("\"abc", 4, &pos, &a, &b));
	pos = 0;
	assert_false(jscan_value("\"abc\\\"", 6, &pos, &a, &b));
	pos = 0;
	assert_false(jscan_value("  ", 2, &pos, &a, &b));
	pos = 0;
	assert_false(jscan_value("]", 1, &pos, &a, &b));
	pos = 0;
	assert_int_equal(jscan_peek("  ", 2, &pos), '\0');
	assert_int_equal(pos, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
