#include <jansson.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/daemon/agent.h"
#include "agent/daemon/api.h"
#include "agent/daemon/matrix.h"
#include "agent/daemon/whyd.h"
#include "agent/core/cfg.h"
#include "agent/core/pauth.h"
#include "agent/io/ev.h"
#include "agent/core/version.h"

const double api_buckets[API_RECONCILE_BUCKETS] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1e9,
};

static json_t *
ip_json(uint32_t ip)
{
	char b[CIDR_STRLEN];

	return ip ? json_string(cidr_fmt_ip(ip, b)) : json_null();
}

static bool
in_pods(const struct cfg *c, uint32_t ip)
{
	for (size_t i = 0; i < c->pod_cidrs.n; i++)
		if (cidr_contains_ip(&c->pod_cidrs.v[i], ip))
			return true;
	return false;
}

/* The /v1/node document of this node, malloc'd. */
static char *
node_json(const struct agent *a)
{
	const struct cfg *c = a->cfg;
	json_t *o, *cidrs = json_array(), *ips = json_array(), *probes = json_array();
	char b[CIDR_STRLEN], addr[40];
	/* The ptp gateway .1: a probe address on the pods' path. */
	uint32_t gw = kview_local_in(&a->kv, c->pod_cidrs.v, c->pod_cidrs.n);
	char *s = NULL;

	for (size_t i = 0; cidrs && i < c->pod_cidrs.n; i++)
		json_array_append_new(cidrs, json_string(cidr_fmt(&c->pod_cidrs.v[i], b)));
	/* Pod IPs: kindnet's ptp plugin gives every pod a /32 host route. */
	for (size_t i = 0; ips && i < a->kv.nroutes && json_array_size(ips) < PEER_MAX_POD_IPS; i++) {
		const struct route4 *r = &a->kv.routes[i];

		if (r->dst.len == 32 && !r->gw && r->type == RTN_UNICAST && in_pods(c, r->dst.addr) &&
		    r->dst.addr != gw)
			json_array_append_new(ips, json_string(cidr_fmt_ip(r->dst.addr, b)));
	}
	snprintf(addr, sizeof(addr), "%s:%u", cidr_fmt_ip(c->node_ip, b), c->listen.port);
	json_array_append_new(probes, json_string(addr));
	if (gw) {
		snprintf(addr, sizeof(addr), "%s:%u", cidr_fmt_ip(gw, b), c->listen.port);
		json_array_append_new(probes, json_string(addr));
	}
	o = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:s}", "cluster", c->cluster,
		      "node", c->node_name, "node_ip", ip_json(c->node_ip), "pod_cidrs", cidrs,
		      "service_cidr", c->has_service_cidr ?
			json_string(cidr_fmt(&c->service_cidr, b)) : json_null(),
		      "pod_ips", ips, "probe_addrs", probes, "version", PODREACH_VERSION);
	if (o)
		s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}

static char *
peers_json(const struct agent *a)
{
	json_t *arr = json_array(), *o;
	char b[CIDR_STRLEN], *s = NULL;

	for (size_t i = 0; arr && i < peers_count(a->peers); i++) {
		const struct peer *p = peers_get(a->peers, i);
		json_t *cidrs = json_array();

		for (size_t k = 0; p->has_info && cidrs && k < p->info.pod_cidrs.n; k++)
			json_array_append_new(cidrs, json_string(cidr_fmt(&p->info.pod_cidrs.v[k], b)));
		json_array_append_new(arr, json_pack("{s:s, s:o, s:o, s:o, s:o, s:s, s:o}",
			"address", p->address,
			"cluster", p->has_info ? json_string(p->info.cluster) : json_null(),
			"node", p->has_info ? json_string(p->info.node) : json_null(),
			"node_ip", ip_json(p->has_info ? p->info.node_ip : 0), "pod_cidrs", cidrs,
			"state", peers_state_name(p->state),
			"error", p->error[0] ? json_string(p->error) : json_null()));
	}
	o = json_pack("{s:o}", "peers", arr);
	if (o)
		s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}

static void
metric(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP podreach_%s %s\n# TYPE podreach_%s %s\n", name, help, name, type);
}

/* A histogram from per-bucket counts; the last bound is +Inf. */
static void
histogram(FILE *f, const char *name, const char *help, const double *bounds,
	  const uint64_t *counts, size_t n, double sum, uint64_t count)
{
	uint64_t cum = 0;

	metric(f, name, "histogram", help);
	for (size_t b = 0; b < n; b++) {
		cum += counts[b];
		if (b == n - 1)
			fprintf(f, "podreach_%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)cum);
		else
			fprintf(f, "podreach_%s_bucket{le=\"%g\"} %llu\n", name, bounds[b],
				(unsigned long long)cum);
	}
	fprintf(f, "podreach_%s_sum %.6f\n", name, sum);
	fprintf(f, "podreach_%s_count %llu\n", name, (unsigned long long)count);
}

static void
metrics_state(const struct agent *a, FILE *f)
{
	static const char *peer_states[] = { "pending", "up", "unreachable", "invalid" };
	size_t counts[8] = { 0 };

	/* Label values come from fixed lists: cardinality stays bounded. */
	metric(f, "peers", "gauge", "Peer agents known here, by state.");
	for (size_t i = 0; i < peers_count(a->peers); i++)
		counts[peers_get(a->peers, i)->state]++;
	for (size_t s = 0; s < 4; s++)
		fprintf(f, "podreach_peers{state=\"%s\"} %zu\n", peer_states[s], counts[s]);
	metric(f, "routes", "gauge", "Remote pod CIDRs by route state after the last reconcile.");
	memset(counts, 0, sizeof(counts));
	for (size_t i = 0; i < a->res.plan.n; i++)
		counts[a->res.plan.routes[i].state]++;
	for (int s = PLAN_OK; s <= PLAN_REPAIRED; s++)
		fprintf(f, "podreach_routes{state=\"%s\"} %zu\n", plan_state_name(s), counts[s]);
	metric(f, "problems", "gauge", "Problems in the last report, by code.");
	for (int c = 0; c < PC_COUNT; c++)
		fprintf(f, "podreach_problems{code=\"%s\"} %zu\n", report_code_name(c), a->problems[c]);
}

/* What the endpoint's guard did (agent/io/httpd.c): connections held, and
 * closed or turned away by reason. */
static void
metrics_http(const struct agent *a, FILE *f)
{
	static const char *const reason[] = { "head-deadline", "idle", "answer-deadline", "evicted" };
	struct httpd_stats st = { 0 };
	uint64_t n[4];

	if (a->httpd)
		httpd_get_stats(a->httpd, &st);
	n[0] = st.head_timeouts;
	n[1] = st.idle_closed;
	n[2] = st.answer_timeouts;
	n[3] = st.evicted;
	metric(f, "http_connections", "gauge", "HTTP connections held now.");
	fprintf(f, "podreach_http_connections %u\n", st.open);
	metric(f, "http_connections_per_address_max", "gauge",
	       "The most HTTP connections held at once from one address since start.");
	fprintf(f, "podreach_http_connections_per_address_max %u\n", st.per_ip_max);
	metric(f, "http_accepted_total", "counter", "HTTP connections accepted.");
	fprintf(f, "podreach_http_accepted_total %llu\n", (unsigned long long)st.accepted);
	metric(f, "http_closed_total", "counter", "HTTP connections closed by the guard, by reason.");
	for (size_t i = 0; i < 4; i++)
		fprintf(f, "podreach_http_closed_total{reason=\"%s\"} %llu\n", reason[i],
			(unsigned long long)n[i]);
	metric(f, "http_refused_total", "counter", "HTTP connections turned away at a cap.");
	fprintf(f, "podreach_http_refused_total %llu\n", (unsigned long long)st.refused);
}

static void
metrics_counters(const struct agent *a, FILE *f)
{
	const struct agent_metrics *m = &a->m;

	metric(f, "route_repairs_total", "counter", "Routes installed or repaired.");
	fprintf(f, "podreach_route_repairs_total %llu\n", (unsigned long long)m->repairs);
	metric(f, "routes_removed_total", "counter",
	       "Owned routes removed: their Node deleted, or stale (no remote claims them).");
	fprintf(f, "podreach_routes_removed_total{reason=\"node-deleted\"} %llu\n",
		(unsigned long long)m->removed[0]);
	fprintf(f, "podreach_routes_removed_total{reason=\"stale\"} %llu\n",
		(unsigned long long)m->removed[1]);
	metric(f, "reconciles_total", "counter", "Reconciles run.");
	fprintf(f, "podreach_reconciles_total %llu\n", (unsigned long long)m->reconciles);
	metric(f, "reconcile_failures_total", "counter", "Reconciles that failed to read or change the kernel.");
	fprintf(f, "podreach_reconcile_failures_total %llu\n", (unsigned long long)m->reconcile_failures);
	histogram(f, "reconcile_duration_seconds", "Time one reconcile takes.", api_buckets,
		  m->buckets, API_RECONCILE_BUCKETS, m->dur_sum, m->reconciles);
	metric(f, "netlink_events_total", "counter", "rtnetlink notifications received.");
	fprintf(f, "podreach_netlink_events_total %llu\n", (unsigned long long)m->events);
	metric(f, "netlink_resyncs_total", "counter", "Full re-reads after lost notifications (ENOBUFS).");
	fprintf(f, "podreach_netlink_resyncs_total %llu\n", (unsigned long long)m->resyncs);
	metric(f, "view_checks_total", "counter", "Comparisons of the incremental view with a dump.");
	fprintf(f, "podreach_view_checks_total %llu\n", (unsigned long long)m->view_checks);
	metric(f, "view_checks_skipped_total", "counter",
	       "Comparisons put off because the kernel changed during the dump.");
	fprintf(f, "podreach_view_checks_skipped_total %llu\n", (unsigned long long)m->view_checks_skipped);
	metric(f, "view_divergences_total", "counter",
	       "Entries of the incremental kernel view a --resync dump found wrong (should stay 0).");
	fprintf(f, "podreach_view_divergences_total %llu\n", (unsigned long long)m->divergences);
	metric(f, "nft_events_total", "counter", "nftables change notifications applied.");
	fprintf(f, "podreach_nft_events_total %llu\n", (unsigned long long)m->nft_events);
	metric(f, "nft_commits_total", "counter", "nftables generations applied to the ruleset view.");
	fprintf(f, "podreach_nft_commits_total %llu\n", (unsigned long long)m->nft_commits);
	metric(f, "nft_resyncs_total", "counter",
	       "Ruleset re-reads after lost notifications or a missed generation.");
	fprintf(f, "podreach_nft_resyncs_total %llu\n", (unsigned long long)m->nft_resyncs);
	metric(f, "nft_view_checks_total", "counter", "Comparisons of the ruleset view with a dump.");
	fprintf(f, "podreach_nft_view_checks_total %llu\n", (unsigned long long)m->nft_checks);
	metric(f, "nft_view_checks_skipped_total", "counter",
	       "Comparisons put off because a commit came during the dump.");
	fprintf(f, "podreach_nft_view_checks_skipped_total %llu\n",
		(unsigned long long)m->nft_checks_skipped);
	metric(f, "nft_view_divergences_total", "counter",
	       "Entries of the ruleset view a --resync dump found wrong (should stay 0).");
	fprintf(f, "podreach_nft_view_divergences_total %llu\n",
		(unsigned long long)m->nft_divergences);
	metric(f, "repair_latency_seconds", "gauge", "From an owned route's deletion to its repair, last seen.");
	fprintf(f, "podreach_repair_latency_seconds %.6f\n", m->repair_last_ms / 1000);
	metric(f, "http_requests_total", "counter", "HTTP requests answered.");
	fprintf(f, "podreach_http_requests_total %llu\n", (unsigned long long)m->http_requests);
	metrics_http(a, f);
}

static void
metrics_probes(const struct agent *a, FILE *f)
{
	const struct agent_metrics *m = &a->m;

	metric(f, "probe_results_total", "counter", "Probe results by kind and result.");
	for (int k = PROBE_TCP; k <= PROBE_HTTP; k++)
		for (int r = PROBE_OPEN; r <= PROBE_OK; r++)
			if ((k == PROBE_TCP) == (r != PROBE_OK) || r == PROBE_ERROR)
				fprintf(f, "podreach_probe_results_total{kind=\"%s\",result=\"%s\"} %llu\n",
					probe_kind_name(k), probe_result_name(r),
					(unsigned long long)m->probe_results[k][r]);
	histogram(f, "probe_rtt_seconds", "Round-trip time of probes that reached their target.",
		  api_rtt_buckets, m->rtt_buckets, API_RTT_BUCKETS, m->rtt_sum, m->rtt_count);
	metric(f, "probe_round_running", "gauge", "1 while a probe round is in flight.");
	fprintf(f, "podreach_probe_round_running %d\n", a->probe && probe_round_busy(a->probe));
	metric(f, "probe_targets", "gauge", "Targets of the last probe round.");
	fprintf(f, "podreach_probe_targets %zu\n", a->nprobes);
	metric(f, "probe_success_ratio", "gauge",
	       "Share of the last 16 probes of a target that reached it (first 32 targets; the rest as \"other\").");
	for (size_t i = 0; i <= API_PROBE_SERIES; i++) {
		double ratio = probe_history_ratio(&a->series[i].h);

		if (ratio >= 0 && (i < a->nseries || i == API_PROBE_SERIES))
			fprintf(f, "podreach_probe_success_ratio{target=\"%s\"} %g\n", a->series[i].target,
				ratio);
	}
}

static char *
metrics_text(const struct agent *a)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	metric(f, "build_info", "gauge", "podreach version.");
	fprintf(f, "podreach_build_info{version=\"%s\"} 1\n", PODREACH_VERSION);
	metric(f, "ready", "gauge", "1 once the first reconcile is done.");
	fprintf(f, "podreach_ready %d\n", a->ready);
	metrics_state(a, f);
	metrics_counters(a, f);
	metrics_probes(a, f);
	fclose(f);
	return buf;
}

/* With a token, /v1/node and /v1/peers need either the token itself (a
 * person with curl: their choice to send it) or, from an agent, a mac that
 * proves it without sending it (agent/core/pauth.h); then *nonce is set and
 * the answer is signed with it. */
static bool
authorized(const struct agent *a, const struct httpd_req *req, char nonce[static PAUTH_NONCE_LEN + 1])
{
	const char *want = a->token, *got;
	size_t wl = strlen(want), diff = 0;

	nonce[0] = '\0';
	if (!want[0])
		return true;
	if (pauth_check_request(want, req->path, req->peer_port, req->auth, nonce))
		return true;
	nonce[0] = '\0';
	if (!req->auth || strncmp(req->auth, "Bearer ", 7))
		return false;
	got = req->auth + 7;
	if (strlen(got) != wl)
		return false;
	for (size_t i = 0; i < wl; i++)	/* no early exit: constant time */
		diff |= (size_t)(got[i] ^ want[i]);
	return diff == 0;
}

/* An agent that asks is a candidate peer: verified by its own /v1/node.
 * Bounded by the peer table (a handful of ports per address, on-link
 * addresses only); with a token only an asker that proved it holds it gets
 * here at all. */
static void
learn_asker(struct agent *a, const struct httpd_req *req)
{
	uint16_t port;

	if (!req->peer_port || !req->client_ip || !peer_parse_port(req->peer_port, &port))
		return;
	peers_add(a->peers, req->client_ip, port, false);
}

static void
set(struct httpd_reply *out, int status, const char *type, char *body)
{
	*out = (struct httpd_reply){ .status = status, .content_type = type, .body = body };
	if (!body)	/* out of memory rendering it */
		*out = (struct httpd_reply){ .status = 500, .content_type = "text/plain" };
}

void
api_handle(const struct httpd_req *req, struct httpd_reply *out, void *arg)
{
	struct agent *a = arg;
	const char *p = req->path;
	const char *text = "text/plain; charset=utf-8", *json = "application/json";
	char nonce[PAUTH_NONCE_LEN + 1];

	a->m.http_requests++;
	if (!strcmp(p, "/healthz"))
		set(out, 200, text, strdup("ok\n"));
	else if (!strcmp(p, "/readyz"))
		set(out, a->ready ? 200 : 503, text, strdup(a->ready ? "ready\n" : "not ready\n"));
	else if (!strcmp(p, "/"))
		set(out, a->ready ? 200 : 503, text, matrix_report_text(a));
	else if (!strcmp(p, "/v1/status"))
		set(out, a->ready ? 200 : 503, json,
		    strdup(a->status_json ? a->status_json : "{\"error\":\"not ready\"}"));
	else if (!strcmp(p, "/v1/matrix"))
		set(out, 200, json, matrix_json(a->matrix));
	else if (!strcmp(p, "/v1/why"))	/* open like /v1/status: bounded, known targets only */
		whyd_handle(a->why, req, out);
	else if (!strcmp(p, "/v1/row"))	/* open like /: the same probe results */
		set(out, 200, json, matrix_row_body(a));
	else if (!strcmp(p, "/ui"))
		set(out, 200, "text/html; charset=utf-8", matrix_ui());
	else if (!strcmp(p, "/metrics"))
		set(out, 200, "text/plain; version=0.0.4; charset=utf-8", metrics_text(a));
	else if (strcmp(p, "/v1/node") && strcmp(p, "/v1/peers"))
		set(out, 404, text, strdup("not found: try /, /ui, /v1/status, /v1/matrix, /v1/why, /v1/node, "
				   "/v1/peers, /metrics\n"));
	else if (req->peer_port && !peer_parse_port(req->peer_port, &(uint16_t){ 0 }))
		set(out, 400, text, strdup("X-Podreach-Peer: want a port, 1 to 65535, digits only\n"));
	else if (!authorized(a, req, nonce))
		set(out, 401, text, strdup("a peer token is required\n"));
	else {
		set(out, 200, json, !strcmp(p, "/v1/node") ? node_json(a) : peers_json(a));
		if (nonce[0] && out->body) {
			out->hdr_name = PAUTH_ANSWER_HDR;
			pauth_answer(a->token, p, nonce, out->body, strlen(out->body), out->hdr_value);
		}
		learn_asker(a, req);
	}
}
