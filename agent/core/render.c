#include <errno.h>
#include <jansson.h>
#include <linux/rtnetlink.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "agent/core/render.h"
#include "agent/core/report.h"



static void
text_header(const struct report *r, FILE *out)
{
	const struct cfg *c = r->cfg;
	char ip[CIDR_STRLEN], b[CIDR_STRLEN];

	fprintf(out, "podreach %s: cluster %s, node %s (%s), pod CIDR", r->version, c->cluster,
		c->node_name, cidr_fmt_ip(c->node_ip, ip));
	for (size_t i = 0; i < c->pod_cidrs.n; i++)
		fprintf(out, "%s %s", i ? "," : "", cidr_fmt(&c->pod_cidrs.v[i], b));
	fprintf(out, ", mode %s\n", c->mode == CFG_MODE_ENFORCE ? "enforce" : "report");
}

static const struct problem *
route_problem(const struct report *r, size_t i)
{
	for (size_t k = 0; k < r->nproblems; k++)
		if (r->problems[k].route == (int)i)
			return &r->problems[k];
	return NULL;
}

static void
text_routes(const struct report *r, FILE *out)
{
	char d[CIDR_STRLEN], v[CIDR_STRLEN], dev[IF_NAMESIZE + 8], state[32];

	fprintf(out, "\nremote pod CIDRs (%zu)\n", r->plan ? r->plan->n : 0);
	if (!r->plan || r->plan->n == 0)
		fprintf(out, "  none known: give --remote NODEIP=CIDR or --peers\n");
	for (size_t i = 0; r->plan && i < r->plan->n; i++) {
		const struct plan_route *pr = &r->plan->routes[i];
		const struct problem *p = route_problem(r, i);

		snprintf(state, sizeof(state), "%s%s", plan_state_name(pr->state),
			 pr->state == PLAN_OK && !pr->owned ? " (not podreach's)" : "");
		fprintf(out, "  %-18s via %-15s dev %-8s %s\n", cidr_fmt(&pr->dst, d),
			cidr_fmt_ip(pr->via, v), pr->oif ? kview_ifname(r->kv, pr->oif, dev) : "-",
			state);
		if (p) {
			fprintf(out, "      %s %s: %s\n", report_sev_name(p->sev), report_code_name(p->code), p->message);
			fprintf(out, "      fix: %s\n", p->fix);
		}
	}
}

static void
text_rest(const struct report *r, FILE *out)
{
	size_t shown = 0;

	if (r->nfw) {
		size_t quiet = 0;

		/* Hooks where no chain ran and the flow passed say nothing: skip them. */
		fprintf(out, "\nfirewall (what nftables does to each flow)\n");
		for (size_t i = 0; i < r->nfw; i++) {
			const struct report_fw *f = &r->fw[i];

			if (!f->table[0] && !strcmp(f->verdict, "accept")) {
				quiet++;
				continue;
			}
			fprintf(out, "  %-3s %s -> %s :%u %-11s %-10s %s %s", f->inbound ? "in" : "out",
				f->src, f->dst, f->dport, f->hook, f->verdict, f->table, f->chain);
			if (f->handle)
				fprintf(out, " handle %llu: %s", (unsigned long long)f->handle, f->rule);
			else
				fprintf(out, " %s", f->rule);
			fprintf(out, "%s%s\n", f->reason[0] ? " -- not understood: " : "", f->reason);
		}
		if (quiet)
			fprintf(out, "  (%zu more hook%s with no chain: accepted)\n", quiet, quiet == 1 ? "" : "s");
	}
	if (r->nprobes) {
		fprintf(out, "\nprobes\n");
		for (size_t i = 0; i < r->nprobes; i++) {
			const struct report_probe *p = &r->probes[i];

			fprintf(out, "  %-4s %-40s %-11s %8.3f ms %s\n", p->kind, p->target, p->result,
				p->rtt_ms, p->detail);
		}
	}
	for (size_t k = 0; k < r->nproblems; k++) {
		const struct problem *p = &r->problems[k];

		if (p->route >= 0)
			continue;
		if (!shown++)
			fprintf(out, "\nnode and peers\n");
		fprintf(out, "  %s %s: %s\n", report_sev_name(p->sev), report_code_name(p->code), p->message);
		if (p->fix[0])
			fprintf(out, "      fix: %s\n", p->fix);
	}
}

static void
text_clusters(const struct report *r, FILE *out)
{
	if (!r->nclusters)
		return;
	fprintf(out, "\nclusters (%zu)\n", r->nclusters);
	for (size_t i = 0; i < r->nclusters; i++) {
		const struct report_cluster *c = &r->clusters[i];

		fprintf(out, "  %-16s %-10s %-11s %5zu nodes  %s%s\n", c->name[0] ? c->name : "-",
			c->source, c->state,
			c->nodes, c->api, c->local ? " (this cluster)" : "");
		if (c->error[0])
			fprintf(out, "      %s\n", c->error);
	}
}

void
render_text(const struct report *r, FILE *out)
{
	size_t e = report_count(r, SEV_ERROR), w = report_count(r, SEV_WARNING);

	text_header(r, out);
	text_clusters(r, out);
	text_routes(r, out);
	text_rest(r, out);
	fprintf(out, "\n%s: %zu error%s, %zu warning%s\n", e ? "FAIL" : "OK", e, e == 1 ? "" : "s",
		w, w == 1 ? "" : "s");
}

static json_t *
json_cidrs(const struct prefix4 *v, size_t n)
{
	json_t *a = json_array();
	char b[CIDR_STRLEN];

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(cidr_fmt(&v[i], b)));
	return a;
}

static json_t *
json_ip(uint32_t ip)
{
	char b[CIDR_STRLEN];

	return ip ? json_string(cidr_fmt_ip(ip, b)) : json_null();
}

static json_t *
json_agent_peers(const struct report *r)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < r->npeers; i++) {
		const struct report_peer *p = &r->peers[i];

		json_array_append_new(a, json_pack("{s:s, s:o, s:o, s:o, s:o, s:s, s:o}",
			"address", p->address,
			"cluster", p->cluster ? json_string(p->cluster) : json_null(),
			"node", p->node ? json_string(p->node) : json_null(),
			"node_ip", json_ip(p->node_ip),
			"pod_cidrs", json_cidrs(p->cidrs, p->ncidrs),
			"state", p->state,
			"error", p->error[0] ? json_string(p->error) : json_null()));
	}
	return a;
}

static json_t *
json_peers(const struct report *r)
{
	json_t *a;

	if (r->peers)
		return json_agent_peers(r);
	a = json_array();

	for (size_t i = 0; a && i < r->nremotes; i++) {
		const struct plan_remote *rm = &r->remotes[i];

		json_array_append_new(a, json_pack("{s:o, s:o, s:o, s:o, s:o, s:s, s:n}",
			"address", json_ip(rm->node_ip),
			"cluster", rm->cluster ? json_string(rm->cluster) : json_null(),
			"node", rm->node ? json_string(rm->node) : json_null(),
			"node_ip", json_ip(rm->node_ip),
			"pod_cidrs", json_cidrs(rm->cidrs, rm->ncidrs),
			"state", "static", "error"));
	}
	return a;
}

static json_t *
json_route(const struct report *r, const struct plan_route *pr)
{
	char d[CIDR_STRLEN], dev[IF_NAMESIZE + 8], seen[160];
	json_t *o;

	o = json_pack("{s:s, s:o, s:o, s:s, s:b}", "dst", cidr_fmt(&pr->dst, d),
		      "via", json_ip(pr->via),
		      "dev", pr->oif ? json_string(kview_ifname(r->kv, pr->oif, dev)) : json_null(),
		      "state", plan_state_name(pr->state), "owned", pr->owned);
	if (!o)
		return NULL;
	if (pr->has_observed) {
		report_fmt_route(r->kv, &pr->observed, seen, sizeof(seen));
		json_object_set_new(o, "kernel", json_string(seen));
	}
	if (pr->has_fib && !pr->fib_err && pr->fib.type == RTN_UNICAST)
		json_object_set_new(o, "fib", json_pack("{s:o, s:o}", "via", json_ip(pr->fib.gw),
			"dev", json_string(kview_ifname(r->kv, pr->fib.oif, dev))));
	return o;
}

static json_t *
json_fw(const struct report *r, size_t i)
{
	const struct report_fw *f = &r->fw[i];
	json_t *o = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:I, s:s}",
		"src", f->src, "dst", f->dst, "dport", (int)f->dport, "hook", f->hook,
		"verdict", f->verdict, "table", f->table, "chain", f->chain,
		"handle", (json_int_t)f->handle, "rule", f->rule);

	if (o && f->reason[0])
		json_object_set_new(o, "reason", json_string(f->reason));
	if (o)
		json_object_set_new(o, "direction", json_string(f->inbound ? "in" : "out"));
	return o;
}

static json_t *
json_probe(const struct report *r, size_t i)
{
	const struct report_probe *p = &r->probes[i];

	return json_pack("{s:s, s:s, s:s, s:f, s:s}", "target", p->target, "kind", p->kind,
			 "result", p->result, "rtt_ms", p->rtt_ms, "detail", p->detail);
}

static json_t *
json_problem(const struct report *r, size_t i)
{
	const struct problem *p = &r->problems[i];

	return json_pack("{s:s, s:s, s:s, s:s}", "code", report_code_name(p->code), "severity",
			 report_sev_name(p->sev), "message", p->message, "fix", p->fix);
}

static json_t *
json_route_at(const struct report *r, size_t i)
{
	return json_route(r, &r->plan->routes[i]);
}

static json_t *
json_clusters(const struct report *r)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < r->nclusters; i++) {
		const struct report_cluster *c = &r->clusters[i];

		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "name", c->name,
			"source", c->source, "api", c->api, "state", c->state,
			"nodes", (json_int_t)c->nodes, "error", c->error));
	}
	return a;
}

/* Writes s (jansson's dump of a value) as it would appear nested depth
 * levels deep: each line after the first indented by two spaces a level. */
static void
put_nested(FILE *f, const char *s, int depth)
{
	for (const char *nl; (nl = strchr(s, '\n')); s = nl + 1)
		fprintf(f, "%.*s\n%*s", (int)(nl - s), s, 2 * depth, "");
	fputs(s, f);
}

#define RENDER_COMPACT_AFTER 1000

enum { RJ_ROUTES, RJ_FIREWALL, RJ_PROBES, RJ_PROBLEMS, RJ_DONE };

struct render_job {
	FILE *f;
	char *s;
	size_t len;
	int section;		/* the array being written */
	size_t i;		/* its next element */
};

/* The top-level arrays, in order: each written an element at a time, so a
 * large report (thousands of routes and flows) never exists as one jansson
 * tree.  The text is what json_dumps of the whole would give. */
static size_t
rj_section(const struct report *r, int section, const char **key,
	   json_t *(**elem)(const struct report *, size_t))
{
	static const char *const keys[] = { "routes", "firewall", "probes", "problems" };
	static json_t *(*const elems[])(const struct report *, size_t) = {
		json_route_at, json_fw, json_probe, json_problem };
	const size_t n[] = { r->plan ? r->plan->n : 0, r->nfw, r->nprobes, r->nproblems };

	*key = keys[section];
	*elem = elems[section];
	return n[section];
}

static size_t
rj_left(const struct render_job *j, const struct report *r)
{
	const char *key;
	json_t *(*elem)(const struct report *, size_t);

	return rj_section(r, j->section, &key, &elem) - j->i;
}

/* Up to budget elements of the current array, its opening and closing
 * included; false when out of memory. */
static bool
rj_put(struct render_job *j, const struct report *r, size_t *budget)
{
	const char *key;
	json_t *(*elem)(const struct report *, size_t);
	size_t n = rj_section(r, j->section, &key, &elem);
	/* Past RENDER_COMPACT_AFTER elements (5,000 remote routes make 75,000
	 * firewall flows) one line each: a third of the bytes, still one
	 * element per line for grep and jq. */
	size_t flags = (n > RENDER_COMPACT_AFTER ? JSON_COMPACT : JSON_INDENT(2)) | JSON_PRESERVE_ORDER;

	if (j->i == 0)
		fprintf(j->f, "  \"%s\": %s", key, n ? "[" : "[]");
	for (; j->i < n && *budget > 0; j->i++, --*budget) {
		json_t *o = elem(r, j->i);
		char *s = o ? json_dumps(o, flags) : NULL;

		json_decref(o);
		if (!s)
			return false;
		fputs(j->i ? ",\n    " : "\n    ", j->f);
		put_nested(j->f, s, 2);
		free(s);
	}
	if (j->i < n)
		return true;
	fprintf(j->f, "%s%s", n ? "\n  ]" : "", j->section == RJ_PROBLEMS ? "\n}" : ",\n");
	j->section++;
	j->i = 0;
	return true;
}

/* The members before the arrays, as one small object. */
static char *
json_head(const struct report *r)
{
	const struct cfg *c = r->cfg;
	json_t *root = json_pack("{s:s, s:s, s:o, s:o, s:s, s:s, s:o, s:o}", "cluster", c->cluster,
				 "node", c->node_name, "node_ip", json_ip(c->node_ip),
				 "pod_cidrs", json_cidrs(c->pod_cidrs.v, c->pod_cidrs.n),
				 "mode", c->mode == CFG_MODE_ENFORCE ? "enforce" : "report",
				 "version", r->version, "peers", json_peers(r),
				 "clusters", json_clusters(r));
	char *s = root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	size_t len = s ? strlen(s) : 0;

	json_decref(root);
	if (len >= 2)
		s[len - 2] = '\0';	/* its closing "\n}": the arrays follow */
	return s;
}

struct render_job *
render_json_start(const struct report *r)
{
	struct render_job *j = calloc(1, sizeof(*j));
	char *head = json_head(r);

	if (!j || !head || !(j->f = open_memstream(&j->s, &j->len))) {
		free(head);
		free(j);
		errno = ENOMEM;
		return NULL;
	}
	fprintf(j->f, "%s,\n", head);
	free(head);
	return j;
}

int
render_json_step(struct render_job *j, const struct report *r, size_t budget, char **out)
{
	bool ok = true;

	/* An array with nothing left to write costs nothing: closed at once. */
	while (ok && j->section < RJ_DONE && (budget > 0 || rj_left(j, r) == 0))
		ok = rj_put(j, r, &budget);
	if (ok && j->section < RJ_DONE)
		return 0;
	ok = fclose(j->f) == 0 && ok;
	j->f = NULL;
	if (!ok)
		return -ENOMEM;
	*out = j->s;
	j->s = NULL;
	return 1;
}

void
render_job_free(struct render_job *j)
{
	if (!j)
		return;
	if (j->f)
		fclose(j->f);
	free(j->s);
	free(j);
}

char *
render_json(const struct report *r)
{
	struct render_job *j = render_json_start(r);
	char *s = NULL;
	int e = j ? render_json_step(j, r, SIZE_MAX, &s) : -ENOMEM;

	render_job_free(j);
	if (e != 1)
		errno = ENOMEM;
	return e == 1 ? s : NULL;
}
