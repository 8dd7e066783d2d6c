/*
 * The trace of `podreach why` as podreach(8)'s JSON (rendered, and validated when
 * it comes from another agent or reaches the CLI) and as text.
 */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agent/core/jscan.h"
#include "agent/core/why.h"

static const char *const stages[] = { "route", "firewall", "nat", "rp_filter", "route-back",
				      "return", "agent" };
static const char *const verdicts[] = { "accept", "drop", "reject", "masquerade", "snat", "dnat",
					"unknown" };
static const char *const results[] = { "open", "refused", "timeout", "unreachable", "error" };
static const char *const overall[] = { "open", "blocked", "unknown" };

#define NELEM(v) (sizeof(v) / sizeof((v)[0]))

static bool
one_of(const char *s, const char *const *v, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		if (!strcmp(s, v[i]))
			return true;
	return false;
}

static json_t *
hop_json(const struct why_hop *h)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s}", "node", h->node,
			 "cluster", h->cluster, "stage", h->stage, "hook", h->hook,
			 "verdict", h->verdict, "table", h->table, "chain", h->chain,
			 "handle", (json_int_t)h->handle, "message", h->message);
}

char *
why_json(const struct why_trace *t)
{
	json_t *hops = json_array(), *probe, *o;
	char *s = NULL;

	for (size_t i = 0; hops && i < t->nhops; i++)
		if (json_array_append_new(hops, hop_json(&t->hops[i])) < 0) {
			json_decref(hops);
			return NULL;
		}
	if (t->probe.done)
		probe = json_pack("{s:s, s:s, s:f, s:s}", "target", t->probe.target, "result",
				  t->probe.result, "rtt_ms", round(t->probe.rtt_ms * 1000) / 1000,
				  "detail", t->probe.detail);
	else
		probe = json_pack("{s:s, s:n, s:s}", "target", t->probe.target, "result",
				  "detail", t->probe.detail);
	o = json_pack("{s:s, s:o, s:o}", "verdict", t->verdict, "hops", hops, "probe", probe);
	if (o)
		s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}

/* Copies string member key of o into dst (size max + 1); empty allowed
 * when may_empty; control characters never. */
static bool
get_str(json_t *o, const char *key, char *dst, size_t size, bool may_empty)
{
	json_t *v = json_object_get(o, key);
	const char *s = json_string_value(v);
	size_t len = s ? json_string_length(v) : 0;

	if (!s || len >= size || strlen(s) != len || (!may_empty && !len))
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	memcpy(dst, s, len + 1);
	return true;
}

static bool
parse_hop(json_t *o, struct why_hop *h, char *err, size_t errlen, size_t i)
{
	json_t *hd = json_object_get(o, "handle");
	const char *bad = NULL;

	memset(h, 0, sizeof(*h));
	if (!json_is_object(o))
		bad = "not an object";
	else if (!get_str(o, "node", h->node, sizeof(h->node), true) ||
		 !get_str(o, "cluster", h->cluster, sizeof(h->cluster), true))
		bad = "node/cluster: want names";
	else if (!get_str(o, "stage", h->stage, sizeof(h->stage), false) ||
		 !one_of(h->stage, stages, NELEM(stages)))
		bad = "stage: unknown";
	else if (!get_str(o, "verdict", h->verdict, sizeof(h->verdict), false) ||
		 !one_of(h->verdict, verdicts, NELEM(verdicts)))
		bad = "verdict: unknown";
	else if (!get_str(o, "hook", h->hook, sizeof(h->hook), true) ||
		 !get_str(o, "table", h->table, sizeof(h->table), true) ||
		 !get_str(o, "chain", h->chain, sizeof(h->chain), true) ||
		 !get_str(o, "message", h->message, sizeof(h->message), true))
		bad = "hook/table/chain/message: want short strings";
	else if (!json_is_integer(hd) || json_integer_value(hd) < 0)
		bad = "handle: want an integer >= 0";
	if (bad) {
		snprintf(err, errlen, "hops[%zu]: %s", i, bad);
		return false;
	}
	h->handle = (uint64_t)json_integer_value(hd);
	return true;
}

static bool
parse_probe(json_t *o, struct why_probe *p, char *err, size_t errlen)
{
	json_t *res = json_object_get(o, "result"), *rtt = json_object_get(o, "rtt_ms");

	memset(p, 0, sizeof(*p));
	if (!o || json_is_null(o))
		return true;
	if (!json_is_object(o) || !get_str(o, "target", p->target, sizeof(p->target), true) ||
	    !get_str(o, "detail", p->detail, sizeof(p->detail), true)) {
		snprintf(err, errlen, "probe: want target and detail");
		return false;
	}
	if (json_is_null(res))
		return true;
	if (!get_str(o, "result", p->result, sizeof(p->result), false) ||
	    !one_of(p->result, results, NELEM(results)) || !json_is_number(rtt) ||
	    !(json_number_value(rtt) >= 0 && json_number_value(rtt) < 1e7)) {
		snprintf(err, errlen, "probe: want a tcp result and rtt_ms");
		return false;
	}
	p->rtt_ms = json_number_value(rtt);
	p->done = true;
	return true;
}

bool
why_parse(const char *body, size_t len, struct why_trace *t, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root, *hops;
	bool ok = false;

	memset(t, 0, sizeof(*t));
	if (len > WHY_MAX_BODY) {
		snprintf(err, errlen, "larger than %d bytes", WHY_MAX_BODY);
		return false;
	}
	if (!jscan_bounded(body, len, WHY_MAX_DEPTH, WHY_MAX_VALUES, "a trace", err, errlen))
		return false;
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	hops = json_object_get(root, "hops");
	if (!root)
		snprintf(err, errlen, "not JSON (line %d, column %d)", je.line, je.column);
	else if (!get_str(root, "verdict", t->verdict, sizeof(t->verdict), false) ||
		 !one_of(t->verdict, overall, NELEM(overall)))
		snprintf(err, errlen, "verdict: want open, blocked or unknown");
	else if (!json_is_array(hops) || json_array_size(hops) > WHY_MAX_HOPS)
		snprintf(err, errlen, "hops: want an array of at most %d", WHY_MAX_HOPS);
	else if (parse_probe(json_object_get(root, "probe"), &t->probe, err, errlen)) {
		ok = true;
		for (size_t i = 0; ok && i < json_array_size(hops); i++)
			ok = parse_hop(json_array_get(hops, i), &t->hops[t->nhops++], err, errlen, i);
	}
	json_decref(root);
	if (!ok)
		memset(t, 0, sizeof(*t));
	return ok;
}

static void
where(const struct why_hop *h, FILE *out)
{
	fprintf(out, "%s%s%s%s%s", h->hook, h->table[0] ? " " : "", h->table,
		h->chain[0] ? " " : "", h->chain);
	if (h->handle)
		fprintf(out, " handle %llu", (unsigned long long)h->handle);
}

void
why_text(const struct why_trace *t, FILE *out)
{
	const struct why_hop *b = why_blocker(t);
	const struct why_probe *p = &t->probe;

	if (b) {
		fprintf(out, "blocked at %s (%s): %s ", b->node[0] ? b->node : "?", b->cluster, b->stage);
		where(b, out);
		fprintf(out, ": %s\n", b->message);
	} else if (!strcmp(t->verdict, "open"))
		fprintf(out, "open: %s answered in %.3f ms\n", p->target, p->rtt_ms);
	else
		fprintf(out, "unknown: no hop drops it, but %s %s%s%s\n", p->target,
			p->done ? p->result : "was not probed", p->detail[0] ? ": " : "", p->detail);
	for (size_t i = 0; i < t->nhops; i++) {
		const struct why_hop *h = &t->hops[i];

		fprintf(out, "  %-16.60s %-10s %-10s ", h->node, h->stage, h->verdict);
		if (h->hook[0] || h->table[0]) {
			where(h, out);
			fprintf(out, ": ");
		}
		fprintf(out, "%s\n", h->message);
	}
	if (p->done)
		fprintf(out, "probe %s: %s in %.3f ms%s%s\n", p->target, p->result, p->rtt_ms,
			p->detail[0] ? ", " : "", p->detail);
	else
		fprintf(out, "probe %s: not run%s%s\n", p->target, p->detail[0] ? ": " : "", p->detail);
}
