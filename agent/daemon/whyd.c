/*
 * /v1/why in the agent: one flow traced across both ends (agent/core/why.h).
 * This node evaluates its route, firewall and NAT; the node that owns the
 * destination is asked for its side (/v1/why?...&inbound=1, answered from
 * its own kernel view and ruleset, no traffic); meanwhile one TCP probe goes
 * to the destination.  Both run in the loop; the HTTP answer waits for them
 * (httpd_defer) and comes within the --timeout of each.
 *
 * Traffic goes only to the flow's own target and to the owner's agent, and
 * only when the destination belongs to a node this agent knows: /v1/why is
 * no way to make it connect to anything else.
 */
#include <curl/curl.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/core/flows.h"
#include "agent/core/why.h"
#include "agent/daemon/agent.h"
#include "agent/daemon/matrix.h"
#include "agent/daemon/whyd.h"
#include "agent/io/curlev.h"
#include "agent/io/ev.h"
#include "agent/io/kernel.h"

#define WHYD_MAX_INFLIGHT 8	/* traces at once; more get 503 */

struct why_op {
	struct whyd *w;
	struct httpd_later *later;
	struct why_trace t;
	char owner_node[CFG_NAME_MAX];	/* "" when unknown */
	char owner_agent[24];		/* "ip:port", "" when none */
	CURL *easy;
	struct curlev_body body;
	struct probe_engine *probe;
	struct probe_target target;
	struct probe_opts opts;
	bool fetching, probing;
	struct why_op *next, **pprev;
};

struct whyd {
	struct agent *a;
	struct curlev *curl;
	struct why_op *ops;
	size_t nops;
};

static const char *json_type = "application/json";
static const char *text_type = "text/plain; charset=utf-8";

static void
reply_now(struct httpd_reply *out, int status, const char *type, char *body)
{
	*out = (struct httpd_reply){ .status = status, .content_type = type, .body = body };
	if (!body)
		*out = (struct httpd_reply){ .status = 500, .content_type = text_type };
}

static bool
in_pods(const struct cfg *c, uint32_t ip)
{
	for (size_t i = 0; i < c->pod_cidrs.n; i++)
		if (cidr_contains_ip(&c->pod_cidrs.v[i], ip))
			return true;
	return false;
}

/* The interface that holds the node IP: where remote nodes' packets arrive. */
static int
bridge_of(const struct agent *a)
{
	for (size_t i = 0; i < a->kv.naddrs; i++)
		if (a->kv.addrs[i].local == a->cfg->node_ip)
			return a->kv.addrs[i].ifindex;
	return 0;
}

/* ---- the receiver's side (inbound=1) ---------------------------------------------------- */

static void
inbound(struct agent *a, uint32_t src, uint32_t dst, uint16_t port, struct httpd_reply *out)
{
	struct why_trace *t = calloc(1, sizeof(*t));
	struct rc_kernel k;
	struct why_in in = { .n = { a->cfg, &a->kv, a->rules }, .src = src, .dst = dst,
			     .port = port, .iif = bridge_of(a),
			     .rp = sysctl_rp_effective(&a->res.sysctl) };

	if (!t) {
		reply_now(out, 500, text_type, NULL);
		return;
	}
	kernel_seam(&k, a->rs);
	in.dst_err = k.lookup(k.ctx, dst, &in.to_dst);
	in.back_err = k.lookup(k.ctx, src, &in.back);
	why_receiver(&in, t);
	why_finish(t);
	reply_now(out, 200, json_type, why_json(t));
	free(t);
}

/* ---- the sender's side ------------------------------------------------------------------ */

static void
op_free(struct why_op *op)
{
	if (!op)
		return;
	if (op->pprev) {
		*op->pprev = op->next;
		if (op->next)
			op->next->pprev = op->pprev;
		op->w->nops--;
	}
	if (op->easy) {
		curl_multi_remove_handle(curlev_multi(op->w->curl), op->easy);
		curl_easy_cleanup(op->easy);
	}
	probe_engine_free(op->probe);
	free(op->body.buf);
	free(op);
}

/* Both halves are in: the verdict, the answer, the end of op. */
static void
op_done(struct why_op *op)
{
	struct httpd_reply r;

	if (op->fetching || op->probing)
		return;
	why_finish(&op->t);
	reply_now(&r, 200, json_type, why_json(&op->t));
	httpd_answer(op->later, &r);
	op->later = NULL;
	op_free(op);
}

/* The owner's hops, each of which must name the owner. */
static void
take_remote(struct why_op *op, const char *body, size_t len)
{
	static struct why_trace got;
	char why[200];

	if (!why_parse(body, len, &got, why, sizeof(why))) {
		why_note(&op->t, op->owner_node, NULL, "agent", "unknown",
			 "the agent at %s answered something invalid: %s", op->owner_agent, why);
		return;
	}
	for (size_t i = 0; i < got.nhops; i++)
		if (strcmp(got.hops[i].node, op->owner_node)) {
			why_note(&op->t, op->owner_node, NULL, "agent", "unknown", "the agent at %s "
				 "answers as %.60s, not %.60s", op->owner_agent, got.hops[i].node,
				 op->owner_node);
			return;
		}
	for (size_t i = 0; i < got.nhops && op->t.nhops < WHY_MAX_HOPS; i++)
		op->t.hops[op->t.nhops++] = got.hops[i];
}

static void
fetched(CURL *easy, CURLcode res, void *arg)
{
	struct why_op *op = NULL;
	long status = 0;

	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&op);
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	if (op->body.too_big || res == CURLE_FILESIZE_EXCEEDED)
		why_note(&op->t, op->owner_node, NULL, "agent", "unknown", "the agent at %s answered "
			 "more than %d bytes", op->owner_agent, WHY_MAX_BODY);
	else if (res != CURLE_OK || status != 200)
		why_note(&op->t, op->owner_node, NULL, "agent", "unknown", "the agent at %s could not "
			 "be asked: %s", op->owner_agent, res != CURLE_OK ? curl_easy_strerror(res) :
			 status == 404 ? "HTTP 404 (an agent without /v1/why?)" : "HTTP error");
	else
		take_remote(op, op->body.buf ? op->body.buf : "", op->body.len);
	curl_multi_remove_handle(curlev_multi(op->w->curl), easy);
	curl_easy_cleanup(easy);
	op->easy = NULL;
	op->fetching = false;
	op_done(op);
}

static int
fetch_start(struct why_op *op, uint32_t src, uint32_t dst, uint16_t port)
{
	long ms = (long)(op->w->a->cfg->timeout * 1000);
	char url[128], s[CIDR_STRLEN], d[CIDR_STRLEN];
	CURL *e = curl_easy_init();

	if (!e)
		return -ENOMEM;
	snprintf(url, sizeof(url), "http://%s/v1/why?dst=%s:%u&src=%s&inbound=1", op->owner_agent,
		 cidr_fmt_ip(dst, d), port, cidr_fmt_ip(src, s));
	op->body.max = WHY_MAX_BODY;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, curlev_body_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &op->body);
	curl_easy_setopt(e, CURLOPT_PRIVATE, op);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, ms > 0 ? ms : 1);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE, (long)WHY_MAX_BODY);
	if (curl_multi_add_handle(curlev_multi(op->w->curl), e) != CURLM_OK) {
		curl_easy_cleanup(e);
		return -ENOMEM;
	}
	op->easy = e;
	op->fetching = true;
	return 0;
}

static void
probed(const struct probe_result *res, size_t n, void *arg)
{
	struct why_op *op = arg;
	struct report_probe rp;

	probe_report(&op->target, &res[0], &op->opts, &rp);
	op->t.probe.done = true;
	snprintf(op->t.probe.result, sizeof(op->t.probe.result), "%s", rp.result);
	snprintf(op->t.probe.detail, sizeof(op->t.probe.detail), "%s", rp.detail);
	op->t.probe.rtt_ms = rp.rtt_ms;
	op->probing = false;
	op_done(op);
}

static int
probe_start(struct why_op *op, uint32_t dst, uint16_t port)
{
	struct agent *a = op->w->a;

	op->opts = probe_opts_for(a->cfg, &a->kv);
	op->target = (struct probe_target){ PROBE_TCP, dst, port, NULL };
	if (!(op->probe = probe_engine_new(a->loop, &op->opts)))
		return -errno;
	if (probe_round_start(op->probe, &op->target, 1, probed, op) < 0)
		return -ENOMEM;
	op->probing = true;
	return 0;
}

/* ---- who owns the destination ----------------------------------------------------------- */

struct owner {
	bool known, self;
	char node[CFG_NAME_MAX];
	char cluster[CFG_NAME_MAX];
	char agent[24];			/* "" when no agent is known there */
};

/* From discovery's node tables: the most specific pod CIDR, or the node IP;
 * its agent listens where ours does (a DaemonSet on the host network). */
static bool
owner_discovered(struct agent *a, uint32_t dst, struct owner *o)
{
	const struct plan_remote *rm, *best = NULL;
	uint8_t len = 0;
	char ip[CIDR_STRLEN];
	size_t n;

	if (!a->disc)
		return false;
	rm = discovery_remotes(a->disc, &n);
	for (size_t i = 0; i < n; i++) {
		if (rm[i].node_ip == dst && (!best || len < 32)) {
			best = &rm[i];
			len = 32;
		}
		for (size_t k = 0; k < rm[i].ncidrs; k++)
			if (cidr_contains_ip(&rm[i].cidrs[k], dst) && (!best || rm[i].cidrs[k].len > len)) {
				best = &rm[i];
				len = rm[i].cidrs[k].len;
			}
	}
	if (!best)
		return false;
	o->known = true;
	snprintf(o->node, sizeof(o->node), "%s", best->node ? best->node : cidr_fmt_ip(best->node_ip, ip));
	snprintf(o->cluster, sizeof(o->cluster), "%s", best->cluster ? best->cluster : "");
	snprintf(o->agent, sizeof(o->agent), "%s:%u", cidr_fmt_ip(best->node_ip, ip),
		 a->cfg->listen.port);
	return true;
}

/* From the matrix's node table (ourselves, peers, --remote), else discovery. */
static void
find_owner(struct agent *a, uint32_t dst, struct owner *o)
{
	struct mx_node *v = calloc(MX_MAX_NODES, sizeof(*v));
	size_t n = v ? matrix_nodes(a, v, MX_MAX_NODES) : 0;
	int i = v ? mx_node_of(v, n, dst) : -1;

	memset(o, 0, sizeof(*o));
	if (i >= 0) {
		o->known = true;
		o->self = v[i].self;
		snprintf(o->node, sizeof(o->node), "%s", v[i].name);
		snprintf(o->cluster, sizeof(o->cluster), "%s", v[i].cluster);
		snprintf(o->agent, sizeof(o->agent), "%s", v[i].agent);
	}
	free(v);
	if (!o->known)
		owner_discovered(a, dst, o);
}

/* ---- the request ------------------------------------------------------------------------ */

/* The source: given (a pod here, or an address of this node), else a pod
 * of ours as flows.c picks one.  *iif is the pod's veth, 0 for the node. */
static bool
pick_source(const struct agent *a, const char *arg, uint32_t *src, int *iif)
{
	const struct kview *kv = &a->kv;

	*iif = 0;
	if (!arg) {
		*src = flows_local_pod(a->cfg, kv, iif);
		return true;
	}
	if (!cidr_parse_ip(arg, src))
		return false;
	if (kview_is_local(kv, *src))
		return true;
	if (!in_pods(a->cfg, *src))
		return false;
	for (size_t i = 0; i < kv->nroutes; i++)
		if (kv->routes[i].dst.len == 32 && kv->routes[i].dst.addr == *src && !kv->routes[i].gw)
			*iif = kv->routes[i].oif;
	return true;
}

/* Our side now; the owner's side and the probe in the loop.  Answers now
 * when there is nothing to wait for. */
static void
trace(struct whyd *w, const struct httpd_req *req, uint32_t src, int iif, uint32_t dst,
      uint16_t port, struct httpd_reply *out)
{
	struct agent *a = w->a;
	struct why_op *op = calloc(1, sizeof(*op));
	struct why_out in = { .n = { a->cfg, &a->kv, a->rules }, .src = src, .dst = dst,
			      .port = port, .src_iif = iif };
	struct rc_kernel k;
	struct owner o;
	uint32_t leaves;
	char ip[CIDR_STRLEN];

	if (!op) {
		reply_now(out, 500, text_type, NULL);
		return;
	}
	op->w = w;
	kernel_seam(&k, a->rs);
	in.route_err = k.lookup(k.ctx, dst, &in.route);
	why_sender(&in, &op->t, &leaves);
	find_owner(a, dst, &o);
	snprintf(op->t.probe.target, sizeof(op->t.probe.target), "%s:%u", cidr_fmt_ip(dst, ip), port);
	snprintf(op->owner_node, sizeof(op->owner_node), "%s", o.node);
	snprintf(op->owner_agent, sizeof(op->owner_agent), "%s", o.agent);
	if (!o.known)
		snprintf(op->t.probe.detail, sizeof(op->t.probe.detail), "%s belongs to no node this "
			 "agent knows: not probed, its side not evaluated", ip);
	else if (!o.self && !o.agent[0])
		why_note(&op->t, o.node, o.cluster, "agent", "unknown", "no agent known on %s: its "
			 "inbound firewall, rp_filter and route back were not evaluated", o.node);
	if (o.known && !o.self && o.agent[0] && fetch_start(op, leaves ? leaves : src, dst, port) < 0)
		why_note(&op->t, o.node, o.cluster, "agent", "unknown", "out of memory asking its agent");
	if (o.known && probe_start(op, dst, port) < 0)
		snprintf(op->t.probe.detail, sizeof(op->t.probe.detail), "the probe could not start");
	if ((op->fetching || op->probing) && (op->later = httpd_defer(req))) {
		op->next = w->ops;
		if (op->next)
			op->next->pprev = &op->next;
		op->pprev = &w->ops;
		w->ops = op;
		w->nops++;
		return;
	}
	why_finish(&op->t);
	reply_now(out, 200, json_type, why_json(&op->t));
	op_free(op);
}

void
whyd_handle(struct whyd *w, const struct httpd_req *req, struct httpd_reply *out)
{
	struct agent *a = w->a;
	const char *dst_s = httpd_arg(req, "dst"), *src_s = httpd_arg(req, "src");
	const char *in_s = httpd_arg(req, "inbound");
	uint16_t port;
	uint32_t dst, src;
	char err[160], msg[200];
	int iif;

	if (!why_parse_target(dst_s, a->cfg->probe_ports[0], &dst, &port, err, sizeof(err))) {
		snprintf(msg, sizeof(msg), "dst: %s\n", err);
		reply_now(out, 400, text_type, strdup(msg));
	} else if (in_s && strcmp(in_s, "1"))
		reply_now(out, 400, text_type, strdup("inbound: want 1\n"));
	else if (!a->ready)
		reply_now(out, 503, text_type, strdup("not ready\n"));
	else if (in_s && (!src_s || !cidr_parse_ip(src_s, &src)))
		reply_now(out, 400, text_type, strdup("src: want the IPv4 address the flow arrives from\n"));
	else if (in_s && !in_pods(a->cfg, dst) && !kview_is_local(&a->kv, dst))
		reply_now(out, 400, text_type, strdup("dst: not an address of this node or its pods\n"));
	else if (in_s)
		inbound(a, src, dst, port, out);
	else if (!pick_source(a, src_s, &src, &iif))
		reply_now(out, 400, text_type, strdup("src: want a pod IP of this node or an address "
						       "of it\n"));
	else if (w->nops >= WHYD_MAX_INFLIGHT)
		reply_now(out, 503, text_type, strdup("too many traces at once: retry\n"));
	else
		trace(w, req, src, iif, dst, port, out);
}

struct whyd *
whyd_new(struct agent *a)
{
	struct whyd *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->a = a;
	if (!(w->curl = curlev_new(a->loop, fetched, w))) {
		free(w);
		errno = ENOMEM;
		return NULL;
	}
	return w;
}

void
whyd_free(struct whyd *w)
{
	struct httpd_reply r;

	if (!w)
		return;
	while (w->ops) {
		struct why_op *op = w->ops;

		reply_now(&r, 503, text_type, strdup("the agent is stopping\n"));
		httpd_answer(op->later, &r);
		op_free(op);
	}
	curlev_free(w->curl);
	free(w);
}
