/* The event loop: io, timers (ordering, re-arm, free inside the callback), signals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <signal.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <cmocka.h>

#include "agent/io/ev.h"

static int order[8], norder;

static void
on_timer(struct ev_loop *loop, void *arg)
{
	order[norder++] = (int)(intptr_t)arg;
	if (norder == 3)
		ev_stop(loop);
}

static void
test_timers_fire_in_order(void **state)
{
	struct ev_loop *loop = ev_new();
	struct ev_timer *a, *b, *c;
	double t0 = ev_now();

	assert_non_null(loop);
	a = ev_timer_new(loop, on_timer, (void *)1);
	b = ev_timer_new(loop, on_timer, (void *)2);
	c = ev_timer_new(loop, on_timer, (void *)3);
	assert_int_equal(ev_timer_arm(a, 0.03), 0);
	assert_int_equal(ev_timer_arm(b, 0.01), 0);
	assert_int_equal(ev_timer_arm(c, 5), 0);
	assert_int_equal(ev_timer_arm(c, 0.02), 0);	/* re-arming replaces */
	norder = 0;
	assert_int_equal(ev_run(loop), 0);
	assert_int_equal(order[0], 2);
	assert_int_equal(order[1], 3);
	assert_int_equal(order[2], 1);
	assert_true(ev_now() - t0 >= 0.03);
	ev_timer_free(a);
	ev_timer_free(b);
	ev_timer_free(c);
	ev_timer_free(NULL);
	ev_free(loop);
}

static void
on_read(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	char c;
	int *got = arg;

	assert_true(events & EPOLLIN);
	assert_int_equal(read(fd, &c, 1), 1);
	*got = c;
	ev_del(loop, fd);
	ev_stop(loop);
}

static void
test_io(void **state)
{
	struct ev_loop *loop = ev_new();
	int p[2], got = 0;

	assert_int_equal(pipe(p), 0);
	assert_int_equal(ev_add(loop, p[0], EPOLLIN, on_read, &got), 0);
	assert_int_equal(ev_add(loop, p[0], EPOLLIN, on_read, &got), -EEXIST);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(ev_run(loop), 0);
	assert_int_equal(got, 'x');
	assert_int_equal(ev_del(loop, p[0]), -ENOENT);
	close(p[0]);
	close(p[1]);
	ev_free(loop);
}

static void
on_sig(struct ev_loop *loop, int signo, void *arg)
{
	*(int *)arg = signo;
	ev_stop(loop);
}

static void
test_signal(void **state)
{
	struct ev_loop *loop = ev_new();
	int got = 0;

	assert_int_equal(ev_signal(loop, SIGUSR1, on_sig, &got), 0);
	raise(SIGUSR1);	/* blocked: stays pending for the signalfd */
	assert_int_equal(ev_run(loop), 0);
	assert_int_equal(got, SIGUSR1);
	ev_free(loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timers_fire_in_order),
		cmocka_unit_test(test_io),
		cmocka_unit_test(test_signal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
