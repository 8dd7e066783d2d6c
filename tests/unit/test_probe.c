/* The probe engine: classification, jitter, history, the deadline heap (pure), then real
 * rounds on 127.0.0.1 only: TCP open/refused, the in-flight bound, running out of file
 * descriptors, HTTP against a forked one-file server, freeing an engine mid-round. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <curl/curl.h>

#include "agent/io/ev.h"
#include "agent/io/probe.h"
#include "agent/core/report.h"

#define LOCALHOST 0x7f000001u

static void
test_classify_tcp(void **state)
{
	const enum probe_phase any[] = { PROBE_PHASE_CONNECT, PROBE_PHASE_ASYNC };

	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(probe_classify_tcp(any[i], 0), PROBE_OPEN);
		assert_int_equal(probe_classify_tcp(any[i], ECONNREFUSED), PROBE_REFUSED);
		assert_int_equal(probe_classify_tcp(any[i], ETIMEDOUT), PROBE_TIMEOUT);
		assert_int_equal(probe_classify_tcp(any[i], EHOSTUNREACH), PROBE_UNREACHABLE);
		assert_int_equal(probe_classify_tcp(any[i], ENETUNREACH), PROBE_UNREACHABLE);
		assert_int_equal(probe_classify_tcp(any[i], EHOSTDOWN), PROBE_UNREACHABLE);
		assert_int_equal(probe_classify_tcp(any[i], EPERM), PROBE_ERROR);
		assert_int_equal(probe_classify_tcp(any[i], EADDRNOTAVAIL), PROBE_ERROR);
		assert_int_equal(probe_classify_tcp(any[i], ECONNRESET), PROBE_ERROR);
		assert_int_equal(probe_classify_tcp(any[i], EMFILE), PROBE_ERROR);
	}
	assert_int_equal(probe_classify_tcp(PROBE_PHASE_DEADLINE, ETIMEDOUT), PROBE_TIMEOUT);
	/* blackhole and prohibit routes answer connect() itself */
	assert_int_equal(probe_classify_tcp(PROBE_PHASE_CONNECT, EINVAL), PROBE_UNREACHABLE);
	assert_int_equal(probe_classify_tcp(PROBE_PHASE_CONNECT, EACCES), PROBE_UNREACHABLE);
	assert_int_equal(probe_classify_tcp(PROBE_PHASE_ASYNC, EINVAL), PROBE_ERROR);
	assert_int_equal(probe_classify_tcp(PROBE_PHASE_ASYNC, EACCES), PROBE_ERROR);
}

static void
test_classify_http(void **state)
{
	assert_int_equal(probe_classify_http(CURLE_OK, 200, false), PROBE_OK);
	assert_int_equal(probe_classify_http(CURLE_OK, 204, false), PROBE_OK);
	assert_int_equal(probe_classify_http(CURLE_OK, 302, false), PROBE_OK);
	assert_int_equal(probe_classify_http(CURLE_OK, 399, false), PROBE_OK);
	assert_int_equal(probe_classify_http(CURLE_OK, 400, false), PROBE_ERROR);
	assert_int_equal(probe_classify_http(CURLE_OK, 500, false), PROBE_ERROR);
	assert_int_equal(probe_classify_http(CURLE_OK, 199, false), PROBE_ERROR);
	assert_int_equal(probe_classify_http(CURLE_OPERATION_TIMEDOUT, 0, false), PROBE_ERROR);
	assert_int_equal(probe_classify_http(CURLE_COULDNT_CONNECT, 0, false), PROBE_ERROR);
	/* an oversized answer podreach cut is still an answer */
	assert_int_equal(probe_classify_http(CURLE_WRITE_ERROR, 200, true), PROBE_OK);
	assert_int_equal(probe_classify_http(CURLE_WRITE_ERROR, 200, false), PROBE_ERROR);
	assert_int_equal(probe_classify_http(CURLE_WRITE_ERROR, 503, true), PROBE_ERROR);
}

static void
test_names(void **state)
{
	assert_string_equal(probe_result_name(PROBE_OPEN), "open");
	assert_string_equal(probe_result_name(PROBE_REFUSED), "refused");
	assert_string_equal(probe_result_name(PROBE_TIMEOUT), "timeout");
	assert_string_equal(probe_result_name(PROBE_UNREACHABLE), "unreachable");
	assert_string_equal(probe_result_name(PROBE_ERROR), "error");
	assert_string_equal(probe_result_name(PROBE_OK), "ok");
	assert_string_equal(probe_result_name((enum probe_outcome)99), "error");
	assert_string_equal(probe_kind_name(PROBE_TCP), "tcp");
	assert_string_equal(probe_kind_name(PROBE_HTTP), "http");
	assert_true(probe_result_reached(PROBE_OPEN));
	assert_true(probe_result_reached(PROBE_OK));
	assert_true(probe_result_reached(PROBE_REFUSED));
	assert_false(probe_result_reached(PROBE_TIMEOUT));
	assert_false(probe_result_reached(PROBE_UNREACHABLE));
	assert_false(probe_result_reached(PROBE_ERROR));
}

static bool
near(double a, double b)
{
	return a - b < 1e-9 && b - a < 1e-9;
}

static void
test_jitter(void **state)
{
	assert_true(near(probe_jitter(10, 0.2, 0), 8.0));
	assert_true(near(probe_jitter(10, 0.2, UINT32_MAX), 12.0));
	assert_true(near(probe_jitter(10, 0, 12345), 10.0));
	assert_true(near(probe_jitter(10, -1, 12345), 10.0));
	assert_true(near(probe_jitter(10, 0.0 / 0.0, 12345), 10.0));	/* NaN: no jitter */
	assert_true(near(probe_jitter(10, 3, 0), 5.0));			/* clamped to 0.5 */
	assert_true(near(probe_jitter(10, 3, UINT32_MAX), 15.0));
	for (uint32_t r = 0, i = 0; i < 1000; i++, r = r * 1664525u + 1013904223u) {
		double d = probe_jitter(2.5, 0.1, r);

		assert_true(d >= 2.25 && d <= 2.75);
	}
}

static void
test_history(void **state)
{
	struct probe_history h = { 0 };
	enum probe_outcome r;

	assert_true(probe_history_ratio(&h) < 0);
	assert_false(probe_history_get(&h, 0, &r));
	probe_history_add(&h, PROBE_OPEN);
	probe_history_add(&h, PROBE_TIMEOUT);
	probe_history_add(&h, PROBE_REFUSED);
	probe_history_add(&h, PROBE_UNREACHABLE);
	assert_true(probe_history_ratio(&h) == 0.5);
	assert_true(probe_history_get(&h, 0, &r));
	assert_int_equal(r, PROBE_UNREACHABLE);
	assert_true(probe_history_get(&h, 3, &r));
	assert_int_equal(r, PROBE_OPEN);
	assert_false(probe_history_get(&h, 4, &r));
	/* the ring keeps only the last PROBE_HISTORY: failures age out */
	for (int i = 0; i < PROBE_HISTORY; i++)
		probe_history_add(&h, PROBE_OK);
	assert_true(probe_history_ratio(&h) == 1.0);
	assert_int_equal(h.n, PROBE_HISTORY);
	assert_int_equal(h.total, PROBE_HISTORY + 4);
	probe_history_add(&h, PROBE_ERROR);
	assert_true(probe_history_ratio(&h) == (double)(PROBE_HISTORY - 1) / PROBE_HISTORY);
	assert_true(probe_history_get(&h, 0, &r));
	assert_int_equal(r, PROBE_ERROR);
}

static void
heap_check(const struct heap *h)
{
	for (size_t i = 1; i < h->n; i++)
		assert_true(h->v[(i - 1) / 2].when <= h->v[i].when);
	for (size_t i = 0; i < h->n; i++)
		assert_int_equal(h->pos[h->v[i].id], i);
}

static void
test_heap(void **state)
{
	struct heap h;
	uint64_t when, last = 0;
	uint32_t id, r = 7;
	bool in[512] = { 0 };

	assert_int_equal(heap_init(&h, 0), -EINVAL);
	assert_int_equal(heap_init(&h, 512), 0);
	assert_false(heap_peek(&h, &id, &when));
	assert_int_equal(heap_push(&h, 512, 1), -EINVAL);
	assert_int_equal(heap_remove(&h, 3), -ENOENT);
	for (uint32_t i = 0; i < 512; i++) {
		r = r * 1103515245u + 12345u;
		assert_int_equal(heap_push(&h, i, (r >> 8) % 1000), 0);
		in[i] = true;
	}
	assert_int_equal(heap_push(&h, 5, 1), -EEXIST);
	heap_check(&h);
	/* remove a pseudo-random half by id, keeping the heap valid */
	for (uint32_t i = 0; i < 512; i++) {
		r = r * 1103515245u + 12345u;
		if (r & 0x100) {
			assert_int_equal(heap_remove(&h, i), 0);
			in[i] = false;
			heap_check(&h);
		}
	}
	assert_int_equal(heap_remove(&h, 511), in[511] ? 0 : -ENOENT);
	in[511] = false;
	/* the rest come out in deadline order */
	while (heap_peek(&h, &id, &when)) {
		assert_true(when >= last);
		assert_true(in[id]);
		in[id] = false;
		last = when;
		assert_int_equal(heap_remove(&h, id), 0);
	}
	for (size_t i = 0; i < 512; i++)
		assert_false(in[i]);
	heap_free(&h);
	heap_free(&h);
	heap_free(NULL);
}

static void
test_report_entry(void **state)
{
	struct probe_target t = { PROBE_TCP, 0x0af40009, 5000, NULL };
	struct probe_target u = { PROBE_HTTP, 0x0af40009, 5000, "http://10.244.0.9:5000/hello" };
	struct probe_opts pod = { .timeout = 0.5, .src = 0x0af50001, .src_is_pod = true };
	struct probe_opts node = { .timeout = 0.5, .src = 0xac120004 };
	struct probe_result res = { .kind = PROBE_TCP, .result = PROBE_OPEN, .rtt_us = 1234 };
	struct report_probe out;

	probe_report(&t, &res, &pod, &out);
	assert_string_equal(out.target, "10.244.0.9:5000");
	assert_string_equal(out.kind, "tcp");
	assert_string_equal(out.result, "open");
	assert_true(out.rtt_ms == 1.234);
	assert_string_equal(out.detail, "from 10.245.0.1 (pod gateway)");
	res = (struct probe_result){ .kind = PROBE_TCP, .result = PROBE_TIMEOUT,
				     .phase = PROBE_PHASE_DEADLINE, .err = ETIMEDOUT };
	probe_report(&t, &res, &node, &out);
	assert_string_equal(out.result, "timeout");
	assert_non_null(strstr(out.detail, "no answer in 0.5 s"));
	assert_non_null(strstr(out.detail, "from 172.18.0.4 (node IP)"));
	res = (struct probe_result){ .kind = PROBE_TCP, .result = PROBE_UNREACHABLE,
				     .phase = PROBE_PHASE_CONNECT, .err = EINVAL };
	probe_report(&t, &res, &node, &out);
	assert_non_null(strstr(out.detail, "blackhole route"));
	res = (struct probe_result){ .kind = PROBE_HTTP, .result = PROBE_OK, .status = 200 };
	probe_report(&u, &res, &pod, &out);
	assert_string_equal(out.target, "http://10.244.0.9:5000/hello");
	assert_string_equal(out.kind, "http");
	assert_string_equal(out.result, "ok");
	assert_string_equal(out.detail, "HTTP 200; from 10.245.0.1 (pod gateway)");
	res = (struct probe_result){ .kind = PROBE_HTTP, .result = PROBE_ERROR,
				     .err = CURLE_OPERATION_TIMEDOUT };
	probe_report(&u, &res, &(struct probe_opts){ .timeout = 1 }, &out);
	assert_string_equal(out.detail, curl_easy_strerror(CURLE_OPERATION_TIMEDOUT));
}

/* ---- real rounds on 127.0.0.1 ---------------------------------------------------------- */

/* A listening socket on 127.0.0.1 and its port; the kernel completes the
 * handshakes into the backlog, nobody needs to accept. */
static int
listener(uint16_t *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(LOCALHOST) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4096), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

/* A port nothing listens on: bound (so nobody else takes it) but not listening. */
static int
closed_port(uint16_t *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(LOCALHOST) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

static void
test_tcp_round(void **state)
{
	uint16_t open_port, shut_port;
	int l = listener(&open_port), c = closed_port(&shut_port);
	struct probe_target t[] = {
		{ PROBE_TCP, LOCALHOST, open_port, NULL },
		{ PROBE_TCP, LOCALHOST, shut_port, NULL },
	};
	struct probe_opts o = { .timeout = 5 };
	struct probe_result res[2];

	assert_int_equal(probe_run_sync(t, 2, &o, res), 0);
	assert_int_equal(res[0].result, PROBE_OPEN);
	assert_int_equal(res[0].kind, PROBE_TCP);
	assert_int_equal(res[1].result, PROBE_REFUSED);
	assert_int_equal(res[1].err, ECONNREFUSED);
	/* with a source address, as the agent binds the pod gateway */
	o.src = LOCALHOST;
	assert_int_equal(probe_run_sync(t, 2, &o, res), 0);
	assert_int_equal(res[0].result, PROBE_OPEN);
	assert_int_equal(res[1].result, PROBE_REFUSED);
	/* a source address that is not ours: bind() says so */
	o.src = 0xc0000201;	/* 192.0.2.1, TEST-NET-1 */
	assert_int_equal(probe_run_sync(t, 1, &o, res), 0);
	assert_int_equal(res[0].result, PROBE_ERROR);
	assert_int_equal(res[0].err, EADDRNOTAVAIL);
	assert_int_equal(probe_run_sync(t, 0, &o, res), 0);
	o.timeout = 0;
	assert_int_equal(probe_run_sync(t, 1, &o, res), -EINVAL);
	close(l);
	close(c);
}

struct round_seen {
	struct ev_loop *loop;
	size_t n, open, refused, calls;
};

static void
count_done(const struct probe_result *res, size_t n, void *arg)
{
	struct round_seen *s = arg;

	s->calls++;
	s->n = n;
	for (size_t i = 0; i < n; i++) {
		s->open += res[i].result == PROBE_OPEN;
		s->refused += res[i].result == PROBE_REFUSED;
	}
	ev_stop(s->loop);
}

static struct probe_target *
mixed_targets(size_t n, uint16_t open_port, uint16_t shut_port)
{
	struct probe_target *t = calloc(n, sizeof(*t));

	assert_non_null(t);
	for (size_t i = 0; i < n; i++)
		t[i] = (struct probe_target){ .kind = PROBE_TCP, .ip = LOCALHOST,
					      .port = i % 2 ? shut_port : open_port };
	return t;
}

static void
test_inflight_bound(void **state)
{
	uint16_t open_port, shut_port;
	int l = listener(&open_port), c = closed_port(&shut_port);
	struct probe_target *t = mixed_targets(300, open_port, shut_port);
	struct probe_opts o = { .timeout = 5, .max_inflight = 7 };
	struct ev_loop *loop = ev_new();
	struct probe_engine *e = probe_engine_new(loop, &o);
	struct round_seen seen = { .loop = loop };

	assert_non_null(e);
	assert_int_equal(probe_round_start(e, t, 300, count_done, &seen), 0);
	assert_true(probe_round_busy(e));
	assert_int_equal(probe_round_start(e, t, 300, count_done, &seen), -EBUSY);
	assert_int_equal(seen.calls, 0);	/* never from inside round_start */
	assert_int_equal(ev_run(loop), 0);
	assert_int_equal(seen.calls, 1);
	assert_int_equal(seen.n, 300);
	assert_int_equal(seen.open, 150);
	assert_int_equal(seen.refused, 150);
	assert_int_equal(probe_engine_peak_inflight(e), 7);
	assert_false(probe_round_busy(e));
	/* the engine runs the next round */
	seen = (struct round_seen){ .loop = loop };
	assert_int_equal(probe_round_start(e, t, 10, count_done, &seen), 0);
	assert_int_equal(ev_run(loop), 0);
	assert_int_equal(seen.open + seen.refused, 10);
	assert_int_equal(probe_round_start(e, t, 0, count_done, &seen), -EINVAL);
	probe_engine_free(e);
	probe_engine_free(NULL);
	ev_free(loop);
	free(t);
	close(l);
	close(c);
}

/* 1,000 targets under the default bound of 1,024 in flight: PROBE_TURN
 * started at once, the rest on later turns of the loop; every one done. */
static void
test_turns(void **state)
{
	uint16_t shut_port;
	int c = closed_port(&shut_port);
	struct probe_target *t = mixed_targets(1000, shut_port, shut_port);
	struct probe_opts o = { .timeout = 5 };
	struct ev_loop *loop = ev_new();
	struct probe_engine *e = probe_engine_new(loop, &o);
	struct round_seen seen = { .loop = loop };

	assert_non_null(e);
	assert_int_equal(probe_round_start(e, t, 1000, count_done, &seen), 0);
	assert_int_equal(probe_engine_peak_inflight(e), PROBE_TURN);
	assert_int_equal(ev_run(loop), 0);
	assert_int_equal(seen.calls, 1);
	assert_int_equal(seen.refused, 1000);
	probe_engine_free(e);
	ev_free(loop);
	free(t);
	close(c);
}

/* In a child limited to 40 descriptors, 200 probes with the default bound of
 * 1024 in flight: EMFILE holds the queue back instead of failing probes. */
static void
test_out_of_descriptors(void **state)
{
	uint16_t open_port, shut_port;
	int l = listener(&open_port), c = closed_port(&shut_port), status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = { 40, 40 };
		struct probe_target *t = mixed_targets(200, open_port, shut_port);
		struct probe_result *res = calloc(200, sizeof(*res));
		struct probe_opts o = { .timeout = 5 };
		size_t good = 0;

		alarm(20);
		if (!t || !res || setrlimit(RLIMIT_NOFILE, &rl) < 0 ||
		    probe_run_sync(t, 200, &o, res) < 0)
			_exit(2);
		for (size_t i = 0; i < 200; i++)
			good += res[i].result == (i % 2 ? PROBE_REFUSED : PROBE_OPEN);
		free(t);
		free(res);
		_exit(good == 200 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(l);
	close(c);
}

/* A one-file HTTP server in a child: answers `conns` connections, one
 * canned response each by path (/ok 200, /fail 500, /big 200 with 100 KiB). */
static void
http_serve(int l, int conns)
{
	static char big[100 * 1024];
	char req[2048], hdr[256];

	memset(big, 'x', sizeof(big));
	alarm(20);	/* bounded whatever the parent does */
	for (int i = 0; i < conns; i++) {
		int fd = accept(l, NULL, NULL);
		ssize_t got = 0, k;
		const char *body = "hello\n";
		int code = 200;
		size_t blen;

		if (fd < 0)
			_exit(1);
		while (got < (ssize_t)sizeof(req) - 1 &&
		       (k = read(fd, req + got, sizeof(req) - 1 - (size_t)got)) > 0) {
			got += k;
			req[got] = '\0';
			if (strstr(req, "\r\n\r\n"))
				break;
		}
		if (got > 0 && strstr(req, "GET /fail"))
			code = 500, body = "boom\n";
		blen = strlen(body);
		if (got > 0 && strstr(req, "GET /big"))
			body = big, blen = sizeof(big);
		snprintf(hdr, sizeof(hdr), "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n", code, blen);
		if (write(fd, hdr, strlen(hdr)) < 0 || write(fd, body, blen) < 0)
			(void)0;	/* the client may have cut us off: fine */
		close(fd);
	}
	_exit(0);
}

static void
test_http_round(void **state)
{
	uint16_t port, shut_port, tcp_port;
	int l = listener(&port), c = closed_port(&shut_port), l2 = listener(&tcp_port), status;
	char ok[64], fail[64], big[64], shut[64];
	struct probe_opts o = { .timeout = 10, .src = LOCALHOST };
	struct probe_result res[5];
	pid_t pid;

	snprintf(ok, sizeof(ok), "http://127.0.0.1:%u/ok", port);
	snprintf(fail, sizeof(fail), "http://127.0.0.1:%u/fail", port);
	snprintf(big, sizeof(big), "http://127.0.0.1:%u/big", port);
	snprintf(shut, sizeof(shut), "http://127.0.0.1:%u/", shut_port);
	struct probe_target t[] = {
		{ PROBE_HTTP, LOCALHOST, port, ok },
		{ PROBE_HTTP, LOCALHOST, port, fail },
		{ PROBE_HTTP, LOCALHOST, port, big },
		{ PROBE_HTTP, LOCALHOST, shut_port, shut },
		/* mixed into the same round; its own listener, for the server
		 * must not accept it as one of its three */
		{ PROBE_TCP, LOCALHOST, tcp_port, NULL },
	};
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		http_serve(l, 3);
	assert_int_equal(probe_run_sync(t, 5, &o, res), 0);
	assert_int_equal(res[0].kind, PROBE_HTTP);
	assert_int_equal(res[0].result, PROBE_OK);
	assert_int_equal(res[0].status, 200);
	assert_int_equal(res[1].result, PROBE_ERROR);
	assert_int_equal(res[1].status, 500);
	assert_int_equal(res[2].result, PROBE_OK);
	assert_true(res[2].cut);
	assert_int_equal(res[3].result, PROBE_ERROR);
	assert_int_equal(res[3].status, 0);
	assert_int_equal(res[3].err, CURLE_COULDNT_CONNECT);
	assert_int_equal(res[4].result, PROBE_OPEN);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(l);
	close(l2);
	close(c);
}

static void
never_done(const struct probe_result *res, size_t n, void *arg)
{
	fail_msg("the callback of a freed engine ran");
}

/* Freeing an engine in the middle of a round closes every socket and
 * transfer on the one close path (ASan checks the rest). */
static void
test_free_mid_round(void **state)
{
	uint16_t port;
	int l = listener(&port);
	char url[64];
	struct probe_opts o = { .timeout = 5 };
	struct ev_loop *loop = ev_new();
	struct probe_engine *e = probe_engine_new(loop, &o);
	struct probe_target t[40];

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", port);
	for (size_t i = 0; i < 40; i++)
		t[i] = (struct probe_target){ i % 4 ? PROBE_TCP : PROBE_HTTP, LOCALHOST, port,
					      i % 4 ? NULL : url };
	assert_non_null(e);
	assert_int_equal(probe_round_start(e, t, 40, never_done, NULL), 0);
	probe_engine_free(e);
	ev_free(loop);
	close(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify_tcp),
		cmocka_unit_test(test_classify_http),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_jitter),
		cmocka_unit_test(test_history),
		cmocka_unit_test(test_heap),
		cmocka_unit_test(test_report_entry),
		cmocka_unit_test(test_tcp_round),
		cmocka_unit_test(test_inflight_bound),
		cmocka_unit_test(test_turns),
		cmocka_unit_test(test_out_of_descriptors),
		cmocka_unit_test(test_http_round),
		cmocka_unit_test(test_free_mid_round),
	};

	signal(SIGPIPE, SIG_IGN);	/* the test server writes to clients that left */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
