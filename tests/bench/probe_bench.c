/*
 * Helper of tests/bench/probe_bench.sh (not part of the build or the suite).
 *
 *   probe_bench serve PORT SECONDS   accept and close on 0.0.0.0:PORT for at most SECONDS
 *   probe_bench run FILE TIMEOUT [MAX_INFLIGHT]
 *                                    one probe round over "IP PORT" lines of FILE, then
 *                                    prints "round_s S targets N open N refused N other N"
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/io/ev.h"
#include "agent/io/probe.h"

#define MAX_TARGETS 100000

/* Accepts and closes: the probers only need the handshake, and an accept
 * queue that overflowed would drop SYNs and turn "open" into "timeout". */
static int
serve(uint16_t port, unsigned seconds)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int l, ep, one = 1;
	struct epoll_event ev = { .events = EPOLLIN };

	alarm(seconds);	/* bounded even if the script dies */
	l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 65535) < 0) {
		perror("listener");
		return 1;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev) < 0) {
		perror("epoll");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		int c;

		if (epoll_wait(ep, &ev, 1, -1) < 0 && errno != EINTR)
			return 1;
		/* Drain the queue; a connection reset before accept is fine. */
		while ((c = accept4(l, NULL, NULL, SOCK_CLOEXEC)) >= 0 || errno == ECONNABORTED)
			if (c >= 0)
				close(c);
	}
}

static size_t
read_targets(const char *path, struct probe_target *t)
{
	FILE *f = fopen(path, "r");
	char ip[64];
	unsigned port;
	size_t n = 0;

	if (!f) {
		perror(path);
		return 0;
	}
	while (n < MAX_TARGETS && fscanf(f, "%63s %u", ip, &port) == 2) {
		struct in_addr a;

		if (inet_pton(AF_INET, ip, &a) != 1 || port == 0 || port > 65535)
			continue;
		t[n++] = (struct probe_target){ .kind = PROBE_TCP, .ip = ntohl(a.s_addr),
						.port = (uint16_t)port };
	}
	fclose(f);
	return n;
}

static int
run(const char *path, double timeout, size_t max_inflight)
{
	struct probe_target *t = calloc(MAX_TARGETS, sizeof(*t));
	struct probe_result *res = calloc(MAX_TARGETS, sizeof(*res));
	struct probe_opts o = { .timeout = timeout, .max_inflight = max_inflight };
	size_t n, open = 0, refused = 0, other = 0;
	double t0;
	int err;

	if (!t || !res)
		return 1;
	n = read_targets(path, t);
	t0 = ev_now();
	if (n == 0 || (err = probe_run_sync(t, n, &o, res)) < 0) {
		fprintf(stderr, "no targets or round failed\n");
		return 1;
	}
	t0 = ev_now() - t0;
	for (size_t i = 0; i < n; i++) {
		open += res[i].result == PROBE_OPEN;
		refused += res[i].result == PROBE_REFUSED;
		other += res[i].result != PROBE_OPEN && res[i].result != PROBE_REFUSED;
	}
	printf("round_s %.4f targets %zu open %zu refused %zu other %zu\n", t0, n, open, refused,
	       other);
	free(t);
	free(res);
	return 0;
}

int
main(int argc, char *argv[])
{
	if (argc == 4 && !strcmp(argv[1], "serve"))
		return serve((uint16_t)atoi(argv[2]), (unsigned)atoi(argv[3]));
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "run"))
		return run(argv[2], atof(argv[3]), argc == 5 ? (size_t)atol(argv[4]) : 0);
	fprintf(stderr, "usage: probe_bench serve PORT SECONDS | run FILE TIMEOUT [MAX_INFLIGHT]\n");
	return 2;
}
