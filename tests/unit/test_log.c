/* Log lines: an RFC 3339 UTC time on each; the problem diff behind "appeared" / "cleared". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <regex.h>
#include <unistd.h>
#include <cmocka.h>

#include "agent/core/pdiff.h"
#include "agent/core/plan.h"
#include "agent/io/log.h"

static void
test_stamp(void **state)
{
	char buf[LOG_STAMP_LEN];
	/* 2026-12-03T00:17:15.123Z */
	struct timespec ts = { .tv_sec = 1796257035, .tv_nsec = 123999999 };

	log_stamp(&ts, buf);
	assert_string_equal(buf, "2026-12-03T00:17:15.123Z");
	ts = (struct timespec){ 0, 5000000 };
	log_stamp(&ts, buf);
	assert_string_equal(buf, "1970-01-01T00:00:00.005Z");
}

/* Every line written goes out with the time first. */
static void
test_line_prefix(void **state)
{
	char path[] = "/tmp/podreach-test-log.XXXXXX", line[2048];
	int fd = mkstemp(path), saved = dup(2);
	regex_t re;
	FILE *f;
	int n = 0;

	assert_true(fd >= 0 && saved >= 0);
	assert_int_equal(regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
				 "\\.[0-9]{3}Z podreach: (info|warning|error): ", REG_EXTENDED), 0);
	fflush(stderr);
	dup2(fd, 2);
	log_info("one %d", 1);
	log_warnx("two");
	log_errc(-2, "three");
	log_debug("not shown at the default level");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	assert_non_null(f = fdopen(fd, "r"));
	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		assert_int_equal(regexec(&re, line, 0, NULL, 0), 0);
		n++;
	}
	assert_int_equal(n, 3);
	assert_non_null(strstr(line, "error: three: No such file or directory\n"));
	fclose(f);
	unlink(path);
	regfree(&re);
}

static void
add(struct report *r, enum problem_code code, int route, const char *msg)
{
	struct problem *p = &r->problems[r->nproblems++];

	*p = (struct problem){ .code = code, .route = route };
	snprintf(p->message, sizeof(p->message), "%s", msg);
}

struct seen {
	char lines[8][200];
	int n;
};

static void
on_key(const struct pdiff_key *k, bool appeared, void *arg)
{
	struct seen *s = arg;

	snprintf(s->lines[s->n++], sizeof(s->lines[0]), "%s %s %s", appeared ? "+" : "-",
		 report_code_name(k->code), k->subject);
}

/* Keys are code + subject: a changed detail is the same problem; a new
 * subject appears, a missing one clears; duplicates count once. */
static void
test_pdiff(void **state)
{
	static struct report a, b;
	struct plan_route routes[1] = { { .dst = { 0x0af40000, 24 } } };
	struct plan plan = { .routes = routes, .n = 1 };
	struct pdiff ka = { 0 }, kb = { 0 }, empty = { 0 };
	struct seen s = { 0 };

	a.plan = b.plan = &plan;
	add(&a, PC_ROUTE_MISSING, 0, "no route to 10.244.0.0/24 (pods of x); packets now go via A");
	add(&a, PC_API_UNREACHABLE, -1, "cluster c2: the API server https://x:6443 does not answer");
	add(&a, PC_PEER_UNREACHABLE, -1, "peer 172.18.0.9 does not answer: timeout");
	add(&a, PC_PEER_UNREACHABLE, -1, "peer 172.18.0.9 does not answer: refused");
	add(&b, PC_API_UNREACHABLE, -1, "cluster c2: the API server https://x:6443 (new detail)");
	add(&b, PC_ROUTE_MISSING, 0, "no route to 10.244.0.0/24 (pods of x); packets now go via B");
	add(&b, PC_PROBE_FAILED, -1, "tcp probe of 10.244.1.5:5000: timeout");
	assert_int_equal(pdiff_keys(&a, &ka), 0);
	assert_int_equal(pdiff_keys(&b, &kb), 0);
	assert_int_equal(ka.n, 3);
	pdiff_walk(&ka, &kb, on_key, &s);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.lines[0], "- peer-unreachable peer 172.18.0.9 does not answer");
	assert_string_equal(s.lines[1], "+ probe-failed tcp probe of 10.244.1.5:5000");
	assert_string_equal(b.problems[kb.k[1].idx].message, "tcp probe of 10.244.1.5:5000: timeout");
	s.n = 0;
	pdiff_walk(&empty, &ka, on_key, &s);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.lines[0], "+ route-missing 10.244.0.0/24");
	assert_string_equal(s.lines[2], "+ api-unreachable cluster c2");
	s.n = 0;
	pdiff_walk(&kb, &kb, on_key, &s);
	assert_int_equal(s.n, 0);
	pdiff_free(&ka);
	pdiff_free(&kb);
	pdiff_free(NULL);
}

static void
on_more(enum problem_code code, bool appeared, size_t count, void *arg)
{
	struct seen *s = arg;

	snprintf(s->lines[s->n++], sizeof(s->lines[0]), "%s %s %zu more", appeared ? "+" : "-",
		 report_code_name(code), count);
}

/* A burst of 300 failed probes and 2 peers at once: at most 3 lines per
 * code and direction, then one line with the count of the rest. */
static void
test_pdiff_bounded(void **state)
{
	static struct report a, b;
	struct pdiff ka = { 0 }, kb = { 0 };
	struct seen s = { 0 };
	char msg[100];

	for (int i = 0; i < 300; i++) {
		snprintf(msg, sizeof(msg), "tcp probe of 172.18.%d.%d:9750: timeout", 100 + i / 250,
			 1 + i % 250);
		add(&b, PC_PROBE_FAILED, -1, msg);
	}
	add(&b, PC_PEER_UNREACHABLE, -1, "peer 172.18.100.1:9750 does not answer: timeout");
	add(&b, PC_PEER_UNREACHABLE, -1, "peer 172.18.100.2:9750 does not answer: timeout");
	add(&a, PC_PEER_UNREACHABLE, -1, "peer 172.18.100.9:9750 does not answer: timeout");
	assert_int_equal(pdiff_keys(&a, &ka), 0);
	assert_int_equal(pdiff_keys(&b, &kb), 0);
	pdiff_walk_bounded(&ka, &kb, 3, on_key, on_more, &s);
	assert_int_equal(s.n, 7);
	assert_string_equal(s.lines[0], "+ peer-unreachable peer 172.18.100.1:9750 does not answer");
	assert_string_equal(s.lines[1], "+ peer-unreachable peer 172.18.100.2:9750 does not answer");
	assert_string_equal(s.lines[2], "- peer-unreachable peer 172.18.100.9:9750 does not answer");
	assert_string_equal(s.lines[3], "+ probe-failed tcp probe of 172.18.100.100:9750");
	assert_string_equal(s.lines[6], "+ probe-failed 297 more");
	s.n = 0;
	pdiff_walk_bounded(&kb, &ka, 3, on_key, on_more, &s);
	assert_int_equal(s.n, 7);
	assert_string_equal(s.lines[6], "- probe-failed 297 more");
	pdiff_free(&ka);
	pdiff_free(&kb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stamp),
		cmocka_unit_test(test_line_prefix),
		cmocka_unit_test(test_pdiff),
		cmocka_unit_test(test_pdiff_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
