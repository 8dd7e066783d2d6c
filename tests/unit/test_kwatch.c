/*
 * List and watch against a fake Kubernetes API on loopback (agent/io/kwatch.c):
 * a TLS server in a thread of this test, with certificates made here, answers
 * each request from a script and records it; the watch runs in the real event
 * loop through libcurl as in the agent.  Also: only the kubeconfig's CA is
 * trusted, and "no answer" reads the same whatever the port did.
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
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "agent/core/kubeconfig.h"
#include "agent/io/curlev.h"
#include "agent/io/ev.h"
#include "agent/io/kwatch.h"

/* ---- certificates ------------------------------------------------------------------- */

struct pki {
	EVP_PKEY *key;
	X509 *cert;
	char *pem;
};

static void
ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	assert_non_null(e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value));
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
}

/* A CA (issuer NULL) or a server certificate for 127.0.0.1 signed by issuer. */
static void
pki_make(struct pki *p, const char *cn, const struct pki *issuer)
{
	static long serial = 1;
	X509 *x = X509_new();
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long n;

	assert_non_null(p->key = EVP_EC_gen("P-256"));
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, p->key);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer->cert : x));
	if (!issuer) {
		ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
		ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else
		ext(x, issuer->cert, NID_subject_alt_name, "IP:127.0.0.1");
	assert_true(X509_sign(x, issuer ? issuer->key : p->key, EVP_sha256()) > 0);
	p->cert = x;
	PEM_write_bio_X509(b, x);
	n = BIO_get_mem_data(b, &data);
	p->pem = strndup(data, (size_t)n);
	BIO_free(b);
}

static void
pki_free(struct pki *p)
{
	EVP_PKEY_free(p->key);
	X509_free(p->cert);
	free(p->pem);
}

/* ---- the fake API server ------------------------------------------------------------ */

#define MAXREQ 64

struct fake {
	int lfd, port;
	SSL_CTX *ctx;			/* NULL: plain TCP that answers garbage */
	pthread_t th;
	pthread_mutex_t mu;
	char req[MAXREQ][600];		/* each request line */
	double at[MAXREQ];		/* when it came */
	int nreq;
	/* The response to request n (0-based), whole: status, headers, body. */
	const char *(*respond)(int n, const char *line);
	volatile int stop;
	double linger;			/* a watch's connection stays open this long */
	volatile int frozen;		/* as if SIGSTOPped: nothing accepted or said */
};

static void
fake_serve(struct fake *f, int fd)
{
	char buf[4096] = "", line[600];
	const char *resp;
	size_t len = 0;
	SSL *ssl = NULL;
	int n, k;

	if (!f->ctx) {		/* not TLS: garbage at once, as an SSH server would */
		(void)!write(fd, "SSH-2.0-OpenSSH_9.2\r\n", 21);
		goto out;
	}
	ssl = SSL_new(f->ctx);
	SSL_set_fd(ssl, fd);
	if (SSL_accept(ssl) <= 0)
		goto out;
	while (len < sizeof(buf) - 1 && !strstr(buf, "\r\n\r\n")) {
		n = SSL_read(ssl, buf + len, (int)(sizeof(buf) - 1 - len));
		if (n <= 0)
			goto out;
		len += (size_t)n;
		buf[len] = '\0';
	}
	snprintf(line, sizeof(line), "%.*s", (int)strcspn(buf, "\r\n"), buf);
	pthread_mutex_lock(&f->mu);
	k = f->nreq < MAXREQ ? f->nreq++ : MAXREQ - 1;
	snprintf(f->req[k], sizeof(f->req[k]), "%s", line);
	f->at[k] = ev_now();
	pthread_mutex_unlock(&f->mu);
	resp = f->respond(k, line);
	SSL_write(ssl, resp, (int)strlen(resp));
	/* A watch that has nothing more to say, until its timeout (or longer,
	 * frozen): then a clean end. */
	for (double t0 = ev_now(); strstr(line, "watch=1") && !f->stop &&
	     (f->frozen || ev_now() - t0 < f->linger);)
		usleep(10000);
out:
	if (ssl) {
		SSL_shutdown(ssl);
		SSL_free(ssl);
	}
	close(fd);
}

static void *
fake_main(void *arg)
{
	struct fake *f = arg;
	struct timeval tv = { 2, 0 };

	while (!f->stop) {
		struct pollfd p = { f->lfd, POLLIN, 0 };
		int fd;

		/* Frozen, the kernel still completes connections into the
		 * backlog: their TLS handshakes wait. */
		if (f->frozen || poll(&p, 1, 50) <= 0 || (fd = accept(f->lfd, NULL, NULL)) < 0) {
			if (f->frozen)
				usleep(10000);
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		fake_serve(f, fd);
	}
	return NULL;
}

/* Serves with cert (signed by its CA), or plain TCP when cert is NULL. */
static void
fake_start(struct fake *f, const struct pki *cert, const char *(*respond)(int, const char *))
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);

	memset(f, 0, sizeof(*f));
	f->respond = respond;
	pthread_mutex_init(&f->mu, NULL);
	if (cert) {
		f->ctx = SSL_CTX_new(TLS_server_method());
		assert_int_equal(SSL_CTX_use_certificate(f->ctx, cert->cert), 1);
		assert_int_equal(SSL_CTX_use_PrivateKey(f->ctx, cert->key), 1);
	}
	assert_true((f->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(f->lfd, 16), 0);
	getsockname(f->lfd, (struct sockaddr *)&a, &alen);
	f->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&f->th, NULL, fake_main, f), 0);
}

static void
fake_stop(struct fake *f)
{
	f->stop = 1;
	pthread_join(f->th, NULL);
	close(f->lfd);
	SSL_CTX_free(f->ctx);
	pthread_mutex_destroy(&f->mu);
}

static int
fake_nreq(struct fake *f)
{
	int n;

	pthread_mutex_lock(&f->mu);
	n = f->nreq;
	pthread_mutex_unlock(&f->mu);
	return n;
}

/* ---- the watch under test ----------------------------------------------------------- */

static struct pki ca1, ca2, srv1, srv2;	/* srv1 signed by ca1, srv2 by ca2 */
static struct fake fk;

struct seen {
	int relists, listed, objects, invalid;
	char invalid_err[600];		/* the first KW_INVALID's */
	int unreachable;		/* times it became unreachable */
	enum kwatch_state st;
	char err[600];
	char names[256];
};

static void
cb_relist(void *arg)
{
	((struct seen *)arg)->relists++;
}

static void
cb_object(enum kobj_type t, const json_t *obj, void *arg)
{
	struct seen *s = arg;
	const char *n = json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));

	s->objects++;
	snprintf(s->names + strlen(s->names), sizeof(s->names) - strlen(s->names), "%s%s ",
		 kobj_type_name(t), n ? n : "?");
}

static void
cb_listed(void *arg)
{
	((struct seen *)arg)->listed++;
}

static void
cb_state(enum kwatch_state st, const char *err, void *arg)
{
	struct seen *s = arg;

	s->unreachable += st == KW_UNREACHABLE && s->st != KW_UNREACHABLE;
	s->st = st;
	snprintf(s->err, sizeof(s->err), "%s", err);
	if (st == KW_INVALID && !s->invalid++)
		snprintf(s->invalid_err, sizeof(s->invalid_err), "%s", err);
}

static struct ev_loop *loop;
static struct ev_timer *tick_t;
static int want_requests;
static double deadline;
static int watch_seconds;			/* kwatch_opts.watch_seconds */
/* A test's own steps, every 10 ms while the watch runs; true stops it. */
static bool (*each_tick)(const struct seen *s);

static void
tick(struct ev_loop *l, void *arg)
{
	if (fake_nreq(&fk) >= want_requests || ev_now() > deadline || (each_tick && each_tick(arg)))
		ev_stop(l);
	else
		ev_timer_arm(tick_t, 0.01);
}

/* Watches https://127.0.0.1:<fake port> trusting ca until the fake has had
 * n requests or secs passed. */
static void
run_watch(const struct pki *ca, int n, double secs, struct seen *s)
{
	char server[64];
	char token[] = "tok";
	struct kubeconfig kc = { .ca = ca->pem, .ca_len = strlen(ca->pem), .token = token };
	struct kwatch_opts o = { .path = "/api/v1/nodes", .max_objects = 10,
				 .watch_seconds = watch_seconds };
	struct kwatch_cbs cbs = { cb_relist, cb_object, cb_listed, cb_state, s };
	struct kwatch *w;

	memset(s, 0, sizeof(*s));
	snprintf(server, sizeof(server), "https://127.0.0.1:%d", fk.port);
	snprintf(kc.server, sizeof(kc.server), "%s", server);
	loop = ev_new();
	assert_non_null(w = kwatch_new(loop, &kc, &o, &cbs));
	tick_t = ev_timer_new(loop, tick, s);
	want_requests = n;
	deadline = ev_now() + secs;
	ev_timer_arm(tick_t, 0.01);
	ev_run(loop);
	kwatch_free(w);
	ev_timer_free(tick_t);
	ev_free(loop);
}

#define PAGE(rv) "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n" \
	"{\"kind\":\"NodeList\",\"metadata\":{\"resourceVersion\":\"" rv "\"},\"items\":" \
	"[{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"9\"}}]}"
#define STREAM "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
#define STATUS(code, text) "HTTP/1.1 " #code " " text "\r\nContent-Type: application/json\r\n" \
	"Connection: close\r\n\r\n{\"kind\":\"Status\",\"message\":\"" text "\",\"code\":" #code "}"

static bool
is_watch(const char *line)
{
	return strstr(line, "watch=1") != NULL;
}

/* ---- 410 relists ----------------------------------------------------------------------- */

static const char *
resp_gone(int n, const char *line)
{
	static const char *const script[] = {
		PAGE("10"),
		STREAM "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,"
		"\"message\":\"too old resource version: 10 (20)\"}}\n",
		PAGE("20"),
		STATUS(410, "Gone"),
		PAGE("30"),
	};

	return n < 5 ? script[n] : STATUS(503, "enough");
}

static void
test_gone_relists(void **state)
{
	struct seen s;

	fake_start(&fk, &srv1, resp_gone);
	run_watch(&ca1, 6, 10, &s);
	fake_stop(&fk);
	assert_true(fk.nreq >= 6);
	assert_false(is_watch(fk.req[0]));
	assert_non_null(strstr(fk.req[1], "watch=1"));
	assert_non_null(strstr(fk.req[1], "resourceVersion=10 "));
	assert_false(is_watch(fk.req[2]));	/* ERROR 410 in the stream: relist */
	assert_non_null(strstr(fk.req[3], "resourceVersion=20 "));
	assert_false(is_watch(fk.req[4]));	/* HTTP 410: relist */
	assert_non_null(strstr(fk.req[5], "resourceVersion=30 "));
	assert_int_equal(s.relists, 3);
	assert_int_equal(s.listed, 3);
}

/* ---- a stream resumes where it ended -------------------------------------------------- */

static const char *
resp_resume(int n, const char *line)
{
	if (n == 0)
		return PAGE("10");
	if (n == 1)
		return STREAM "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"b\","
			"\"resourceVersion\":\"12\"}}}\n{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":"
			"{\"resourceVersion\":\"15\"}}}\n";
	return STATUS(503, "enough");
}

static void
test_resume(void **state)
{
	struct seen s;

	fake_start(&fk, &srv1, resp_resume);
	run_watch(&ca1, 3, 10, &s);
	fake_stop(&fk);
	assert_true(fk.nreq >= 3);
	assert_non_null(strstr(fk.req[2], "watch=1"));
	assert_non_null(strstr(fk.req[2], "resourceVersion=15 "));
	assert_string_equal(s.names, "ADDEDa ADDEDb ");
	assert_int_equal(s.relists, 1);
}

/* ---- a continue token too long for the URL --------------------------------------------- */

static const char *
resp_longcont(int n, const char *line)
{
	static char page[2000], tok[1001];

	if (n > 0)
		return PAGE("10");
	/* 1,000 '%' escape to 3,000 bytes: the 2,048-byte URL cannot hold them. */
	memset(tok, '%', sizeof(tok) - 1);
	snprintf(page, sizeof(page), "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		 "Connection: close\r\n\r\n{\"kind\":\"NodeList\",\"metadata\":{\"resourceVersion\":"
		 "\"9\",\"continue\":\"%s\"},\"items\":[]}", tok);
	return page;
}

/* Never a truncated URL: the list starts over from its first page, and the
 * cluster says why meanwhile. */
static void
test_long_continue(void **state)
{
	struct seen s;

	fake_start(&fk, &srv1, resp_longcont);
	run_watch(&ca1, 2, 10, &s);
	fake_stop(&fk);
	assert_true(fk.nreq >= 2);
	assert_null(strstr(fk.req[1], "continue="));
	assert_non_null(strstr(fk.req[1], "limit=500 "));
	assert_int_equal(s.invalid, 1);
	assert_non_null(strstr(s.invalid_err, "a continue token of 1000 bytes makes a URL longer "
			       "than 2048 bytes"));
}

/* ---- failures back off, growing ------------------------------------------------------- */

static const char *
resp_down(int n, const char *line)
{
	return STATUS(503, "down");
}

static void
test_backoff_grows(void **state)
{
	struct seen s;
	double g1, g3;

	fake_start(&fk, &srv1, resp_down);
	run_watch(&ca1, 4, 10, &s);
	fake_stop(&fk);
	assert_true(fk.nreq >= 4);
	g1 = fk.at[1] - fk.at[0];
	g3 = fk.at[3] - fk.at[2];
	/* Jittered between half and all of 0.5 s, then 1 s, then 2 s: the
	 * third wait is at least 1 s, however late the loop runs. */
	if (g3 < 0.9 || g3 <= g1)
		fail_msg("retries after %.2f s and %.2f s: the backoff does not grow", g1, g3);
	assert_int_equal(s.st, KW_UNREACHABLE);
	assert_non_null(strstr(s.err, "HTTP 503: down"));
}

/* ---- the watch's health: idle is fine, frozen is found, loops back off ------------------- */

#define EMPTY(code, text) "HTTP/1.1 " #code " " text "\r\nContent-Length: 0\r\n" \
	"Connection: close\r\n\r\n"

static int
watches(struct fake *f)
{
	int n = 0;

	for (int i = 0; i < f->nreq; i++)
		n += is_watch(f->req[i]);
	return n;
}

static const char *
resp_idle(int n, const char *line)
{
	return n == 0 ? PAGE("10") : STREAM;	/* nothing to say, until the timeout */
}

/* A server without events ends each watch at its timeoutSeconds with an
 * empty 200 (no bookmark either): no failure — it read as "unreachable: HTTP
 * 200" every 300 s. */
static void
test_idle_watch_synced(void **state)
{
	struct seen s;

	fake_start(&fk, &srv1, resp_idle);
	fk.linger = 1;
	watch_seconds = 1;
	run_watch(&ca1, 99, 3.6, &s);
	watch_seconds = 0;
	fake_stop(&fk);
	assert_int_equal(s.unreachable, 0);
	assert_int_equal(s.st, KW_SYNCED);
	assert_true(fk.nreq >= 4);
	for (int i = 1; i < fk.nreq; i++)	/* resumed each time, never relisted */
		assert_non_null(strstr(fk.req[i], "resourceVersion=10 "));
}

static double frozen_at, found_at, thawed_at;

/* Freezes the server once synced; thaws it a second after the watch found
 * out; stops once synced again. */
static bool
freeze_steps(const struct seen *s)
{
	double now = ev_now();

	if (!frozen_at && s->st == KW_SYNCED && fk.nreq >= 2) {
		frozen_at = now;
		fk.frozen = 1;
	} else if (frozen_at && !found_at && s->st == KW_UNREACHABLE) {
		found_at = now;
	} else if (found_at && !thawed_at && now - found_at > 1) {
		thawed_at = now;
		fk.frozen = 0;
	}
	return thawed_at && s->st == KW_SYNCED;
}

/* A frozen (SIGSTOPped, black-holed) server: the open watch neither ends nor
 * speaks, and is dead once 5/4 of its timeout has passed; synced again as
 * soon as a watch answers. */
static void
test_frozen_server(void **state)
{
	struct seen s;

	fake_start(&fk, &srv1, resp_idle);
	fk.linger = 2;
	watch_seconds = 2;
	each_tick = freeze_steps;
	frozen_at = found_at = thawed_at = 0;
	run_watch(&ca1, 99, 15, &s);
	each_tick = NULL;
	watch_seconds = 0;
	fake_stop(&fk);
	/* 2 s + a quarter rounded up from the watch's start, before the freeze. */
	if (!found_at || found_at - frozen_at > 3.3)
		fail_msg("unreachable %.2f s after the freeze", found_at ? found_at - frozen_at : -1);
	if (s.st != KW_SYNCED || ev_now() - thawed_at > 2)
		fail_msg("not synced soon after the server came back: %s %s",
			 kwatch_state_name(s.st), s.err);
	assert_int_equal(s.unreachable, 1);
}

static const char *
resp_gone_list(int n, const char *line)
{
	return STATUS(410, "Gone");
}

static const char *
resp_gone_watch(int n, const char *line)
{
	return !is_watch(line) ? PAGE("10") : STREAM "{\"type\":\"ERROR\",\"object\":{\"kind\":"
		"\"Status\",\"code\":410,\"message\":\"too old resource version\"}}\n";
}

static const char *
resp_error_watch(int n, const char *line)
{
	return !is_watch(line) ? PAGE("10") : STREAM "{\"type\":\"ERROR\",\"object\":{\"kind\":"
		"\"Status\",\"code\":500,\"message\":\"internal error\"}}\n";
}

/* Loops that were tight: 410 on every list (227 requests in 10 s); lists
 * that work and ERROR 410 on every watch — a list is no progress (424 in
 * 10 s); every watch a 200 and then ERROR 500 — the 200 is no progress
 * (retried every 0.25-0.5 s).  Each retried at once once, then with the
 * backoff: 0.25-0.5 s, 0.5-1 s, 1-2 s, 2-4 s. */
static void
test_loops_back_off(void **state)
{
	static const struct {
		const char *(*respond)(int, const char *);
		bool watches;		/* count watches, else all requests */
		int min, max;		/* in 4 s */
		const char *err;
	} t[] = {
		{ resp_gone_list, false, 2, 6, "410 Gone again before any progress" },
		{ resp_gone_watch, false, 4, 12, "" },
		{ resp_error_watch, true, 3, 5, "watch ERROR 500: internal error" },
	};
	struct seen s;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int n;

		fake_start(&fk, &srv1, t[i].respond);
		run_watch(&ca1, 99, 4, &s);
		fake_stop(&fk);
		n = t[i].watches ? watches(&fk) : fk.nreq;
		if (n < t[i].min || n > t[i].max)
			fail_msg("case %zu: %d %s in 4 s", i, n, t[i].watches ? "watches" : "requests");
		assert_non_null(strstr(s.err, t[i].err));
	}
}

static const char *
resp_empty(int n, const char *line, const char *then)
{
	if (n == 0)
		return PAGE("10");
	if (n == 1)
		return STREAM "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":"
			"{\"resourceVersion\":\"15\"}}}\n";
	return !is_watch(line) ? PAGE("20") : then;
}

static const char *
resp_empty_500(int n, const char *line)
{
	return resp_empty(n, line, EMPTY(500, "Internal Server Error"));
}

static const char *
resp_empty_410(int n, const char *line)
{
	return resp_empty(n, line, EMPTY(410, "Gone"));
}

static const char *
resp_empty_nothing(int n, const char *line)
{
	return resp_empty(n, line, "");
}

static bool
until_unreachable(const struct seen *s)
{
	return s->st == KW_UNREACHABLE;
}

/* After a good watch, an error with an empty body is no clean end: a 500
 * is a failure, a 410 relists, and no answer at all is that. */
static void
test_empty_error_body(void **state)
{
	struct seen s;

	fake_start(&fk, &srv1, resp_empty_500);
	each_tick = until_unreachable;
	run_watch(&ca1, 99, 3, &s);
	each_tick = NULL;
	fake_stop(&fk);
	assert_int_equal(s.st, KW_UNREACHABLE);
	assert_non_null(strstr(s.err, "HTTP 500"));
	assert_non_null(strstr(fk.req[2], "resourceVersion=15 "));

	fake_start(&fk, &srv1, resp_empty_410);
	run_watch(&ca1, 4, 3, &s);
	fake_stop(&fk);
	assert_true(fk.nreq >= 4);
	assert_true(is_watch(fk.req[2]));
	assert_false(is_watch(fk.req[3]));
	assert_int_equal(s.relists, 2);

	/* Nothing at all: no answer, whatever the watch before said. */
	fake_start(&fk, &srv1, resp_empty_nothing);
	each_tick = until_unreachable;
	run_watch(&ca1, 99, 3, &s);
	each_tick = NULL;
	fake_stop(&fk);
	assert_int_equal(s.st, KW_UNREACHABLE);
	assert_non_null(strstr(s.err, "no answer"));
}

/* ---- whom it trusts, and what it says when nothing answers ------------------------------ */

static const char *
resp_page(int n, const char *line)
{
	return PAGE("10");
}

/* A server whose certificate a system CA signed (ca2, as a public CA would
 * be in /etc/ssl/certs) is not the API: only the kubeconfig's CA is trusted. */
static void
test_only_its_ca(void **state)
{
	char dir[] = "/tmp/podreach-test-ca.XXXXXX", file[128], hashed[128], url[64];
	CURLcode r[4] = { CURLE_OK, CURLE_OK, CURLE_OK, CURLE_OK };
	struct seen s;
	FILE *fp;
	CURL *e;

	fake_start(&fk, &srv2, resp_page);
	/* libcurl's compiled-in defaults, pointed at ca2 as a file and as a
	 * hashed directory. */
	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/bundle.crt", dir);
	snprintf(hashed, sizeof(hashed), "%s/%08lx.0", dir, X509_subject_name_hash(ca2.cert));
	assert_non_null(fp = fopen(file, "w"));
	fputs(ca2.pem, fp);
	fclose(fp);
	assert_int_equal(symlink(file, hashed), 0);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/api/v1/nodes", fk.port);
	for (int i = 0; i < 4; i++) {
		struct curl_blob blob = { ca1.pem, strlen(ca1.pem), CURL_BLOB_COPY };
		struct curlev_body body = { .max = 0 };

		assert_non_null(e = curl_easy_init());
		curl_easy_setopt(e, CURLOPT_URL, url);
		curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, curlev_body_write);
		curl_easy_setopt(e, CURLOPT_WRITEDATA, &body);
		curl_easy_setopt(e, i % 2 ? CURLOPT_CAPATH : CURLOPT_CAINFO, i % 2 ? dir : file);
		if (i < 2)
			r[i] = curlev_trust_only(e, ca1.pem, strlen(ca1.pem), NULL);
		else		/* the blob alone, as before */
			curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &blob);
		if (r[i] == CURLE_OK)
			r[i] = curl_easy_perform(e);
		curl_easy_cleanup(e);
	}
	unlink(hashed);
	unlink(file);
	rmdir(dir);
	for (int i = 0; i < 2; i++)
		if (r[i] != CURLE_PEER_FAILED_VERIFICATION)
			fail_msg("trusted a CA from CURLOPT_%s: %s", i ? "CAPATH" : "CAINFO",
				 curl_easy_strerror(r[i]));
	/* The control: the blob alone leaves CAPATH trusted (libcurl 7.88 drops
	 * CAINFO for a blob; CAPATH, /etc/ssl/certs by default, it keeps). */
	if (r[3] != CURLE_WRITE_ERROR)
		fail_msg("the control did not reach the server: %s", curl_easy_strerror(r[3]));
	run_watch(&ca1, 2, 3, &s);
	fake_stop(&fk);
	assert_int_equal(s.st, KW_UNREACHABLE);
	assert_int_equal(s.relists, 0);
}

/* Refused, not TLS, or TLS from another CA: one and the same message, so
 * that a Secret naming any host:port cannot scan through /v1/status. */
static void
test_no_answer_uniform(void **state)
{
	char want[3][300];
	struct seen s;
	int fd;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);

	fake_start(&fk, &srv2, resp_page);		/* another CA */
	run_watch(&ca1, 99, 1, &s);
	fake_stop(&fk);
	snprintf(want[0], sizeof(want[0]), "%s", s.err + strcspn(s.err, " "));
	fake_start(&fk, NULL, resp_page);		/* open, not TLS */
	run_watch(&ca1, 99, 1, &s);
	fake_stop(&fk);
	snprintf(want[1], sizeof(want[1]), "%s", s.err + strcspn(s.err, " "));
	/* Closed: a port bound and not listening. */
	assert_true((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	getsockname(fd, (struct sockaddr *)&a, &alen);
	fk.port = ntohs(a.sin_port);
	run_watch(&ca1, 99, 1, &s);
	close(fd);
	snprintf(want[2], sizeof(want[2]), "%s", s.err + strcspn(s.err, " "));
	assert_int_equal(s.st, KW_UNREACHABLE);
	assert_non_null(strstr(want[0], "no answer"));
	assert_string_equal(want[0], want[1]);
	assert_string_equal(want[0], want[2]);
}

static int
setup(void **state)
{
	/* The fake writes to connections the watch has given up on. */
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	pki_make(&ca1, "kubeconfig-ca", NULL);
	pki_make(&ca2, "system-ca", NULL);
	pki_make(&srv1, "api", &ca1);
	pki_make(&srv2, "impostor", &ca2);
	return 0;
}

static int
teardown(void **state)
{
	pki_free(&ca1);
	pki_free(&ca2);
	pki_free(&srv1);
	pki_free(&srv2);
	curl_global_cleanup();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gone_relists),
		cmocka_unit_test(test_resume),
		cmocka_unit_test(test_long_continue),
		cmocka_unit_test(test_backoff_grows),
		cmocka_unit_test(test_idle_watch_synced),
		cmocka_unit_test(test_frozen_server),
		cmocka_unit_test(test_loops_back_off),
		cmocka_unit_test(test_empty_error_body),
		cmocka_unit_test(test_only_its_ca),
		cmocka_unit_test(test_no_answer_uniform),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
