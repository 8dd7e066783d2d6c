/* The HTTP endpoint's guard, on loopback: an answer, and a clean stop while a
 * request is cut mid-body (ASan catches a use after free). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "agent/io/ev.h"
#include "agent/io/httpd.h"

static int calls;

static void
handler(const struct httpd_req *req, struct httpd_reply *out, void *arg)
{
	calls++;
	*out = (struct httpd_reply){ .status = 200, .content_type = "text/plain",
				     .body = strdup("ok\n") };
}

static void
on_stop(struct ev_loop *loop, void *arg)
{
	ev_stop(loop);
}

/* Runs the loop for s seconds. */
static void
run_for(struct ev_loop *loop, double s)
{
	struct ev_timer *t = ev_timer_new(loop, on_stop, NULL);

	assert_non_null(t);
	ev_timer_arm(t, s);
	assert_int_equal(ev_run(loop), 0);
	ev_timer_free(t);
}

static int
client(uint16_t port, const char *send_this)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(write(fd, send_this, strlen(send_this)), (ssize_t)strlen(send_this));
	return fd;
}

static void
test_answers(void **state)
{
	struct ev_loop *loop = ev_new();
	struct httpd *h = httpd_start(loop, INADDR_LOOPBACK, 0, handler, NULL);
	char buf[512] = "";
	int fd;

	assert_non_null(h);
	assert_int_not_equal(httpd_port(h), 0);
	calls = 0;
	fd = client(httpd_port(h), "GET /x HTTP/1.0\r\n\r\n");
	run_for(loop, 0.3);
	assert_int_equal(calls, 1);
	assert_true(read(fd, buf, sizeof(buf) - 1) > 0);
	assert_non_null(strstr(buf, "200 OK"));
	close(fd);
	httpd_stop(h);
	httpd_stop(NULL);
	ev_free(loop);
}

/* A head complete, its body cut short; the head deadline's sweep has run
 * (so the sweep timer is armed for the answer's deadline) when the agent
 * stops: MHD's shutdown completes the request, whose callback re-arms the
 * sweep for the next head — that timer must still be there. */
static void
test_stop_mid_body(void **state)
{
	struct ev_loop *loop = ev_new();
	struct httpd *h = httpd_start(loop, INADDR_LOOPBACK, 0, handler, NULL);
	int fd;

	assert_non_null(h);
	fd = client(httpd_port(h), "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc");
	run_for(loop, HTTPD_HEAD_S + 0.5);
	httpd_stop(h);
	ev_free(loop);
	close(fd);
}

/* One address at the cap: each newcomer closes that address's oldest waiting
 * connection; the high-water mark in /metrics is what was held, never more. */
static void
test_per_address(void **state)
{
	struct ev_loop *loop = ev_new();
	struct httpd *h = httpd_start(loop, INADDR_LOOPBACK, 0, handler, NULL);
	int fd[HTTPD_MAX_PER_IP + 2];
	struct httpd_stats st;
	char buf[512] = "";

	assert_non_null(h);
	for (int i = 0; i < HTTPD_MAX_PER_IP + 2; i++) {
		fd[i] = client(httpd_port(h), "GET /x HTTP/1.1\r\n");	/* head unfinished */
		run_for(loop, 0.01);
	}
	run_for(loop, 0.1);
	httpd_get_stats(h, &st);
	assert_int_equal(st.per_ip_max, HTTPD_MAX_PER_IP);
	assert_int_equal(st.open, HTTPD_MAX_PER_IP);
	assert_int_equal(st.evicted, 2);
	assert_int_equal(read(fd[0], buf, sizeof(buf)), 0);	/* the oldest went */
	calls = 0;
	assert_int_equal(write(fd[HTTPD_MAX_PER_IP + 1], "Host: x\r\n\r\n", 11), 11);
	run_for(loop, 0.2);
	assert_int_equal(calls, 1);				/* the newest is served */
	for (int i = 0; i < HTTPD_MAX_PER_IP + 2; i++)
		close(fd[i]);
	httpd_stop(h);
	ev_free(loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_stop_mid_body),
		cmocka_unit_test(test_per_address),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
