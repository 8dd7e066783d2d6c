/*
 * `podreach agent`: one thread, one epoll loop.  Kernel notifications
 * (ksync.c), nftables changes (rules.c), peers' answers (peer.c, judged in
 * claims.c), Nodes from the API servers (discovery.c) and the periodic
 * backstop all end in reconcile() here, which runs the reconcile core over
 * the kernel view and caches the report that the HTTP endpoint serves.
 */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "agent/core/cfg.h"
#include "agent/core/plan.h"
#include "agent/core/reconcile.h"
#include "agent/core/remotes.h"
#include "agent/core/render.h"
#include "agent/core/report.h"
#include "agent/core/version.h"
#include "agent/core/view.h"
#include "agent/daemon/agent.h"
#include "agent/daemon/agentd.h"
#include "agent/daemon/api.h"
#include "agent/daemon/claims.h"
#include "agent/daemon/ksync.h"
#include "agent/daemon/rules.h"
#include "agent/daemon/discovery.h"
#include "agent/daemon/matrix.h"
#include "agent/daemon/whyd.h"
#include "agent/daemon/peer.h"
#include "agent/io/ev.h"
#include "agent/io/httpd.h"
#include "agent/io/kernel.h"
#include "agent/io/log.h"
#include "agent/io/resolve.h"
#include "netlink/nft.h"
#include "netlink/route.h"
#include "netlink/nftwatch.h"
#include "netlink/watch.h"

extern char **environ;

/* Route changes per reconcile: about 0.1-0.2 s of the kernel's time. */
#define AGENT_BURST_CHUNK 1000
#define AGENT_RENDER_CHUNK 5000	/* JSON elements per turn of the loop: ~5 ms */
#define AGENT_LOG_PER_CODE 5	/* problems of one code logged one by one per reconcile */
#define AGENT_MAX_REMOTES (2 * PEER_MAX + CFG_MAX_REMOTES)	/* pods, services, --remote */

static void reconcile(struct agent *a);

static void
on_reconcile_timer(struct ev_loop *loop, void *arg)
{
	reconcile(arg);
}

/* --resync: the incremental view is checked against a fresh dump (they
 * should never differ: podreach_view_divergences_total counts it if they do)
 * and replaced by it. */
static void
on_resync_timer(struct ev_loop *loop, void *arg)
{
	struct agent *a = arg;

	ev_timer_arm(a->t_resync, a->cfg->resync);
	a->need_dump = true;
	a->self_check = true;
	a->rules_check = true;
	reconcile(a);
}

/* Rounds start every --interval, jittered by up to ±10%, so that agents
 * started together do not poll together. */
static void
on_peer_timer(struct ev_loop *loop, void *arg)
{
	struct agent *a = arg;
	double j = (double)(random() % 2001 - 1000) / 10000.0;

	peers_poll(a->peers);
	ev_timer_arm(a->t_peers, a->cfg->interval * (1 + j));
}

static void
on_peers_changed(void *arg)
{
	agent_schedule(arg, "peer change");
}

static void
on_signal(struct ev_loop *loop, int signo, void *arg)
{
	log_info("%s: stopping", strsignal(signo));
	ev_stop(loop);
}

static void
observe(struct agent *a, double started, int failed)
{
	double d = ev_now() - started;
	size_t b = 0;

	a->m.reconciles++;
	a->m.dur_sum += d;
	while (b < API_RECONCILE_BUCKETS - 1 && d > api_buckets[b])
		b++;
	a->m.buckets[b]++;
	if (failed)
		a->m.reconcile_failures++;
	for (size_t i = 0; i < a->res.plan.nstale; i++)
		if (a->res.plan.stale[i].removed && !a->res.plan.stale[i].apply_err)
			a->m.removed[a->res.plan.stale[i].why == NULL]++;
	for (size_t i = 0; i < a->res.plan.n; i++) {
		enum plan_state s = a->res.plan.routes[i].state;

		/* A route following its node to a new address is no repair. */
		if ((s == PLAN_INSTALLED || s == PLAN_REPAIRED) && !a->res.plan.routes[i].moved) {
			a->m.repairs++;
			if (a->deleted_at > 0) {
				a->m.repair_last_ms = (ev_now() - a->deleted_at) * 1000;
				log_info("repaired %.3f ms after the deletion", a->m.repair_last_ms);
				a->deleted_at = 0;
			}
		}
	}
}

/* The last chunk written: the new JSON replaces the old. */
static void
render_done(struct agent *a, char *json)
{
	render_job_free(a->rjob);
	a->rjob = NULL;
	free(a->status_json);
	a->status_json = json;
	/* Rendering a large report makes many small jansson objects; give the
	 * freed heap back rather than keep its high-water mark (DaemonSet
	 * memory limit). */
	malloc_trim(0);
}

/* Writes budget more elements of the JSON report; false when done. */
static bool
render_more(struct agent *a, size_t budget)
{
	char *json = NULL;
	int e;

	if (!a->rjob)
		return false;
	if ((e = render_json_step(a->rjob, a->report, budget, &json)) == 0)
		return true;
	if (e < 0)
		log_errc(e, "rendering the report");
	render_done(a, json);
	return false;
}

/* Before anything the report points to changes (the next reconcile, a probe
 * round's results): the JSON being written is finished at once. */
void
agent_render_finish(struct agent *a)
{
	render_more(a, SIZE_MAX);
}

static void
on_render_timer(struct ev_loop *loop, void *arg)
{
	struct agent *a = arg;

	if (render_more(a, AGENT_RENDER_CHUNK))
		ev_timer_arm(a->t_render, 0);
}

/* The text, the problem counts and the JSON's head now (they read peers,
 * which may go); the JSON's arrays (5,000 remote nodes: 85,000 elements,
 * ~0.1 s at once) a chunk per turn of the loop, /healthz answered between. */
static void
render(struct agent *a, struct report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	f = open_memstream(&buf, &len);
	if (f) {
		render_text(r, f);
		fclose(f);
	}
	free(a->status_text);
	a->status_text = buf;
	memset(a->problems, 0, sizeof(a->problems));
	for (size_t i = 0; i < r->nproblems; i++)
		a->problems[r->problems[i].code]++;
	if (!(a->rjob = render_json_start(r))) {
		log_errc(-ENOMEM, "rendering the report");
		return;
	}
	on_render_timer(a->loop, a);
}

static void
log_problem(const struct pdiff_key *k, bool appeared, void *arg)
{
	const struct report *r = arg;
	const struct problem *p = &r->problems[k->idx];

	if (!appeared)
		log_info("problem %s cleared: %s", report_code_name(k->code), k->subject);
	else
		log_msg(p->sev == SEV_ERROR ? LOG_ERR : p->sev == SEV_WARNING ? LOG_WARN : LOG_INFO, 0,
			"problem %s appeared: %s", report_code_name(k->code), p->message);
}

static void
log_problems_more(enum problem_code code, bool appeared, size_t count, void *arg)
{
	log_msg(appeared ? LOG_WARN : LOG_INFO, 0, "and %zu more %s problems %s (the report lists "
		"them)", count, report_code_name(code), appeared ? "appeared" : "cleared");
}

/* One line when a problem appears and one when it clears, not one per
 * reconcile: the report says the rest.  Past AGENT_LOG_PER_CODE of one code
 * at once (5,000 Nodes whose agents or probes do not answer), one line
 * counts the rest. */
static void
log_problems(struct agent *a, const struct report *r)
{
	struct pdiff now = { 0 };

	if (pdiff_keys(r, &now) < 0)
		return;		/* said next time */
	pdiff_walk_bounded(&a->pkeys, &now, AGENT_LOG_PER_CODE, log_problem, log_problems_more,
			   (void *)r);
	pdiff_free(&a->pkeys);
	a->pkeys = now;
}

/* Ready once a reconcile did all it set out to do.  A change the kernel
 * refused is retried with backoff (0.1 s doubling to 30 s; any relevant
 * event retries sooner) and keeps the agent not ready meanwhile: the report
 * says what the kernel answered. */
static void
settle(struct agent *a, const struct report *r)
{
	if (a->res.failed) {
		a->apply_backoff = a->apply_backoff ? (a->apply_backoff * 2 < 30 ? a->apply_backoff * 2 : 30)
						    : 0.1;
		if (a->ready || a->apply_backoff >= 30)
			log_warnx("not ready: the kernel refused %d route changes; retrying in %gs",
				  a->res.failed, a->apply_backoff);
		a->ready = false;
		ev_timer_arm(a->t_reconcile, a->apply_backoff);
		return;
	}
	a->apply_backoff = 0;
	if (!a->ready)
		log_info("ready: %zu remote CIDRs, %zu problems", a->res.plan.n, r->nproblems);
	a->ready = true;
}

static void
reconcile(struct agent *a)
{
	static struct plan_remote rem[AGENT_MAX_REMOTES];
	static struct report_peer rp[PEER_MAX];
	static struct agent_claims ac;
	struct report *r = a->report;
	struct rc_kernel k;
	struct rc_input in;
	double t0 = ev_now();
	int err;

	/* The notifications of what the last reconcile changed come before the
	 * plan: a view that lags would add those routes again (EEXIST) and
	 * retry them for ever.  Drained while still pending: what they schedule
	 * is this reconcile. */
	if (a->watch && !a->need_dump)
		ksync_drain(a);
	a->pending = false;
	agent_render_finish(a);		/* it reads the report reset below */
	memset(r, 0, sizeof(*r));
	if (a->need_dump && (err = ksync_redump(a)) < 0) {
		/* Logged once per failure, not ready, retried with backoff (never
		 * an exit: the kernel view comes back). */
		a->backoff = a->backoff ? (a->backoff * 2 < 30 ? a->backoff * 2 : 30) : 0.1;
		log_errc(err, "reading links, addresses and routes; retrying in %gs", a->backoff);
		a->m.reconcile_failures++;
		a->ready = false;
		ev_timer_arm(a->t_reconcile, a->backoff);
		return;
	}
	a->backoff = 0;
	rc_result_free(&a->res);
	rules_refresh(a);
	agent_judge(a, &ac);
	in = (struct rc_input){ .cfg = a->cfg, .kv = &a->kv, .remotes = rem, .rules = a->rules,
				.find = ksync_find, .find_ctx = &a->view,
				.max_changes = AGENT_BURST_CHUNK };
	kernel_seam(&k, a->rs);
	/* --discovery kubernetes: the API servers' Nodes, never a peer's claim. */
	if (a->disc) {
		in.withdrawn = discovery_withdrawn(a->disc, &in.nwithdrawn);
		in.prune = discovery_listed(a->disc);
		in.remotes = discovery_remotes(a->disc, &in.nremotes);
		r->clusters = a->clusters;
		r->nclusters = discovery_clusters(a->disc, a->clusters, DISC_MAX_CLUSTERS + 2);
	} else {
		in.nremotes = claims_remotes(a, &ac, rem, AGENT_MAX_REMOTES);
		r->clusters = a->clusters;
		r->nclusters = claims_clusters(a, a->clusters, DISC_MAX_CLUSTERS + 2);
	}
	if ((err = rc_run(&in, &k, &a->res)) == 0 && a->disc)
		discovery_withdrawn_done(a->disc, &a->res.plan);
	if (err < 0)
		log_errc(err, "planning");
	else if (a->res.deferred) {
		/* A burst, a chunk at a time: the loop serves /healthz in between;
		 * the report waits for the last chunk. */
		kernel_log_changes(&a->res, &a->kv);
		a->pending = true;	/* not through the storm guard: our own pace */
		ev_timer_arm(a->t_reconcile, 0.0005);
	} else {
		kernel_log_changes(&a->res, &a->kv);
		r->version = PODREACH_VERSION;
		r->peers = rp;
		r->npeers = claims_report_peers(a, &ac, rp);
		r->probes = a->probes;
		r->nprobes = a->nprobes;
		r->no_probe_targets = a->probe_none;
		r->probe_nodes = a->probe_nodes;
		r->mtu = a->mtu_res;
		r->nmtu = a->nmtu;
		rc_report(r, &in, &a->res);
		render(a, r);
		log_problems(a, r);
		settle(a, r);
	}
	observe(a, t0, err < 0 || a->res.failed);
	log_debug("reconciled in %.3f ms", (ev_now() - t0) * 1000);
}

static bool
read_token(struct agent *a)
{
	const char *path = a->cfg->peer_token_file;
	FILE *f;
	size_t n;

	if (!path[0])
		return true;
	f = fopen(path, "re");
	if (!f) {
		log_errc(errno, "--peer-token-file %s", path);
		return false;
	}
	n = fread(a->token, 1, sizeof(a->token) - 1, f);
	fclose(f);
	a->token[n] = '\0';
	a->token[strcspn(a->token, "\r\n")] = '\0';
	if (!a->token[0]) {
		log_errx("--peer-token-file %s: empty", path);
		return false;
	}
	return true;
}

/* A learned address (from a peer list, an asker, a node_ip elsewhere) may
 * become a candidate only on a local subnet (where a remote node must be
 * to get a route at all), and never one of ours, a special address or one
 * inside the local cluster's ranges: nobody aims our requests elsewhere. */
static bool
candidate_ok(uint32_t ip, void *arg)
{
	const struct agent *a = arg;
	const struct addr4 *on = kview_onlink(&a->kv, ip);
	const struct cfg *c = a->cfg;
	uint32_t host;

	if (!on || remotes_special_ip(ip) || kview_is_local(&a->kv, ip))
		return false;
	host = ip & ~cidr_mask(on->len);
	if (on->len < 31 && (host == 0 || host == ~cidr_mask(on->len)))
		return false;	/* the subnet's network or broadcast address */
	for (size_t i = 0; i < c->pod_cidrs.n; i++)
		if (cidr_contains_ip(&c->pod_cidrs.v[i], ip))
			return false;
	for (size_t i = 0; i < c->cluster_cidrs.n; i++)
		if (cidr_contains_ip(&c->cluster_cidrs.v[i], ip))
			return false;
	return !c->has_service_cidr || !cidr_contains_ip(&c->service_cidr, ip);
}

/* Whether ip:port is one of --peers. */
static bool
configured_peer(const struct cfg *c, uint32_t ip, uint16_t port)
{
	uint32_t v;

	for (size_t i = 0; i < c->npeers; i++)
		if (cidr_parse_ip(c->peers[i].host, &v) && v == ip && c->peers[i].port == port)
			return true;
	return false;
}

/* Kubernetes mode: the agent at every remote Node's InternalIP (our port)
 * is asked for its /v1/node, as a seed (kept while the Node is listed,
 * however long it is silent), only for the pods it names: they are probed
 * inside the Node's API-given pod CIDRs (agent_probe.c), and no route
 * follows from it.  A Node that goes takes its agent out of the table. */
static void
ask_discovered(struct agent *a)
{
	static struct disc_node nd[PEER_MAX];
	uint16_t port = a->cfg->listen.port;
	size_t n = a->disc ? discovery_nodes(a->disc, false, nd, PEER_MAX) : 0;

	for (size_t i = 0; i < n; i++)
		if (candidate_ok(nd[i].ip, a))	/* the rails of a learned address */
			peers_add(a->peers, nd[i].ip, port, true);
	for (size_t i = peers_count(a->peers); a->disc && i-- > 0;) {
		const struct peer *p = peers_get(a->peers, i);
		size_t k = 0;

		while (k < n && nd[k].ip != p->ip)
			k++;
		if (p->seed && k == n && !configured_peer(a->cfg, p->ip, p->port))
			peers_remove(a->peers, p->ip, p->port, "no Node of a remote cluster there");
	}
}

/* Reads the kernel once and fills the defaults that need it. */
static int
resolve(struct agent *a)
{
	char err[CFG_ERR_MAX];
	int e;

	if ((e = ksync_redump(a)) < 0) {
		log_errc(e, "reading links, addresses and routes");
		return EXIT_RUNTIME;
	}
	if (!resolve_defaults(a->cfg, &a->kv, kernel_default_source(a->rs, &a->kv), err)) {
		log_errx("%s", err);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* How long a peer may stay silent before its claim goes (and its routes
 * with it): 30 rounds, at least a minute (an agent restarting, an image
 * being pulled), at most ten. */
static double
agent_drop_after(const struct cfg *c)
{
	double t = 30 * c->interval;

	return t < 60 ? 60 : t > 600 ? 600 : t;
}

static void
on_discovery_changed(void *arg)
{
	ask_discovered(arg);
	agent_schedule(arg, "discovery");
}

/* Without the nftables subscription (an old kernel, no CAP_NET_ADMIN) the
 * ruleset is re-read once per --interval instead. */
static void
setup_nftwatch(struct agent *a)
{
	if ((a->nftw = nftwatch_open()) &&
	    ev_add(a->loop, nftwatch_fd(a->nftw), EPOLLIN, rules_on_nftwatch, a) == 0)
		return;
	log_warnx("no nftables notifications (%s): the ruleset is re-read every %gs",
		  strerror(errno), a->cfg->interval);
	nftwatch_close(a->nftw);
	a->nftw = NULL;
	a->rules_pending = true;
	ev_timer_arm(a->t_rules, a->cfg->interval);
}

static int
setup(struct agent *a)
{
	struct peers_opts po;
	uint32_t lip = 0;
	int e;

	if (!(a->report = calloc(1, sizeof(*a->report)))) {
		log_errc(ENOMEM, "starting");
		return EXIT_RUNTIME;
	}
	if (!(a->loop = ev_new()) || !(a->rs = route_open()) || !(a->watch = watch_open())) {
		log_errc(errno, "opening the event loop or rtnetlink");
		return EXIT_RUNTIME;
	}
	if ((e = resolve(a)) != EXIT_OK)
		return e;
	po = (struct peers_opts){ .self_ip = a->cfg->node_ip, .self_port = a->cfg->listen.port,
				  .timeout = a->cfg->timeout, .drop_after = agent_drop_after(a->cfg),
				  .token = a->token[0] ? a->token : NULL, .filter = candidate_ok,
				  .quiet = a->cfg->discovery == CFG_DISC_KUBERNETES };
	a->t_reconcile = ev_timer_new(a->loop, on_reconcile_timer, a);
	a->t_resync = ev_timer_new(a->loop, on_resync_timer, a);
	a->t_peers = ev_timer_new(a->loop, on_peer_timer, a);
	a->t_rules = ev_timer_new(a->loop, rules_on_timer, a);
	a->t_render = ev_timer_new(a->loop, on_render_timer, a);
	a->peers = peers_new(a->loop, &po, on_peers_changed, a);
	a->matrix = matrix_new(a);
	a->why = whyd_new(a);
	if (!a->t_reconcile || !a->t_resync || !a->t_peers || !a->t_rules || !a->t_render ||
	    !a->peers || !a->matrix ||
	    !a->why ||
	    ev_add(a->loop, watch_fd(a->watch), EPOLLIN, ksync_on_watch, a) < 0 ||
	    ev_signal(a->loop, SIGTERM, on_signal, a) < 0 || ev_signal(a->loop, SIGINT, on_signal, a) < 0) {
		log_errx("setting up the event loop failed");
		return EXIT_RUNTIME;
	}
	setup_nftwatch(a);
	cidr_parse_ip(a->cfg->listen.host, &lip);
	a->httpd = httpd_start(a->loop, lip, a->cfg->listen.port, api_handle, a);
	if (!a->httpd) {
		log_errc(errno, "listening on %s:%u", a->cfg->listen.host, a->cfg->listen.port);
		return EXIT_RUNTIME;
	}
	if (a->cfg->discovery == CFG_DISC_KUBERNETES) {
		char err[CFG_ERR_MAX];

		if (!(a->disc = discovery_new(a->loop, a->cfg, on_discovery_changed, a, err))) {
			log_errx("%s", err);
			return EXIT_USAGE;
		}
	}
	for (size_t i = 0; i < a->cfg->npeers; i++) {
		uint32_t ip = 0;

		cidr_parse_ip(a->cfg->peers[i].host, &ip);
		peers_add(a->peers, ip, a->cfg->peers[i].port, true);
	}
	ev_timer_arm(a->t_resync, a->cfg->resync);
	ev_timer_arm(a->t_peers, a->cfg->interval);
	if ((e = agent_probe_start(a)) < 0) {
		log_errc(e, "starting the probes");
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

/* --cleanup-on-exit: remove exactly the routes we own. */
static void
cleanup_routes(struct agent *a)
{
	char line[160];
	int err;

	if ((err = ksync_redump(a)) < 0) {
		log_errc(err, "reading routes for --cleanup-on-exit");
		return;
	}
	for (size_t i = 0; i < a->kv.nroutes; i++) {
		const struct route4 *r = &a->kv.routes[i];

		if (r->protocol != PODREACH_RTPROT)
			continue;
		report_fmt_route(&a->kv, r, line, sizeof(line));
		if ((err = route_apply(a->rs, ROUTE_DEL, r)) < 0)
			log_errc(err, "removing %s", line);
		else
			log_info("removed %s", line);
	}
}

static void
teardown(struct agent *a)
{
	whyd_free(a->why);
	httpd_stop(a->httpd);
	agent_probe_stop(a);
	matrix_free(a->matrix);
	peers_free(a->peers);
	discovery_free(a->disc);
	ev_timer_free(a->t_reconcile);
	ev_timer_free(a->t_resync);
	ev_timer_free(a->t_peers);
	ev_timer_free(a->t_rules);
	ev_timer_free(a->t_render);
	render_job_free(a->rjob);
	if (a->watch && a->loop)
		ev_del(a->loop, watch_fd(a->watch));
	watch_close(a->watch);
	if (a->nftw && a->loop)
		ev_del(a->loop, nftwatch_fd(a->nftw));
	nftwatch_close(a->nftw);
	route_close(a->rs);
	ev_free(a->loop);	/* last: everything registered with it is gone */
	rc_result_free(&a->res);
	view_free(&a->view);
	kview_free(&a->kv);
	nft_ruleset_free(a->rules);
	free(a->report);
	free(a->status_json);
	free(a->status_text);
	free(a->spans);
	pdiff_free(&a->pkeys);
}

int
agent_main(int argc, char *argv[])
{
	struct agent *a = calloc(1, sizeof(*a));
	char err[CFG_ERR_MAX];
	int rc = EXIT_RUNTIME;

	if (!a || !(a->cfg = calloc(1, sizeof(*a->cfg))))
		goto out;
	if (!cfg_parse(a->cfg, argc, argv, environ, err)) {
		rc = strcmp(err, "help") ? EXIT_USAGE : EXIT_OK;
		if (rc == EXIT_OK)
			fputs(cfg_usage, stdout);
		else
			log_errx("%s", err);
		goto out;
	}
	if (a->cfg->verbose)
		log_set_level(LOG_DEBUG);
	signal(SIGPIPE, SIG_IGN);
	srandom((unsigned)(ev_now() * 1e6));
	if (!read_token(a)) {
		rc = EXIT_USAGE;
		goto out;
	}
	if ((rc = setup(a)) != EXIT_OK)
		goto out;
	log_info("podreach %s: cluster %s, node %s, mode %s, listening on %s:%u", PODREACH_VERSION,
		 a->cfg->cluster, a->cfg->node_name,
		 a->cfg->mode == CFG_MODE_ENFORCE ? "enforce" : "report", a->cfg->listen.host,
		 a->cfg->listen.port);
	reconcile(a);
	if ((rc = ev_run(a->loop)) < 0)
		log_errc(rc, "event loop");
	rc = rc < 0 ? EXIT_RUNTIME : EXIT_OK;
	if (a->cfg->cleanup_on_exit)
		cleanup_routes(a);
	else {
		size_t owned = 0;

		for (size_t i = 0; i < a->res.plan.n; i++)
			owned += a->res.plan.routes[i].owned;
		log_info("leaving %zu owned routes in place", owned);
	}
out:
	if (a) {
		teardown(a);
		free(a->cfg);
	}
	free(a);
	return rc;
}
