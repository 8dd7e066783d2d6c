/*
 * Other agents' rows fetched for /v1/matrix (agent/daemon/matrix_fetch.c):
 * the Nodes come from a fake discovery_nodes linked in place of
 * agent/daemon/discovery.c, their agents are a plain HTTP server in a thread
 * of this test on 127.0.0.2 and 127.0.0.3, and the matrix is read back as
 * the JSON /v1/matrix serves.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "agent/core/cfg.h"
#include "agent/daemon/agent.h"
#include "agent/daemon/matrix.h"
#include "agent/io/ev.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))

/* ---- the fake discovery: two Nodes of cluster c2 ------------------------------------- */

static const struct prefix4 pods[2] = { { IP(10, 250, 0, 0), 24 }, { IP(10, 250, 1, 0), 24 } };

size_t
discovery_nodes(const struct discovery *d, bool with_local, struct disc_node *out, size_t max)
{
	static const char *const names[2] = { "m0", "m1" };

	for (size_t i = 0; i < 2 && i < max; i++)
		out[i] = (struct disc_node){ .cluster = "c2", .name = names[i],
					     .ip = IP(127, 0, 0, 2 + i), .cidrs = &pods[i],
					     .ncidrs = 1 };
	return max < 2 ? max : 2;
}

/* ---- their agents ------------------------------------------------------------------ */

struct agents {
	int fd[2], port;
	pthread_t th;
	volatile int stop;
	int requests;
	/* what the agent on 127.0.0.2+i answers: status line and row */
	const char *status[2];
	const char *as_node[2];
};

static struct agents ag;

static void
serve(int fd, int i)
{
	char buf[2048] = "", *body, *resp;
	struct mx_row row = { .cluster = "c2", .node_ip = IP(127, 0, 0, 2 + i), .age_s = 1 };
	size_t len = 0;
	ssize_t n;

	while (len < sizeof(buf) - 1 && !strstr(buf, "\r\n\r\n")) {
		if ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) <= 0)
			return;
		len += (size_t)n;
		buf[len] = '\0';
	}
	__atomic_add_fetch(&ag.requests, 1, __ATOMIC_SEQ_CST);
	snprintf(row.node, sizeof(row.node), "%s", ag.as_node[i]);
	body = mx_row_json(&row);
	if (asprintf(&resp, "HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
		     "Connection: close\r\n\r\n%s", ag.status[i], strlen(body), body) > 0) {
		(void)!write(fd, resp, strlen(resp));
		free(resp);
	}
	free(body);
}

static void *
agents_main(void *arg)
{
	while (!ag.stop) {
		struct pollfd p[2] = { { ag.fd[0], POLLIN, 0 }, { ag.fd[1], POLLIN, 0 } };

		if (poll(p, 2, 50) <= 0)
			continue;
		for (int i = 0; i < 2; i++) {
			int fd;

			if (!(p[i].revents & POLLIN) || (fd = accept(ag.fd[i], NULL, NULL)) < 0)
				continue;
			serve(fd, i);
			close(fd);
		}
	}
	return NULL;
}

/* A listening socket on ip:port (0: any); -1 when the port is taken. */
static int
listen_on(uint32_t ip, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(ip),
				 .sin_port = htons((uint16_t)port) };
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	assert_int_equal(listen(fd, 8), 0);
	getsockname(fd, (struct sockaddr *)&a, &alen);
	ag.port = ntohs(a.sin_port);
	return fd;
}

/* ---- the agent asking ---------------------------------------------------------------- */

struct fixture {
	struct cfg cfg;
	struct agent a;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	memset(&ag, 0, sizeof(ag));
	/* One port on both addresses (the agent port is one for all); another
	 * test may hold it on the second: then another port. */
	for (int i = 0; i < 20; i++) {
		assert_true((ag.fd[0] = listen_on(IP(127, 0, 0, 2), 0)) >= 0);
		if ((ag.fd[1] = listen_on(IP(127, 0, 0, 3), ag.port)) >= 0)
			break;
		close(ag.fd[0]);
	}
	assert_true(ag.fd[1] >= 0);
	assert_int_equal(pthread_create(&ag.th, NULL, agents_main, NULL), 0);
	snprintf(f->cfg.cluster, sizeof(f->cfg.cluster), "c1");
	snprintf(f->cfg.node_name, sizeof(f->cfg.node_name), "n1");
	f->cfg.node_ip = IP(127, 0, 0, 1);
	f->cfg.listen.port = (uint16_t)ag.port;
	f->cfg.interval = 0.2;
	f->cfg.timeout = 1;
	f->a.cfg = &f->cfg;
	f->a.loop = ev_new();
	f->a.disc = (struct discovery *)&f->cfg;	/* not NULL: kubernetes mode */
	assert_non_null(f->a.matrix = matrix_new(&f->a));
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	matrix_free(f->a.matrix);
	ev_free(f->a.loop);
	ag.stop = 1;
	pthread_join(ag.th, NULL);
	close(ag.fd[0]);
	close(ag.fd[1]);
	free(f);
	return 0;
}

static struct ev_timer *stop_t;

static void
on_stop(struct ev_loop *loop, void *arg)
{
	ev_stop(loop);
}

/* Asks for /v1/matrix, lets the fetches run for secs, asks again: the
 * second answer's rows[] state and error of node i, as "state: error". */
static void
matrix_after(struct fixture *f, double secs, char out[2][300])
{
	json_t *root, *nodes, *nd;
	char *s = matrix_json(f->a.matrix);
	size_t i;

	free(s);
	stop_t = ev_timer_new(f->a.loop, on_stop, NULL);
	ev_timer_arm(stop_t, secs);
	ev_run(f->a.loop);
	ev_timer_free(stop_t);
	s = matrix_json(f->a.matrix);
	assert_non_null(root = json_loads(s, 0, NULL));
	nodes = json_object_get(root, "nodes");
	json_array_foreach(nodes, i, nd) {
		const char *name = json_string_value(json_object_get(nd, "node"));
		const char *err = json_string_value(json_object_get(nd, "error"));
		int k = !strcmp(name, "m0") ? 0 : !strcmp(name, "m1") ? 1 : -1;

		if (k >= 0)
			snprintf(out[k], 300, "%s: %s",
				 json_string_value(json_object_get(nd, "row")), err ? err : "");
	}
	json_decref(root);
	free(s);
}

/* A row is shown only as the node it was asked for; an HTTP error is no row. */
static void
test_rows(void **state)
{
	struct fixture *f = *state;
	char got[2][300] = { "", "" };

	ag.status[0] = ag.status[1] = "200 OK";
	ag.as_node[0] = "m0";
	ag.as_node[1] = "m0";		/* m1's address answers as m0 */
	matrix_after(f, 0.5, got);
	assert_string_equal(got[0], "ok: ");
	assert_string_equal(got[1], "invalid: its agent answers as c2/m0");
	ag.status[0] = "500 Internal Server Error";
	ag.as_node[1] = "m1";
	matrix_after(f, 0.5, got);
	assert_string_equal(got[0], "unreachable: HTTP 500");
	assert_string_equal(got[1], "ok: ");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rows, setup, teardown),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
