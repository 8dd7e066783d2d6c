#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/core/kubeconfig.h"
#include "agent/io/curlev.h"
#include "agent/io/ev.h"
#include "agent/io/kwatch.h"
#include "agent/io/log.h"

#define KW_PAGE 500			/* objects per list page */
/* The server ends a watch after this and we resume.  Short, so that a
 * server that stops answering (frozen, or its packets black-holed) is found
 * within KW_WATCH_SECONDS * 5 / 4: a watch that neither ended nor said
 * anything by then is dead — bookmarks cannot tell us sooner, a server
 * without events sends none but the one just before its deadline. */
#define KW_WATCH_SECONDS 20
#define KW_BACKOFF_MIN 0.5
#define KW_BACKOFF_MAX 30.0
#define KW_ERR_BODY (64 * 1024)
#define KW_NO_ANSWER "no answer (refused, timed out, or not TLS with the kubeconfig's CA; " \
	"the agent's log says which)"

enum kw_phase { KW_LIST, KW_WATCH };

struct kwatch {
	struct ev_loop *loop;
	struct curlev *cev;
	struct ev_timer *retry;
	CURL *easy;
	struct curl_slist *hdrs;
	struct kwatch_cbs cbs;
	char server[512], path[256], selector[256], token_file[4096];
	char *ca, *cert, *key, *token;
	size_t ca_len, cert_len, key_len;
	size_t max_objects, listed;
	enum kw_phase phase;
	char rv[KOBJ_RV_MAX];		/* the last version seen: where a watch resumes */
	char cont[KOBJ_CONTINUE_MAX];	/* the next list page */
	struct curlev_body body;	/* a list page, or an error's Status */
	char *line;			/* the watch stream's partial line */
	size_t llen;
	bool relist;			/* 410 Gone: the next request lists */
	bool status_known;		/* the watch's HTTP status was checked */
	char abort_why[256];		/* why we ended a stream ourselves */
	enum kwatch_state st;
	char err[512];
	bool watch_ok;			/* this watch answered 200 */
	bool again;			/* retried at once since the last progress */
	int watch_s;			/* timeoutSeconds of a watch */
	bool page_first;		/* this list page is the first */
	double started;			/* ev_now() of the request */
	char cerr[CURL_ERROR_SIZE];
	char why_logged[CURL_ERROR_SIZE];	/* the last failure logged */
	size_t lcap;
	double backoff;
	unsigned long requests;
};

static const char *const kw_state_names[] = { "syncing", "synced", "unreachable", "forbidden",
					      "invalid" };

const char *
kwatch_state_name(enum kwatch_state st)
{
	return (unsigned)st < 5 ? kw_state_names[st] : "?";
}

unsigned long
kwatch_requests(const struct kwatch *w)
{
	return w ? w->requests : 0;
}

static void __attribute__((format(printf, 3, 4)))
kw_state(struct kwatch *w, enum kwatch_state st, const char *fmt, ...)
{
	char err[sizeof(w->err)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, sizeof(err), fmt, ap);
	va_end(ap);
	if (st == KW_SYNCED)
		w->why_logged[0] = '\0';	/* the next failure is news */
	if (st == w->st && !strcmp(err, w->err))
		return;
	w->st = st;
	snprintf(w->err, sizeof(w->err), "%s", err);
	if (w->cbs.state)
		w->cbs.state(st, w->err, w->cbs.arg);
}

/* Full jitter between half the backoff and all of it; doubling to the cap. */
static void
kw_retry_later(struct kwatch *w)
{
	double j = 0.5 + (double)(random() % 1000) / 2000.0;

	w->backoff = w->backoff ? w->backoff * 2 : KW_BACKOFF_MIN;
	if (w->backoff > KW_BACKOFF_MAX)
		w->backoff = KW_BACKOFF_MAX;
	ev_timer_arm(w->retry, w->backoff * j);
}

static void kw_start(struct kwatch *w);

/* A watch delivered something or lived a while: the API works, so the next
 * failure is retried from the shortest backoff again.  Not on a 200 alone,
 * nor on a list: a server that accepts and then fails, or answers 410 to
 * every watch, would be retried in a tight loop. */
static void
kw_progress(struct kwatch *w)
{
	w->backoff = 0;
	w->again = false;
}

/* A 410 (relist) or a watch ended early: once at once, as after a healthy
 * watch this is routine, then only after the backoff, saying why. */
static void
kw_again(struct kwatch *w, const char *why)
{
	if (w->again) {
		kw_state(w, w->st, "%s%s: %s again before any progress: retried with backoff",
			 w->server, w->path, why);
		kw_retry_later(w);
		return;
	}
	w->again = true;
	kw_start(w);
}

/* The message of a Status body, else "HTTP <code>". */
static void
kw_status_message(const struct kwatch *w, long code, char *out, size_t len)
{
	json_t *st = w->body.buf ? json_loadb(w->body.buf, w->body.len, 0, NULL) : NULL;
	const char *m = json_string_value(json_object_get(st, "message"));

	snprintf(out, len, "HTTP %ld%s%.300s", code, m ? ": " : "", m ? m : "");
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	json_decref(st);
}

/* The token: the file's current contents when one is named. */
static bool
kw_token(struct kwatch *w, char *hdr, size_t len)
{
	char tok[KUBECONFIG_MAX_TOKEN + 1];
	FILE *f;
	size_t n;

	if (!w->token_file[0]) {
		if (w->token)
			snprintf(hdr, len, "Authorization: Bearer %s", w->token);
		return true;
	}
	if (!(f = fopen(w->token_file, "re")))
		return false;
	n = fread(tok, 1, sizeof(tok) - 1, f);
	fclose(f);
	tok[n] = '\0';
	tok[strcspn(tok, "\r\n")] = '\0';
	snprintf(hdr, len, "Authorization: Bearer %s", tok);
	return tok[0] != '\0';
}

static size_t kw_list_write(char *data, size_t size, size_t nmemb, void *arg);
static size_t kw_watch_write(char *data, size_t size, size_t nmemb, void *arg);

/* The request's URL into url; false when it does not fit (a continue token
 * or selector that long) or escaping ran out of memory: never a truncated
 * URL, which would ask for a page the server never offered. */
static bool
kw_url(struct kwatch *w, CURL *e, char *url, size_t len)
{
	char *sel = w->selector[0] ? curl_easy_escape(e, w->selector, 0) : NULL;
	char *cont = w->cont[0] ? curl_easy_escape(e, w->cont, 0) : NULL;
	int n;

	if (w->phase == KW_LIST)
		n = snprintf(url, len, "%s%s?limit=%d%s%s%s%s", w->server, w->path, KW_PAGE,
			     cont ? "&continue=" : "", cont ? cont : "", sel ? "&labelSelector=" : "",
			     sel ? sel : "");
	else
		n = snprintf(url, len, "%s%s?watch=1&allowWatchBookmarks=true&timeoutSeconds=%d"
			     "&resourceVersion=%s%s%s", w->server, w->path, w->watch_s, w->rv,
			     sel ? "&labelSelector=" : "", sel ? sel : "");
	curl_free(sel);
	curl_free(cont);
	return n >= 0 && (size_t)n < len && (!w->selector[0] || sel) &&
	       (w->phase != KW_LIST || !w->cont[0] || cont);
}

static bool
kw_tls(struct kwatch *w, CURL *e)
{
	if (curlev_trust_only(e, w->ca, w->ca_len, NULL) != CURLE_OK)
		return false;
	if (w->cert && w->key) {
		struct curl_blob cert = { w->cert, w->cert_len, CURL_BLOB_COPY };
		struct curl_blob key = { w->key, w->key_len, CURL_BLOB_COPY };

		curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &cert);
		curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
		curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &key);
		curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
	}
	return true;
}

/* The request's headers into w->hdrs; false when out of memory.  A failed
 * curl_slist_append leaves the list it was given to us: freed, not lost. */
static bool
kw_headers(struct kwatch *w, const char *auth)
{
	struct curl_slist *h;

	curl_slist_free_all(w->hdrs);
	w->hdrs = curl_slist_append(NULL, "Accept: application/json");
	if (!w->hdrs || !auth[0])
		return w->hdrs != NULL;
	if (!(h = curl_slist_append(w->hdrs, auth))) {
		curl_slist_free_all(w->hdrs);
		w->hdrs = NULL;
		return false;
	}
	w->hdrs = h;
	return true;
}

/* The end of the head: a watch that answers 200 is back, whether or not it
 * has anything to say yet. */
static size_t
kw_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct kwatch *w = arg;
	size_t n = size * nmemb;
	long code = 0;

	if (w->phase != KW_WATCH || w->status_known || (n != 2 && n != 1) || data[n - 1] != '\n')
		return n;
	curl_easy_getinfo(w->easy, CURLINFO_RESPONSE_CODE, &code);
	if (code / 100 == 1)
		return n;	/* an interim head; the real one follows */
	w->status_known = true;
	w->watch_ok = code == 200;
	if (w->watch_ok)
		kw_state(w, KW_SYNCED, "%s", "");
	return n;
}

/* How long a request may take: a list that sends nothing for the watch's
 * deadline, a watch past its end by a quarter, are the API gone silent. */
static void
kw_deadlines(struct kwatch *w, CURL *e)
{
	long stall = w->watch_s + (w->watch_s + 3) / 4;

	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	/* A silent peer (host gone, no RST) is also found by keepalives. */
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPIDLE, 10L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPINTVL, 5L);
	if (w->phase == KW_LIST) {
		curl_easy_setopt(e, CURLOPT_TIMEOUT, 60L);
		curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, stall);
	} else {
		curl_easy_setopt(e, CURLOPT_TIMEOUT, stall);
	}
}

/* Starts the next request: a list page, or a watch from w->rv. */
static void
kw_start(struct kwatch *w)
{
	char url[2048], auth[KUBECONFIG_MAX_TOKEN + 64] = "";
	CURL *e;

	if (w->relist || !w->rv[0])
		w->phase = KW_LIST;
	w->relist = false;
	if (!kw_token(w, auth, sizeof(auth))) {
		kw_state(w, KW_FORBIDDEN, "no token in %s", w->token_file);
		kw_retry_later(w);
		return;
	}
	if (!kw_headers(w, auth) || !(e = curl_easy_init())) {
		kw_retry_later(w);
		return;
	}
	if (!kw_url(w, e, url, sizeof(url))) {
		curl_easy_cleanup(e);
		kw_state(w, KW_INVALID, "%s%s: a continue token of %zu bytes makes a URL longer than "
			 "%zu bytes: listing again from the first page", w->server, w->path,
			 strlen(w->cont), sizeof(url));
		w->cont[0] = '\0';
		w->listed = 0;
		kw_retry_later(w);
		return;
	}
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, w->hdrs);
	curl_easy_setopt(e, CURLOPT_PRIVATE, w);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
	kw_deadlines(w, e);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, kw_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, w);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION,
			 w->phase == KW_LIST ? kw_list_write : kw_watch_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, w);
	if (!kw_tls(w, e)) {
		curl_easy_cleanup(e);
		kw_state(w, KW_INVALID, "%s: libcurl cannot trust the kubeconfig's CA alone",
			 w->server);
		kw_retry_later(w);
		return;
	}
	free(w->body.buf);
	w->body = (struct curlev_body){ .max = w->phase == KW_LIST ? KOBJ_MAX_PAGE : KW_ERR_BODY };
	w->llen = 0;
	w->status_known = false;
	w->watch_ok = false;	/* an error with an empty body is no clean end */
	w->abort_why[0] = '\0';
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, w->cerr);
	w->cerr[0] = '\0';
	w->page_first = !w->cont[0];
	if (w->phase == KW_LIST && w->page_first)
		w->listed = 0;
	w->started = ev_now();
	w->easy = e;
	w->requests++;
	if (curl_multi_add_handle(curlev_multi(w->cev), e) != CURLM_OK) {
		curl_easy_cleanup(e);
		w->easy = NULL;
		kw_retry_later(w);
	}
}

static void
kw_on_retry(struct ev_loop *loop, void *arg)
{
	kw_start(arg);
}

static size_t
kw_list_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct kwatch *w = arg;

	return curlev_body_write(data, size, nmemb, &w->body);
}

/* One line of the watch stream; false ends the stream. */
static bool
kw_event(struct kwatch *w)
{
	struct kobj_event ev;
	char err[256];

	if (w->llen == 0)
		return true;
	if (!kobj_parse_event(w->line, w->llen, &ev, err, sizeof(err))) {
		/* An event may be lost: only a new list is sure to be complete. */
		snprintf(w->abort_why, sizeof(w->abort_why), "%s", err);
		w->relist = true;
		return false;
	}
	if (ev.type == KOBJ_ERROR) {
		if (ev.code == 410)
			w->relist = true;	/* our version is too old: relist */
		else
			snprintf(w->abort_why, sizeof(w->abort_why), "watch ERROR %d: %s", ev.code,
				 ev.message);
		kobj_event_free(&ev);
		return false;
	}
	if (ev.type != KOBJ_BOOKMARK && w->cbs.object)
		w->cbs.object(ev.type, ev.object, w->cbs.arg);
	if (ev.rv[0] && strcmp(ev.rv, w->rv)) {
		snprintf(w->rv, sizeof(w->rv), "%s", ev.rv);
		kw_progress(w);
	}
	kobj_event_free(&ev);
	return true;
}

static bool
kw_append(struct kwatch *w, const char *data, size_t n)
{
	if (w->llen + n > KOBJ_MAX_EVENT) {
		snprintf(w->abort_why, sizeof(w->abort_why), "a watch event larger than %d bytes",
			 KOBJ_MAX_EVENT);
		w->relist = true;
		return false;
	}
	if (w->llen + n + 1 > w->lcap) {
		size_t cap = w->lcap ? w->lcap : 4096;
		char *nl;

		while (cap < w->llen + n + 1)
			cap *= 2;
		if (cap > KOBJ_MAX_EVENT + 1)
			cap = KOBJ_MAX_EVENT + 1;
		if (!(nl = realloc(w->line, cap)))
			return false;
		w->line = nl;
		w->lcap = cap;
	}
	memcpy(w->line + w->llen, data, n);
	w->llen += n;
	return true;
}

/* The stream, split into lines: one JSON event each. */
static size_t
kw_watch_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct kwatch *w = arg;
	size_t n = size * nmemb, i = 0;

	if (!w->status_known) {
		long code = 0;

		curl_easy_getinfo(w->easy, CURLINFO_RESPONSE_CODE, &code);
		w->status_known = true;
		w->watch_ok = code == 200;
		if (w->watch_ok)
			kw_state(w, KW_SYNCED, "%s", "");
	}
	if (!w->watch_ok)
		return curlev_body_write(data, size, nmemb, &w->body);
	while (i < n) {
		const char *nl = memchr(data + i, '\n', n - i);
		size_t take = nl ? (size_t)(nl - (data + i)) : n - i;

		if (!kw_append(w, data + i, take))
			return 0;
		i += take;
		if (nl) {
			i++;
			if (!kw_event(w))
				return 0;
			w->llen = 0;
		}
	}
	return n;
}

/* No HTTP answer at all.  The state says only that: anyone who may write a
 * remote Secret names any host:port, and /v1/status is open, so refused,
 * timed out and "not TLS from this CA" must read the same there.  curl's
 * words go to the agent's log, once per change. */
static void
kw_unreachable(struct kwatch *w, CURLcode res)
{
	const char *why = w->cerr[0] ? w->cerr : curl_easy_strerror(res);

	if (strcmp(why, w->why_logged)) {
		log_info("%s%s: %s", w->server, w->path, why);
		snprintf(w->why_logged, sizeof(w->why_logged), "%s", why);
	}
	kw_state(w, KW_UNREACHABLE, "%s: %s", w->server, KW_NO_ANSWER);
}

/* A non-200 answer: who may not, or what failed; then retry. */
static void
kw_http_error(struct kwatch *w, long code)
{
	char msg[400];

	kw_status_message(w, code, msg, sizeof(msg));
	if (code == 410) {		/* a continue token or version expired */
		w->cont[0] = '\0';
		w->relist = true;
		kw_again(w, "410 Gone");
		return;
	}
	if (code == 401 || code == 403)
		kw_state(w, KW_FORBIDDEN, "%s%s: %s", w->server, w->path, msg);
	else
		kw_state(w, KW_UNREACHABLE, "%s%s: %s", w->server, w->path, msg);
	kw_retry_later(w);
}

/* One page, its items decoded one at a time; false with why in err. */
static bool
kw_list_items(struct kwatch *w, struct kobj_list *l, char *err, size_t errlen)
{
	json_t *it;
	int r;

	if (w->page_first && w->cbs.relist)
		w->cbs.relist(w->cbs.arg);
	while ((r = kobj_list_next(l, &it, err, errlen)) > 0) {
		if (w->cbs.object)
			w->cbs.object(KOBJ_ADDED, it, w->cbs.arg);
		json_decref(it);
	}
	return r == 0;
}

static void
kw_list_page(struct kwatch *w, const char *rv, const char *cont)
{
	snprintf(w->cont, sizeof(w->cont), "%s", cont);
	if (cont[0]) {
		kw_start(w);		/* the next page */
		return;
	}
	snprintf(w->rv, sizeof(w->rv), "%s", rv);
	w->listed = 0;
	if (w->cbs.listed)
		w->cbs.listed(w->cbs.arg);
	kw_state(w, KW_SYNCED, "%s", "");
	w->phase = KW_WATCH;
	kw_start(w);
}

static void
kw_list_done(struct kwatch *w, CURLcode res, long code)
{
	char rv[KOBJ_RV_MAX], cont[KOBJ_CONTINUE_MAX], err[300];
	struct kobj_list l;

	if (res != CURLE_OK && !w->body.too_big && !code) {
		kw_unreachable(w, res);
	} else if (res != CURLE_OK && !w->body.too_big) {
		kw_state(w, KW_UNREACHABLE, "%s: %s", w->server,
			 w->cerr[0] ? w->cerr : curl_easy_strerror(res));
	} else if (code != 200 && !w->body.too_big) {
		kw_http_error(w, code);
		return;
	} else if (w->body.too_big ? (snprintf(err, sizeof(err), "a list page larger than %d MiB",
					       KOBJ_MAX_PAGE >> 20), true) :
		   !kobj_list_open(w->body.buf ? w->body.buf : "", w->body.len, &l, rv, cont, err,
				   sizeof(err))) {
		kw_state(w, KW_INVALID, "%s%s: %s", w->server, w->path, err);
	} else if ((w->listed += l.n) > w->max_objects) {
		kw_state(w, KW_INVALID, "%s%s: more than %zu objects", w->server, w->path,
			 w->max_objects);
	} else if (!kw_list_items(w, &l, err, sizeof(err))) {
		kw_state(w, KW_INVALID, "%s%s: %s", w->server, w->path, err);
	} else {
		kw_list_page(w, rv, cont);
		return;
	}
	w->cont[0] = '\0';
	w->listed = 0;
	kw_retry_later(w);
}

static void
kw_watch_done(struct kwatch *w, CURLcode res, long code)
{
	if (!w->watch_ok && code != 200) {
		if (code)
			kw_http_error(w, code);
		else {
			kw_unreachable(w, res);
			kw_retry_later(w);
		}
		return;
	}
	if (w->abort_why[0]) {
		kw_state(w, w->relist ? KW_INVALID : KW_UNREACHABLE, "%s%s: %s", w->server, w->path,
			 w->abort_why);
		kw_retry_later(w);
	} else if (w->relist) {
		kw_again(w, "watch ERROR 410");	/* our version is too old */
	} else if (res == CURLE_OPERATION_TIMEDOUT) {
		kw_state(w, KW_UNREACHABLE, "%s: no answer for %.0f s (a watch ends every %d s): "
			 "the API server is stopped, or its packets are lost", w->server,
			 ev_now() - w->started, w->watch_s);
		kw_retry_later(w);
	} else if (res != CURLE_OK) {
		kw_state(w, KW_UNREACHABLE, "%s: %s", w->server,
			 w->cerr[0] ? w->cerr : curl_easy_strerror(res));
		kw_retry_later(w);
	} else if (ev_now() - w->started >= w->watch_s / 4.0) {
		kw_progress(w);		/* the server ended it in time: resume */
		kw_start(w);
	} else {
		kw_again(w, "a watch ended as soon as it began");
	}
}

static void
kw_done(CURL *e, CURLcode res, void *arg)
{
	struct kwatch *w = arg;
	long code = 0;

	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
	curl_multi_remove_handle(curlev_multi(w->cev), e);
	curl_easy_cleanup(e);
	w->easy = NULL;
	if (w->phase == KW_LIST)
		kw_list_done(w, res, code);
	else
		kw_watch_done(w, res, code);
}

static char *
kw_dup(const char *p, size_t len)
{
	char *d;

	if (!p)
		return NULL;
	if ((d = malloc(len + 1))) {
		memcpy(d, p, len);
		d[len] = '\0';
	}
	return d;
}

struct kwatch *
kwatch_new(struct ev_loop *loop, const struct kubeconfig *kc, const struct kwatch_opts *o,
	   const struct kwatch_cbs *cbs)
{
	struct kwatch *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->loop = loop;
	w->cbs = *cbs;
	w->max_objects = o->max_objects;
	w->watch_s = o->watch_seconds > 0 ? o->watch_seconds : KW_WATCH_SECONDS;
	snprintf(w->server, sizeof(w->server), "%s", kc->server);
	snprintf(w->path, sizeof(w->path), "%s", o->path);
	snprintf(w->selector, sizeof(w->selector), "%s", o->selector ? o->selector : "");
	snprintf(w->token_file, sizeof(w->token_file), "%s", o->token_file ? o->token_file : "");
	w->ca = kw_dup(kc->ca, w->ca_len = kc->ca_len);
	w->cert = kw_dup(kc->cert, w->cert_len = kc->cert_len);
	w->key = kw_dup(kc->key, w->key_len = kc->key_len);
	w->token = kc->token ? strdup(kc->token) : NULL;
	w->cev = curlev_new(loop, kw_done, w);
	w->retry = ev_timer_new(loop, kw_on_retry, w);
	if (!w->ca || (kc->cert && (!w->cert || !w->key)) || (kc->token && !w->token) ||
	    !w->cev || !w->retry) {
		kwatch_free(w);
		errno = ENOMEM;
		return NULL;
	}
	w->phase = KW_LIST;
	/* Started from the loop, not from here: the caller may still be
	 * setting up what the callbacks touch. */
	ev_timer_arm(w->retry, 1e-6);
	return w;
}

void
kwatch_free(struct kwatch *w)
{
	if (!w)
		return;
	if (w->easy) {
		curl_multi_remove_handle(curlev_multi(w->cev), w->easy);
		curl_easy_cleanup(w->easy);
	}
	curlev_free(w->cev);
	ev_timer_free(w->retry);
	curl_slist_free_all(w->hdrs);
	free(w->body.buf);
	free(w->line);
	free(w->ca);
	free(w->cert);
	free(w->key);
	if (w->token)
		explicit_bzero(w->token, strlen(w->token));
	free(w->token);
	free(w);
}
