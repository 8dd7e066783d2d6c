/*
 * The matrix, the agent's side: where its nodes come from, its own row, the
 * other agents' rows fetched from their /v1/row with libcurl's multi
 * interface in our loop, and the bodies of /v1/matrix, /v1/row, /ui and /.
 *
 * Rows are fetched once per --interval and only while someone looks at the
 * matrix (a /v1/matrix request keeps them going for a while): n agents each
 * fetching n-1 rows every interval would otherwise cost n^2 requests for a
 * page nobody opened.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/core/cfg.h"
#include "agent/core/diag.h"
#include "agent/daemon/agent.h"
#include "agent/daemon/matrix.h"
#include "agent/io/curlev.h"
#include "agent/io/ev.h"

#include "ui_html.h"	/* ui_html[]: agent/daemon/ui.html as a C string (Makefile) */

#define MX_WANTED_MIN 60	/* seconds rows keep being fetched after a look */
#define MX_WANTED_ROUNDS 10	/* ... or this many intervals, if longer */

struct fetch {
	char agent[24];		/* "ip:port" */
	enum mx_row_state state;	/* PENDING, OK, UNREACHABLE, INVALID */
	char error[200];
	double fetched_at;	/* ev_now() of the answer */
	struct mx_row row;	/* OK only */
	bool busy, used;
};

struct xfer {
	struct matrix *m;
	char agent[24];
	struct curlev_body body;
	CURL *easy;
	struct xfer *next, **pprev;
};

struct matrix {
	struct agent *a;
	struct curlev *curl;
	CURLM *multi;
	struct ev_timer *timer;
	bool armed;
	double wanted_until;
	struct fetch *f[MX_MAX_NODES];
	size_t nf;
	struct xfer *inflight;
};

/* ---- nodes: the one source -------------------------------------------------------------- */

static void
add_self(const struct agent *a, struct mx_node *out)
{
	const struct cfg *c = a->cfg;
	uint32_t gw = kview_local_in(&a->kv, c->pod_cidrs.v, c->pod_cidrs.n);

	*out = (struct mx_node){ .node_ip = c->node_ip, .cidrs = c->pod_cidrs.v,
				 .ncidrs = c->pod_cidrs.n, .self = true, .seen = 1e300 };
	snprintf(out->cluster, sizeof(out->cluster), "%.63s", c->cluster);
	snprintf(out->name, sizeof(out->name), "%s", c->node_name);
	out->probe_ips[out->nprobe_ips++] = c->node_ip;
	if (gw)
		out->probe_ips[out->nprobe_ips++] = gw;
}

static void
add_peer(const struct peer *p, struct mx_node *out)
{
	*out = (struct mx_node){ .node_ip = p->info.node_ip, .cidrs = p->info.pod_cidrs.v,
				 .ncidrs = p->info.pod_cidrs.n, .seen = p->last_ok };
	snprintf(out->cluster, sizeof(out->cluster), "%s", p->info.cluster);
	snprintf(out->name, sizeof(out->name), "%s", p->info.node);
	snprintf(out->agent, sizeof(out->agent), "%s", p->address);
	for (size_t k = 0; k < p->info.nprobe_addrs && k < PEER_MAX_PROBE_ADDRS; k++)
		out->probe_ips[out->nprobe_ips++] = p->info.probe_addrs[k].ip;
}

/* A Node an API server lists (every cluster's, ours too), its agent asked
 * at its InternalIP on our port: the DaemonSet runs one on every node. */
static void
add_discovered(const struct agent *a, const struct disc_node *d, struct mx_node *out)
{
	char ip[CIDR_STRLEN];

	*out = (struct mx_node){ .node_ip = d->ip, .cidrs = d->cidrs, .ncidrs = d->ncidrs,
				 .seen = 1e299 };
	snprintf(out->cluster, sizeof(out->cluster), "%s", d->cluster);
	snprintf(out->name, sizeof(out->name), "%s", d->name);
	snprintf(out->agent, sizeof(out->agent), "%s:%u", cidr_fmt_ip(d->ip, ip),
		 a->cfg->listen.port);
	out->probe_ips[out->nprobe_ips++] = d->ip;
}

/* The nodes routes come from: the API servers' Nodes in
 * kubernetes mode (never a peer's claim), the peers' otherwise. */
static size_t
add_sources(const struct agent *a, struct mx_node *v, size_t cap)
{
	size_t n = 0;

	if (a->disc) {
		struct disc_node *d = calloc(cap, sizeof(*d));
		size_t nd = d ? discovery_nodes(a->disc, true, d, cap) : 0;

		for (size_t i = 0; i < nd; i++)
			if (d[i].ip != a->cfg->node_ip)	/* ourselves: add_self */
				add_discovered(a, &d[i], &v[n++]);
		free(d);
		return n;
	}
	for (size_t i = 0; i < peers_count(a->peers) && n < cap; i++)
		if (peers_get(a->peers, i)->has_info)
			add_peer(peers_get(a->peers, i), &v[n++]);
	return n;
}

/* A node is a cluster, a name, a node IP, pod CIDRs and, if it runs one,
 * its agent. */
size_t
matrix_nodes(const struct agent *a, struct mx_node *out, size_t max)
{
	size_t cap = 1 + (a->disc ? MX_MAX_NODES : peers_count(a->peers)) + a->cfg->nremotes;
	size_t n = 0, self = 0;
	struct mx_node *v = calloc(cap, sizeof(*v));

	if (!v || !max) {
		free(v);
		return 0;
	}
	add_self(a, &v[n++]);
	n += add_sources(a, v + n, cap - 1 - a->cfg->nremotes);
	for (size_t i = 0; i < a->cfg->nremotes; i++, n++) {
		const struct cfg_remote *r = &a->cfg->remotes[i];

		v[n] = (struct mx_node){ .node_ip = r->node_ip, .cidrs = r->cidrs.v, .ncidrs = r->cidrs.n };
		cidr_fmt_ip(r->node_ip, v[n].name);
	}
	n = mx_nodes_finish(v, n);
	while (self < n && !v[self].self)
		self++;
	if (n > max && self >= max)	/* past the cap, this agent still has its row */
		v[max - 1] = v[self];
	n = n < max ? n : max;
	memcpy(out, v, n * sizeof(*v));
	free(v);
	return n;
}

/* ---- our own row ------------------------------------------------------------------------------ */

static void
cause_of(void *ctx, uint32_t ip, char *buf, size_t len)
{
	diag_probe_cause(ctx, ip, buf, len);
}

static int
self_row(struct agent *a, const struct mx_node *v, size_t n, struct mx_row *row)
{
	memset(row, 0, sizeof(*row));
	snprintf(row->cluster, sizeof(row->cluster), "%.63s", a->cfg->cluster);
	snprintf(row->node, sizeof(row->node), "%s", a->cfg->node_name);
	row->node_ip = a->cfg->node_ip;
	row->age_s = a->probes_at > 0 ? ev_now() - a->probes_at : -1;
	if (mx_row_build(v, n, a->probes, a->nprobes, cause_of, a->report, row) < 0)
		return -ENOMEM;
	/* The receiver's side: what our firewall and rp_filter drop of what
	 * others send. */
	if (mx_row_drops(a->res.fw, a->res.nfw, a->cfg->node_name, row) < 0)
		return -ENOMEM;
	if (!a->report)
		return 0;
	return mx_row_back(a->report->back, a->report->nback, a->cfg->probe_ports,
			   a->cfg->nprobe_ports, a->cfg->node_name, row);
}

char *
matrix_row_body(struct agent *a)
{
	struct mx_node *v = calloc(MX_MAX_NODES, sizeof(*v));
	struct mx_row row = { 0 };
	char *s = NULL;

	if (v && self_row(a, v, matrix_nodes(a, v, MX_MAX_NODES), &row) == 0)
		s = mx_row_json(&row);
	mx_row_free(&row);
	free(v);
	return s;
}

/* ---- fetching the others' rows ----------------------------------------------------------- */

static struct fetch *
find(struct matrix *m, const char *agent)
{
	for (size_t i = 0; i < m->nf; i++)
		if (!strcmp(m->f[i]->agent, agent))
			return m->f[i];
	return NULL;
}

static void
xfer_free(struct xfer *x)
{
	if (!x)
		return;
	if (x->pprev) {
		*x->pprev = x->next;
		if (x->next)
			x->next->pprev = x->pprev;
	}
	if (x->easy) {
		curl_multi_remove_handle(x->m->multi, x->easy);
		curl_easy_cleanup(x->easy);
	}
	free(x->body.buf);
	free(x);
}

/* A row that cannot be had is unknown: nothing of the last one stays. */
static void
set_unknown(struct fetch *f, enum mx_row_state st, const char *why)
{
	f->state = st;
	snprintf(f->error, sizeof(f->error), "%s", why);
	mx_row_free(&f->row);
}

static void
got_row(struct fetch *f, struct xfer *x)
{
	struct mx_row row;
	char why[200];

	if (!mx_row_parse(x->body.buf ? x->body.buf : "", x->body.len, &row, why, sizeof(why))) {
		set_unknown(f, MX_ROW_INVALID, why);
		return;
	}
	mx_row_free(&f->row);
	f->row = row;
	f->state = MX_ROW_OK;
	f->error[0] = '\0';
	f->fetched_at = ev_now();
}

static void
finish(CURL *easy, CURLcode res, void *arg)
{
	struct matrix *m = arg;
	struct xfer *x = NULL;
	struct fetch *f;
	long status = 0;
	char why[200];

	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x);
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	if ((f = find(m, x->agent)) != NULL) {
		f->busy = false;
		if (x->body.too_big || res == CURLE_FILESIZE_EXCEEDED)
			set_unknown(f, MX_ROW_INVALID, "answer larger than 256 KiB");
		else if (res != CURLE_OK)
			set_unknown(f, MX_ROW_UNREACHABLE, curl_easy_strerror(res));
		else if (status != 200) {
			snprintf(why, sizeof(why), "HTTP %ld%s", status,
				 status == 404 ? " (an agent without /v1/row?)" : "");
			set_unknown(f, MX_ROW_UNREACHABLE, why);
		} else
			got_row(f, x);
	}
	xfer_free(x);
}

static int
start(struct matrix *m, struct fetch *f)
{
	struct xfer *x = calloc(1, sizeof(*x));
	long ms = (long)(m->a->cfg->timeout * 1000);
	CURL *e = curl_easy_init();
	char url[64];

	if (!x || !e)
		goto fail;
	x->m = m;
	snprintf(x->agent, sizeof(x->agent), "%s", f->agent);
	snprintf(url, sizeof(url), "http://%s/v1/row", f->agent);
	x->body.max = MX_MAX_BODY;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, curlev_body_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &x->body);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, ms > 0 ? ms : 1);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, ms > 0 ? ms : 1);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE, (long)MX_MAX_BODY);
	if (curl_multi_add_handle(m->multi, e) != CURLM_OK)
		goto fail;
	x->easy = e;
	x->next = m->inflight;
	if (x->next)
		x->next->pprev = &x->next;
	x->pprev = &m->inflight;
	m->inflight = x;
	f->busy = true;
	return 0;
fail:
	if (e)
		curl_easy_cleanup(e);
	xfer_free(x);
	return -ENOMEM;
}

static void
fetch_free(struct fetch *f)
{
	if (f)
		mx_row_free(&f->row);
	free(f);
}

/* Keeps one fetch per agent of the node table (dropping the others) and
 * starts those not already running. */
static void
round_start(struct matrix *m)
{
	struct mx_node *v = calloc(MX_MAX_NODES, sizeof(*v));
	size_t n = v ? matrix_nodes(m->a, v, MX_MAX_NODES) : 0, k = 0;

	for (size_t i = 0; i < m->nf; i++)
		m->f[i]->used = false;
	for (size_t i = 0; i < n; i++) {
		struct fetch *f = find(m, v[i].agent);

		if (v[i].self || !v[i].agent[0])
			continue;
		if (!f && m->nf < MX_MAX_NODES && (f = calloc(1, sizeof(*f)))) {
			snprintf(f->agent, sizeof(f->agent), "%s", v[i].agent);
			f->state = MX_ROW_PENDING;
			m->f[m->nf++] = f;
		}
		if (!f)
			continue;
		f->used = true;
		if (!f->busy)
			start(m, f);
	}
	for (size_t i = 0; i < m->nf; i++)
		if (m->f[i]->used || m->f[i]->busy)
			m->f[k++] = m->f[i];
		else
			fetch_free(m->f[i]);
	m->nf = k;
	free(v);
}

static void
on_timer(struct ev_loop *loop, void *arg)
{
	struct matrix *m = arg;

	if (ev_now() >= m->wanted_until) {
		m->armed = false;	/* nobody looked for a while: stop fetching */
		return;
	}
	round_start(m);
	ev_timer_arm(m->timer, m->a->cfg->interval);
}

struct matrix *
matrix_new(struct agent *a)
{
	struct matrix *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->a = a;
	m->curl = curlev_new(a->loop, finish, m);
	m->timer = ev_timer_new(a->loop, on_timer, m);
	if (!m->curl || !m->timer) {
		matrix_free(m);
		errno = ENOMEM;
		return NULL;
	}
	m->multi = curlev_multi(m->curl);
	return m;
}

void
matrix_free(struct matrix *m)
{
	if (!m)
		return;
	while (m->inflight)
		xfer_free(m->inflight);
	curlev_free(m->curl);
	ev_timer_free(m->timer);
	for (size_t i = 0; i < m->nf; i++)
		fetch_free(m->f[i]);
	free(m);
}

/* ---- the bodies ------------------------------------------------------------------------------ */

static void
view_of(struct matrix *m, const struct mx_node *nd, struct mx_view *w)
{
	struct fetch *f = find(m, nd->agent);

	*w = (struct mx_view){ .state = MX_ROW_PENDING, .age_s = -1 };
	if (!nd->agent[0]) {
		w->state = MX_ROW_NONE;
		snprintf(w->error, sizeof(w->error), "no agent known there");
		return;
	}
	if (!f)
		return;
	w->state = f->state;
	snprintf(w->error, sizeof(w->error), "%s", f->error);
	if (f->state != MX_ROW_OK)
		return;
	if (strcmp(f->row.cluster, nd->cluster) || strcmp(f->row.node, nd->name)) {
		/* The agent at that address is now someone else. */
		w->state = MX_ROW_INVALID;
		snprintf(w->error, sizeof(w->error), "its agent answers as %.50s/%.120s",
			 f->row.cluster, f->row.node);
		return;
	}
	w->row = &f->row;
	w->age_s = f->row.age_s < 0 ? -1 : f->row.age_s + (ev_now() - f->fetched_at);
}

static void
keep_wanted(struct matrix *m)
{
	double iv = m->a->cfg->interval, keep = MX_WANTED_ROUNDS * iv;

	m->wanted_until = ev_now() + (keep > MX_WANTED_MIN ? keep : MX_WANTED_MIN);
	if (!m->armed) {
		m->armed = true;
		round_start(m);
		ev_timer_arm(m->timer, iv);
	}
}

char *
matrix_json(struct matrix *m)
{
	struct mx_node *v = calloc(MX_MAX_NODES, sizeof(*v));
	struct mx_view *w = calloc(MX_MAX_NODES, sizeof(*w));
	struct mx_row self = { 0 };
	size_t n = 0;
	char *s = NULL;

	if (!v || !w)
		goto out;
	keep_wanted(m);
	n = matrix_nodes(m->a, v, MX_MAX_NODES);
	if (self_row(m->a, v, n, &self) < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (v[i].self)
			w[i] = (struct mx_view){ .state = MX_ROW_SELF, .age_s = self.age_s, .row = &self };
		else
			view_of(m, &v[i], &w[i]);
	s = mx_matrix_json(v, n, w, m->a->cfg->cluster, m->a->cfg->node_name, m->a->cfg->interval);
out:
	mx_row_free(&self);
	free(v);
	free(w);
	return s;
}

char *
matrix_ui(void)
{
	return strdup(ui_html);
}

char *
matrix_report_text(const struct agent *a)
{
	const struct cfg *c = a->cfg;
	char ip[CIDR_STRLEN], *s = NULL;
	/* Listening on every address: the node IP is the one people reach. */
	const char *host = strcmp(c->listen.host, "0.0.0.0") ? c->listen.host : cidr_fmt_ip(c->node_ip, ip);

	if (asprintf(&s, "matrix: http://%s:%u/ui\n%s", host, c->listen.port,
		     a->status_text ? a->status_text : "not ready\n") < 0)
		return NULL;
	return s;
}
