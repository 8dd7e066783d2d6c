/*
 * `podreach check`: the command line around one reconcile
 * (agent/core/reconcile.c).  Order matters: every option is validated and
 * every default resolved before the first route is written, so a bad value
 * changes nothing (exit 2).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cli/check.h"
#include "agent/core/cfg.h"
#include "agent/core/clusters.h"
#include "agent/core/reconcile.h"
#include "agent/core/render.h"
#include "agent/core/report.h"
#include "agent/core/version.h"
#include "agent/daemon/discovery.h"
#include "agent/io/ev.h"
#include "agent/io/kernel.h"
#include "agent/io/log.h"
#include "agent/io/probe.h"
#include "agent/io/resolve.h"
#include "netlink/nft.h"
#include "netlink/route.h"

extern char **environ;

/* How long --discovery kubernetes waits for every API to list or fail. */
#define CHECK_DISCOVERY_SECONDS 10

/* What one run of check holds; everything is freed in snap_free(). */
struct snap {
	struct route_sock *rs;
	struct kview kv;
	struct nft_ruleset *rules;
	struct plan_remote remotes[CFG_MAX_REMOTES];
	const struct plan_remote *rem;	/* remotes, or discovery's */
	size_t nrem;
	struct report_cluster clusters[DISC_MAX_CLUSTERS + 2];	/* + the Secrets, --remote */
	size_t nclusters;
	bool prune;			/* every cluster listed: stale owned routes go */
	struct ev_loop *loop;		/* --discovery kubernetes */
	struct ev_timer *deadline;
	struct discovery *disc;
	struct rc_result res;
	struct report_probe *probes;
};

static void
snap_free(struct snap *s)
{
	discovery_free(s->disc);
	ev_timer_free(s->deadline);
	ev_free(s->loop);
	rc_result_free(&s->res);
	free(s->probes);
	nft_ruleset_free(s->rules);
	kview_free(&s->kv);
	route_close(s->rs);
}

/* Reads the kernel and resolves the defaults that need it. */
static int
gather(struct cfg *c, struct snap *s)
{
	char err[CFG_ERR_MAX];
	int e;

	if (!(s->rs = route_open())) {
		log_errc(errno, "opening rtnetlink");
		return EXIT_RUNTIME;
	}
	if ((e = route_dump(s->rs, &s->kv)) < 0) {
		log_errc(e, "reading links, addresses and routes");
		return EXIT_RUNTIME;
	}
	if (!resolve_defaults(c, &s->kv, kernel_default_source(s->rs, &s->kv), err)) {
		log_errx("%s", err);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < c->nremotes; i++)
		s->remotes[i] = (struct plan_remote){ .node_ip = c->remotes[i].node_ip,
			.cidrs = c->remotes[i].cidrs.v, .ncidrs = c->remotes[i].cidrs.n };
	s->rem = s->remotes;
	s->nrem = c->nremotes;
	s->nclusters = clusters_static(c, s->clusters, 1);
	if ((e = nft_ruleset_read(&s->rules)) < 0)
		log_errc(e, "reading the nftables ruleset; the firewall is not evaluated");
	return EXIT_OK;
}

static void
on_discovered(void *arg)
{
	struct snap *s = arg;

	if (discovery_settled(s->disc))
		ev_stop(s->loop);
}

static void
on_deadline(struct ev_loop *loop, void *arg)
{
	ev_stop(loop);
}

/* A check that cannot know this node's pod CIDR cannot check anything. */
static int
no_pod_cidr(const struct cfg *c, const struct report_cluster *local)
{
	log_errx("no --pod-cidr given, none in a CNI config in %s, and the local cluster's API "
		 "(%s, %s) gives Node %s no spec.podCIDRs%s%s", c->cni_conf_dir, local->api,
		 local->state, c->node_name, local->error[0] ? ": " : "", local->error);
	return EXIT_USAGE;
}

/* --discovery kubernetes: the agent's own discovery in a short-lived loop
 * until every API has listed its Nodes (and Secrets) or failed, at most
 * CHECK_DISCOVERY_SECONDS; then its Nodes are the remotes and, when every
 * cluster was listed, stale owned routes may go. */
static int
discover(struct cfg *c, struct snap *s)
{
	char err[CFG_ERR_MAX];
	int e;

	if (c->discovery != CFG_DISC_KUBERNETES)
		return EXIT_OK;
	if (!(s->loop = ev_new()) || !(s->deadline = ev_timer_new(s->loop, on_deadline, s))) {
		log_errc(errno, "starting the event loop");
		return EXIT_RUNTIME;
	}
	if (!(s->disc = discovery_new(s->loop, c, on_discovered, s, err))) {
		log_errx("%s", err);
		return EXIT_USAGE;
	}
	ev_timer_arm(s->deadline, CHECK_DISCOVERY_SECONDS);
	if ((e = ev_run(s->loop)) < 0) {
		log_errc(e, "event loop");
		return EXIT_RUNTIME;
	}
	s->rem = discovery_remotes(s->disc, &s->nrem);
	s->prune = discovery_listed(s->disc);
	s->nclusters = discovery_clusters(s->disc, s->clusters, DISC_MAX_CLUSTERS + 2);
	for (size_t i = 0; i < s->nclusters; i++) {
		struct report_cluster *rc = &s->clusters[i];

		if (strcmp(rc->state, "syncing"))
			continue;
		rc->state = "unreachable";
		snprintf(rc->error, sizeof(rc->error), "no complete list within %d s",
			 CHECK_DISCOVERY_SECONDS);
	}
	return c->pod_cidrs.n ? EXIT_OK : no_pod_cidr(c, &s->clusters[0]);
}

/* One round over the explicit --probe targets, after enforce so that the
 * routes just installed are the ones probed. */
static int
active_probes(const struct cfg *c, const struct kview *kv, struct snap *s, struct report *r)
{
	struct probe_opts o = probe_opts_for(c, kv);
	struct probe_target t[CFG_MAX_PROBES];
	struct probe_result res[CFG_MAX_PROBES];
	int err;

	if (c->nprobes == 0)
		return 0;
	for (size_t i = 0; i < c->nprobes; i++) {
		const struct cfg_probe *p = &c->probes[i];

		t[i] = (struct probe_target){ .kind = p->http ? PROBE_HTTP : PROBE_TCP,
			.ip = p->ip, .port = p->port, .url = p->http ? p->url : NULL };
	}
	if (!(s->probes = calloc(c->nprobes, sizeof(*s->probes))))
		return -ENOMEM;
	if ((err = probe_run_sync(t, c->nprobes, &o, res)) < 0)
		return err;
	for (size_t i = 0; i < c->nprobes; i++)
		probe_report(&t[i], &res[i], &o, &s->probes[i]);
	r->probes = s->probes;
	r->nprobes = c->nprobes;
	return 0;
}

static int
emit(const struct report *r, const struct cfg *c)
{
	char *json;

	if (c->output == CFG_OUT_JSON) {
		if (!(json = render_json(r))) {
			log_errc(errno, "rendering the JSON report");
			return EXIT_RUNTIME;
		}
		printf("%s\n", json);
		free(json);
	} else
		render_text(r, stdout);
	fflush(stdout);
	return report_count(r, SEV_ERROR) ? EXIT_PROBLEM : EXIT_OK;
}

/* Everything after the options were parsed. */
static int
run(struct cfg *c, struct report *r)
{
	struct snap *s = calloc(1, sizeof(*s));
	struct rc_kernel k;
	struct rc_input in;
	int rc, e;

	if (!s) {
		log_errc(ENOMEM, "starting");
		return EXIT_RUNTIME;
	}
	if ((rc = gather(c, s)) != EXIT_OK || (rc = discover(c, s)) != EXIT_OK)
		goto out;
	in = (struct rc_input){ .cfg = c, .kv = &s->kv, .remotes = s->rem, .nremotes = s->nrem,
				.rules = s->rules, .prune = s->prune };
	kernel_seam(&k, s->rs);
	rc = EXIT_RUNTIME;
	if ((e = rc_run(&in, &k, &s->res)) < 0) {
		log_errc(e, "planning routes");
		goto out;
	}
	kernel_log_changes(&s->res, &s->kv);
	if ((e = active_probes(c, &s->kv, s, r)) < 0) {
		log_errc(e, "probing");
		goto out;
	}
	r->version = PODREACH_VERSION;
	r->once = true;
	r->clusters = s->clusters;
	r->nclusters = s->nclusters;
	rc_report(r, &in, &s->res);
	rc = emit(r, c);
	if (s->res.failed)
		rc = EXIT_RUNTIME;
out:
	snap_free(s);
	free(s);
	return rc;
}

int
check_main(int argc, char *argv[])
{
	struct cfg *c = calloc(1, sizeof(*c));
	struct report *r = calloc(1, sizeof(*r));
	char err[CFG_ERR_MAX];
	int rc = EXIT_RUNTIME;

	if (!c || !r) {
		log_errc(ENOMEM, "starting");
		goto out;
	}
	if (!cfg_parse(c, argc, argv, environ, err)) {
		if (!strcmp(err, "help")) {
			fputs(cfg_usage, stdout);
			rc = EXIT_OK;
		} else {
			log_errx("%s", err);
			fprintf(stderr, "(podreach check --help lists the options)\n");
			rc = EXIT_USAGE;
		}
		goto out;
	}
	rc = run(c, r);
out:
	free(r);
	free(c);
	return rc;
}
