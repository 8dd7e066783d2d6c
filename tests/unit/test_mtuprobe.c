/* The DF probes of the path MTU: what each errno means, one round on
 * loopback (a closed UDP port answers ICMP port unreachable: arrived), and
 * the diagnosis from a small and a pod-MTU datagram. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "agent/core/diag.h"
#include "agent/core/report.h"
#include "agent/io/ev.h"
#include "agent/io/mtuprobe.h"

static void
test_classify(void **state)
{
	assert_int_equal(mtu_classify(ECONNREFUSED), MTU_ARRIVED);
	assert_int_equal(mtu_classify(EMSGSIZE), MTU_TOO_BIG);
	assert_int_equal(mtu_classify(0), MTU_LOST);
	assert_int_equal(mtu_classify(EHOSTUNREACH), MTU_ERROR);
	assert_string_equal(mtu_outcome_name(MTU_TOO_BIG), "too-big");
}

static struct mtu_result got[2];
static size_t ngot;

static void
done(const struct mtu_result *res, size_t n, void *arg)
{
	memcpy(got, res, n * sizeof(*res));
	ngot = n;
	ev_stop(arg);
}

static void
test_loopback_round(void **state)
{
	struct ev_loop *loop = ev_new();
	struct mtu_target t[] = { { 0x7f000001, 1500 }, { 0x7f000001, MTU_PROBE_SMALL } };
	struct mtu_round *r;

	assert_non_null(loop);
	r = mtu_round_start(loop, t, 2, 0, 2.0, done, loop);
	assert_non_null(r);
	ev_run(loop);
	assert_int_equal(ngot, 2);
	assert_int_equal(got[0].outcome, MTU_ARRIVED);
	assert_int_equal(got[1].outcome, MTU_ARRIVED);
	mtu_round_free(r);
	ev_free(loop);
}

static bool
mismatch(const char *small, const char *big)
{
	static struct report r;
	struct report_mtu m = { 0xac120003, 1500, small, big };

	memset(&r, 0, sizeof(r));
	r.mtu = &m;
	r.nmtu = 1;
	diag_run(&r);
	for (size_t i = 0; i < r.nproblems; i++)
		if (r.problems[i].code == PC_MTU_MISMATCH) {
			assert_non_null(strstr(r.problems[i].message, "(1500 bytes, DF set) to node "
						      "172.18.0.3"));
			return true;
		}
	return false;
}

/* Only "the small one arrives, the big one does not" says anything. */
static void
test_diagnosis(void **state)
{
	assert_true(mismatch("arrived", "lost"));
	assert_true(mismatch("arrived", "too-big"));
	assert_false(mismatch("arrived", "arrived"));
	assert_false(mismatch("lost", "lost"));		/* ICMP filtered: no conclusion */
	assert_false(mismatch("arrived", "error"));
	assert_false(mismatch(NULL, NULL));		/* the first round still runs */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_loopback_round),
		cmocka_unit_test(test_diagnosis),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
