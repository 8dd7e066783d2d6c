/*
 * `podreach check`: the I/O around the pure parts.  Order matters: every
 * option is validated and every default resolved before the first route is
 * written, so a bad value changes nothing (exit 2).
 */
#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/core/cfg.h"
#include "agent/cli/check.h"
#include "agent/core/fw.h"
#include "agent/io/log.h"
#include "agent/io/node.h"
#include "agent/core/plan.h"
#include "agent/io/probe.h"
#include "agent/core/report.h"
#include "agent/core/version.h"
#include "netlink/nft.h"
#include "netlink/route.h"

extern char **environ;

/* The source address the kernel would pick for the default route. */
uint32_t
check_default_source(struct route_sock *rs, const struct kview *kv)
{
	const struct route4 *def = NULL;
	struct route4 got;

	for (size_t i = 0; i < kv->nroutes; i++) {
		const struct route4 *r = &kv->routes[i];

		if (r->dst.len == 0 && r->type == RTN_UNICAST && (!def || r->priority < def->priority))
			def = r;
	}
	if (!def)
		return 0;
	if (def->prefsrc)
		return def->prefsrc;
	if (def->gw && route_get(rs, def->gw, &got) == 0)
		return got.prefsrc;
	return 0;
}

void
check_lookup_fib(struct route_sock *rs, struct plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		struct plan_route *pr = &p->routes[i];

		if (pr->state == PLAN_REJECTED || pr->state == PLAN_OK)
			continue;
		pr->has_fib = true;
		pr->fib_err = route_get(rs, pr->dst.addr + (pr->dst.len < 31), &pr->fib);
	}
}

/* Enforce: add what is missing, replace our own wrong routes.  Returns the
 * number of failed changes. */
int
check_enforce(struct route_sock *rs, struct plan *p, const struct kview *kv)
{
	char line[160];
	int failed = 0;

	for (size_t i = 0; i < p->n; i++) {
		struct plan_route *pr = &p->routes[i];
		struct route4 want = plan_route4(pr);
		int err;

		if (pr->action == ACT_NONE)
			continue;
		err = route_apply(rs, pr->action == ACT_ADD ? ROUTE_ADD : ROUTE_REPLACE, &want);
		report_fmt_route(kv, &want, line, sizeof(line));
		if (err) {
			pr->apply_err = err;
			failed++;
			log_errc(err, "%s %s", pr->action == ACT_ADD ? "adding" : "replacing", line);
			continue;
		}
		log_info("%s %s (was %s)", pr->action == ACT_ADD ? "added" : "replaced", line,
			 plan_state_name(pr->state));
		pr->state = pr->action == ACT_ADD ? PLAN_INSTALLED : PLAN_REPAIRED;
		pr->owned = true;
		pr->has_fib = false;
	}
	return failed;
}

static void
to_remotes(const struct cfg *c, struct plan_remote *out)
{
	for (size_t i = 0; i < c->nremotes; i++)
		out[i] = (struct plan_remote){ .node_ip = c->remotes[i].node_ip,
			.cidrs = c->remotes[i].cidrs.v, .ncidrs = c->remotes[i].cidrs.n };
}

static int
emit(struct report *r, const struct cfg *c)
{
	char *json;

	report_diagnose(r);
	if (c->output == CFG_OUT_JSON) {
		json = report_json(r);
		if (!json) {
			log_errc(errno, "rendering the JSON report");
			return EXIT_RUNTIME;
		}
		printf("%s\n", json);
		free(json);
	} else
		report_text(r, stdout);
	fflush(stdout);
	return report_count(r, SEV_ERROR) ? EXIT_PROBLEM : EXIT_OK;
}

void
check_node_settings(struct report *r, const struct kview *kv, uint32_t node_ip)
{
	for (size_t i = 0; i < kv->naddrs; i++)
		if (kv->addrs[i].local == node_ip)
			kview_ifname(kv, kv->addrs[i].ifindex, r->bridge_dev);
	node_read("/proc", r->bridge_dev, &r->sysctl);
	r->has_sysctl = true;
}

#define FW_MAX_PORTS 4

/* A pod of ours as a flow's source: a real one (kindnet gives each a /32
 * host route on its veth) or, without pods, the second address of the
 * pod CIDR.  *iif is the pod's veth, or 0. */
static uint32_t
local_pod(const struct cfg *c, const struct kview *kv, int *iif)
{
	*iif = 0;
	for (size_t i = 0; i < kv->nroutes; i++) {
		const struct route4 *r = &kv->routes[i];

		if (r->dst.len == 32 && !r->gw && r->oif && cidr_contains_ip(&c->pod_cidrs.v[0], r->dst.addr) &&
		    !kview_is_local(kv, r->dst.addr)) {
			*iif = r->oif;
			return r->dst.addr;
		}
	}
	return c->pod_cidrs.v[0].addr + 2;
}

static void
to_report_fw(const struct fw_result *res, const char *src, const char *dst, uint16_t dport,
	     struct report_fw *out)
{
	out->dport = dport;
	snprintf(out->src, sizeof(out->src), "%s", src);
	snprintf(out->dst, sizeof(out->dst), "%s", dst);
	snprintf(out->hook, sizeof(out->hook), "%s", fw_hook_name(res->hook));
	snprintf(out->verdict, sizeof(out->verdict), "%s", fw_verdict_name(res->verdict));
	snprintf(out->table, sizeof(out->table), "%s", res->table);
	snprintf(out->chain, sizeof(out->chain), "%s", res->chain);
	snprintf(out->rule, sizeof(out->rule), "%s", res->rule);
	snprintf(out->reason, sizeof(out->reason), "%s", res->reason);
	out->handle = res->handle;
}

/* The flows of one remote CIDR: a pod's packet forwarded (prerouting,
 * forward, postrouting) and the node's own probe (output, postrouting),
 * once per probe port. */
static size_t
fw_flows(const struct cfg *c, const struct kview *kv, const struct nft_ruleset *rs,
	 const struct plan_route *pr, uint32_t pod, int iif, uint32_t probe_src,
	 struct report_fw *out)
{
	struct fw_ctx ctx = { kv->addrs, kv->naddrs };
	struct fw_result res[3];
	struct fw_flow f;
	char src[CIDR_STRLEN], dst[CIDR_STRLEN], self[CIDR_STRLEN + 3];
	char dev[IF_NAMESIZE + 8];
	uint32_t daddr = pr->dst.addr + (pr->dst.len < 31 ? 2 : 0);
	size_t n = 0, got;

	cidr_fmt(&c->pod_cidrs.v[0], src);
	cidr_fmt(&pr->dst, dst);
	snprintf(self, sizeof(self), "%s/32", cidr_fmt_ip(probe_src, dev));
	for (size_t p = 0; p < c->nprobe_ports && p < FW_MAX_PORTS; p++) {
		fw_flow_init(&f, pod, daddr, c->probe_ports[p]);
		f.iif = iif;
		f.oif = pr->oif;
		if (iif)
			snprintf(f.iifname, sizeof(f.iifname), "%s", kview_ifname(kv, iif, dev));
		snprintf(f.oifname, sizeof(f.oifname), "%s", kview_ifname(kv, pr->oif, dev));
		got = fw_eval_forward(rs, &ctx, &f, res);
		for (size_t k = 0; k < got; k++)
			to_report_fw(&res[k], src, dst, c->probe_ports[p], &out[n++]);
		fw_flow_init(&f, probe_src, daddr, c->probe_ports[p]);
		f.oif = pr->oif;
		snprintf(f.oifname, sizeof(f.oifname), "%s", kview_ifname(kv, pr->oif, dev));
		got = fw_eval_local(rs, &ctx, &f, res);
		for (size_t k = 0; k < got; k++)
			to_report_fw(&res[k], self, dst, c->probe_ports[p], &out[n++]);
	}
	return n;
}

int
check_firewall(const struct cfg *c, const struct kview *kv, const struct plan *p,
	       const struct nft_ruleset *rs, struct report_fw **out, size_t *nout)
{
	struct report_fw *fw;
	uint32_t src = check_probe_source(c, kv).src, pod;
	size_t n = 0;
	int iif;

	*out = NULL;
	*nout = 0;
	if (!rs || p->n == 0 || c->pod_cidrs.n == 0)
		return 0;
	fw = calloc(p->n * FW_MAX_PORTS * 5, sizeof(*fw));
	if (!fw)
		return -ENOMEM;
	pod = local_pod(c, kv, &iif);
	for (size_t i = 0; i < p->n; i++)
		if (p->routes[i].state != PLAN_REJECTED && p->routes[i].oif)
			n += fw_flows(c, kv, rs, &p->routes[i], pod, iif, src ? src : c->node_ip, fw + n);
	*out = fw;
	*nout = n;
	return 0;
}

struct probe_opts
check_probe_source(const struct cfg *c, const struct kview *kv)
{
	struct probe_opts o = { .timeout = c->timeout };

	o.src = kview_local_in(kv, c->pod_cidrs.v, c->pod_cidrs.n);
	o.src_is_pod = o.src != 0;
	if (!o.src && kview_is_local(kv, c->node_ip))
		o.src = c->node_ip;
	return o;
}

/* One round over the explicit --probe targets.  The source is the node's own
 * address inside its pod CIDR (the ptp gateway .1) when it has one, so that
 * the answer must come back over the other cluster's route to our pods, the
 * path pods use; else the node IP.  On success r->probes is *out, which the
 * caller frees.  Returns 0 or -errno. */
static int
active_probes(const struct cfg *c, const struct kview *kv, struct report *r,
	      struct report_probe **out)
{
	struct probe_opts o = check_probe_source(c, kv);
	struct probe_target t[CFG_MAX_PROBES];
	struct probe_result res[CFG_MAX_PROBES];
	struct report_probe *rp;
	int err;

	if (c->nprobes == 0)
		return 0;
	for (size_t i = 0; i < c->nprobes; i++) {
		const struct cfg_probe *p = &c->probes[i];

		t[i] = (struct probe_target){ .kind = p->http ? PROBE_HTTP : PROBE_TCP,
			.ip = p->ip, .port = p->port, .url = p->http ? p->url : NULL };
	}
	rp = calloc(c->nprobes, sizeof(*rp));
	if (!rp)
		return -ENOMEM;
	if ((err = probe_run_sync(t, c->nprobes, &o, res)) < 0) {
		free(rp);
		return err;
	}
	for (size_t i = 0; i < c->nprobes; i++)
		probe_report(&t[i], &res[i], &o, &rp[i]);
	*out = rp;
	r->probes = rp;
	r->nprobes = c->nprobes;
	return 0;
}

/* Everything after the options were parsed; c is resolved here. */
static int
run(struct cfg *c, struct report *r)
{
	struct plan_remote remotes[CFG_MAX_REMOTES];
	struct kview kv = { 0 };
	struct plan plan = { 0 };
	struct report_probe *probes = NULL;
	struct report_fw *fw = NULL;
	struct nft_ruleset *rules = NULL;
	struct route_sock *rs;
	char err[CFG_ERR_MAX];
	int rc = EXIT_RUNTIME, e, failed = 0;

	rs = route_open();
	if (!rs) {
		log_errc(errno, "opening rtnetlink");
		return EXIT_RUNTIME;
	}
	if ((e = route_dump(rs, &kv)) < 0) {
		log_errc(e, "reading links, addresses and routes");
		goto out;
	}
	if (!cfg_resolve(c, &kv, check_default_source(rs, &kv), err)) {
		log_errx("%s", err);
		rc = EXIT_USAGE;
		goto out;
	}
	to_remotes(c, remotes);
	struct plan_input in = {
		.kv = &kv, .node_ip = c->node_ip,
		.pod_cidrs = c->pod_cidrs.v, .npod = c->pod_cidrs.n,
		.cluster_cidrs = c->cluster_cidrs.v, .ncluster = c->cluster_cidrs.n,
		.service_cidr = c->has_service_cidr ? &c->service_cidr : NULL,
		.allow = c->allow_cidrs.v, .nallow = c->allow_cidrs.n,
		.remotes = remotes, .nremotes = c->nremotes,
	};
	if ((e = plan_build(&in, &plan)) < 0) {
		log_errc(e, "planning routes");
		goto out;
	}
	if (c->mode == CFG_MODE_ENFORCE)
		failed = check_enforce(rs, &plan, &kv);
	check_lookup_fib(rs, &plan);
	r->cfg = c;
	r->kv = &kv;
	r->plan = &plan;
	r->remotes = remotes;
	r->nremotes = c->nremotes;
	check_node_settings(r, &kv, c->node_ip);
	if ((e = nft_ruleset_read(&rules)) < 0)
		log_errc(e, "reading the nftables ruleset; the firewall is not evaluated");
	else if ((e = check_firewall(c, &kv, &plan, rules, &fw, &r->nfw)) < 0)
		log_errc(e, "evaluating the firewall");
	r->fw = fw;
	if ((e = active_probes(c, &kv, r, &probes)) < 0) {
		log_errc(e, "probing");
		goto out;
	}
	rc = emit(r, c);
	if (failed)
		rc = EXIT_RUNTIME;
out:
	/* r borrowed these for the report only: nothing may point at them now. */
	r->kv = NULL;
	r->plan = NULL;
	r->fw = NULL;
	r->probes = NULL;
	r->remotes = NULL;
	free(probes);
	free(fw);
	nft_ruleset_free(rules);
	plan_free(&plan);
	kview_free(&kv);
	route_close(rs);
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
	r->version = PODREACH_VERSION;
	rc = run(c, r);
out:
	free(r);
	free(c);
	return rc;
}
