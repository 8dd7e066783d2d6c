/*
 * The agent's probe rounds: every --interval (jittered, so agents started
 * together do not probe together), every remote pod IP that peers publish on
 * each --probe-port, each peer's probe_addrs, and the explicit --probe
 * targets.  Results feed the report (probes[], probe-failed) and /metrics.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/core/cfg.h"
#include "agent/daemon/agent.h"
#include "agent/io/ev.h"
#include "agent/io/log.h"

const double api_rtt_buckets[API_RTT_BUCKETS] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1e9,
};

static void on_probe_timer(struct ev_loop *loop, void *arg);

static bool
add_target(struct agent *a, enum probe_kind kind, uint32_t ip, uint16_t port, const char *url)
{
	if (a->ntargets == API_MAX_TARGETS)
		return false;
	a->targets[a->ntargets++] = (struct probe_target){ kind, ip, port, url };
	return true;
}

/* Targets from the peers of other clusters, then --probe. */
static void
build_targets(struct agent *a)
{
	const struct cfg *c = a->cfg;

	a->ntargets = 0;
	for (size_t i = 0; i < peers_count(a->peers); i++) {
		const struct peer *p = peers_get(a->peers, i);

		if (!agent_remote_peer(a, p))
			continue;
		for (size_t k = 0; k < p->info.npod_ips; k++)
			for (size_t j = 0; j < c->nprobe_ports; j++)
				add_target(a, PROBE_TCP, p->info.pod_ips[k], c->probe_ports[j], NULL);
		for (size_t k = 0; k < p->info.nprobe_addrs; k++)
			add_target(a, PROBE_TCP, p->info.probe_addrs[k].ip, p->info.probe_addrs[k].port,
				   NULL);
	}
	for (size_t i = 0; i < c->nprobes; i++)
		add_target(a, c->probes[i].http ? PROBE_HTTP : PROBE_TCP, c->probes[i].ip,
			   c->probes[i].port, c->probes[i].http ? c->probes[i].url : NULL);
}

static struct agent_series *
series_for(struct agent *a, const char *target)
{
	for (size_t i = 0; i < a->nseries; i++)
		if (!strcmp(a->series[i].target, target))
			return &a->series[i];
	if (a->nseries < API_PROBE_SERIES) {
		struct agent_series *s = &a->series[a->nseries++];

		snprintf(s->target, sizeof(s->target), "%s", target);
		return s;
	}
	/* Past the cap every target shares one series: cardinality stays bounded. */
	snprintf(a->series[API_PROBE_SERIES].target, sizeof(a->series[0].target), "other");
	return &a->series[API_PROBE_SERIES];
}

static void
record(struct agent *a, const struct probe_result *res, const struct report_probe *rp)
{
	double s = (double)res->rtt_us / 1e6;
	size_t b = 0;

	a->m.probe_results[res->kind == PROBE_HTTP][res->result]++;
	if (probe_result_reached(res->result)) {
		while (b < API_RTT_BUCKETS - 1 && s > api_rtt_buckets[b])
			b++;
		a->m.rtt_buckets[b]++;
		a->m.rtt_sum += s;
		a->m.rtt_count++;
	}
	probe_history_add(&series_for(a, rp->target)->h, res->result);
}

static void
on_round(const struct probe_result *res, size_t n, void *arg)
{
	struct agent *a = arg;
	struct report_probe *rp = calloc(n, sizeof(*rp));

	if (!rp) {
		log_errc(ENOMEM, "probe results");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		probe_report(&a->targets[i], &res[i], &a->probe_opts, &rp[i]);
		record(a, &res[i], &rp[i]);
	}
	free(a->probes);
	a->probes = rp;
	a->nprobes = n;
	agent_schedule(a, "probe round");
}

static void
on_probe_timer(struct ev_loop *loop, void *arg)
{
	struct agent *a = arg;
	struct probe_opts o = probe_opts_for(a->cfg, &a->kv);
	int err;

	ev_timer_arm(a->t_probe, probe_jitter(a->cfg->interval, 0.1, (uint32_t)random()));
	if (a->probe && probe_round_busy(a->probe))
		return;	/* the last round still runs: skip, do not pile up */
	if (!a->probe || o.src != a->probe_opts.src) {
		probe_engine_free(a->probe);
		a->probe_opts = o;
		a->probe = probe_engine_new(a->loop, &a->probe_opts);
		if (!a->probe) {
			log_errc(errno, "probe engine");
			return;
		}
	}
	build_targets(a);
	if (a->ntargets == 0)
		return;
	if ((err = probe_round_start(a->probe, a->targets, a->ntargets, on_round, a)) < 0)
		log_errc(err, "starting a probe round");
}

int
agent_probe_start(struct agent *a)
{
	a->targets = calloc(API_MAX_TARGETS, sizeof(*a->targets));
	a->t_probe = ev_timer_new(a->loop, on_probe_timer, a);
	if (!a->targets || !a->t_probe)
		return -ENOMEM;
	return ev_timer_arm(a->t_probe, probe_jitter(a->cfg->interval, 0.1, (uint32_t)random()));
}

void
agent_probe_stop(struct agent *a)
{
	probe_engine_free(a->probe);
	a->probe = NULL;
	ev_timer_free(a->t_probe);
	a->t_probe = NULL;
	free(a->targets);
	a->targets = NULL;
	free(a->probes);
	a->probes = NULL;
	a->nprobes = 0;
}
