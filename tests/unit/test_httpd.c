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

#define BIG (8 << 20)

/* /big: a body larger than the socket buffers, so that its answer takes as
 * long as the client takes to read it. */
static void
big_handler(const struct httpd_req *req, struct httpd_reply *out, void *arg)
{
	char *b = malloc(BIG);

	calls++;
	memset(b, 'x', BIG);
	*out = (struct httpd_reply){ .status = 200, .content_type = "text/plain", .body = b,
				     .len = BIG };
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

/* Reads one answer of /big on fd (non-blocking), running the loop meanwhile. */
static void
read_big(struct ev_loop *loop, int fd)
{
	static char buf[1 << 16];
	size_t got = 0, want = 0;
	ssize_t n;

	for (int i = 0; i < 20000 && (!want || got < want); i++) {
		run_for(loop, 0.0005);
		while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
			got += (size_t)n;
			if (!want && memmem(buf, (size_t)n, "\r\n\r\n", 4))
				want = got - (size_t)n + (size_t)((char *)memmem(buf, (size_t)n,
								  "\r\n\r\n", 4) - buf) + 4 + BIG;
		}
	}
	assert_int_equal(got, want);
}

/* A kept-alive connection's next head has HTTPD_HEAD_S from its answer's
 * end, not from its previous head: an answer read slowly does not eat into
 * the time the client has for its next request. */
static void
test_keepalive_deadline(void **state)
{
	static const char req[] = "GET /big HTTP/1.1\r\nHost: x\r\n\r\n";
	struct ev_loop *loop = ev_new();
	struct httpd *h = httpd_start(loop, INADDR_LOOPBACK, 0, big_handler, NULL);
	int fd, small = 4096;
	struct httpd_stats st;

	assert_non_null(h);
	calls = 0;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	assert_int_equal(connect(fd, (struct sockaddr *)&(struct sockaddr_in){ .sin_family = AF_INET,
			 .sin_port = htons(httpd_port(h)), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) },
			 sizeof(struct sockaddr_in)), 0);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	run_for(loop, 2.0);			/* the answer waits for the reader */
	read_big(loop, fd);
	run_for(loop, HTTPD_HEAD_S - 1);	/* past the previous head's deadline */
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	read_big(loop, fd);
	assert_int_equal(calls, 2);
	httpd_get_stats(h, &st);
	assert_int_equal(st.idle_closed, 0);
	/* Idle after it: closed at the head deadline, not the answer's. */
	run_for(loop, HTTPD_HEAD_S + 0.5);
	httpd_get_stats(h, &st);
	assert_int_equal(st.idle_closed, 1);
	assert_int_equal(read(fd, &small, 1), 0);
	close(fd);
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
		cmocka_unit_test(test_keepalive_deadline),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
