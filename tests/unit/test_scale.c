/* What keeps a large or hostile cluster bounded: interned firewall strings,
 * the route bounds per Node, per cluster and overall, and the damping of a
 * flapping Node.  Pure; no root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "agent/core/strpool.h"

/* Equal strings come back as one pointer, however many times and through
 * however many growths; distinct ones stay distinct. */
static void
test_strpool_interns(void **state)
{
	struct strpool *p = strpool_new();
	const char *first[300];
	char buf[32];

	assert_non_null(p);
	for (int i = 0; i < 300; i++) {
		snprintf(buf, sizeof(buf), "rule %d", i);
		assert_non_null(first[i] = strpool_intern(p, buf));
		assert_string_equal(first[i], buf);
	}
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < 300; i++) {
			snprintf(buf, sizeof(buf), "rule %d", i);
			assert_ptr_equal(strpool_intern(p, buf), first[i]);
		}
	assert_int_equal(strpool_count(p), 300);
	assert_ptr_equal(strpool_intern(p, ""), strpool_intern(p, ""));
	assert_int_equal(strpool_count(p), 301);
	strpool_free(p);
	strpool_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strpool_interns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
