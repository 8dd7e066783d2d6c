/*
 * The matrix's pure parts: nodes, one agent's row from its probe results,
 * /v1/row out and (validated) back in, and /v1/matrix.  No I/O here.
 */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/core/cfg.h"
#include "agent/core/jscan.h"
#include "agent/core/report.h"
#include "agent/daemon/matrix.h"
#include "agent/io/probe.h"

const char *
mx_row_state_name(enum mx_row_state s)
{
	static const char *names[] = { "self", "ok", "pending", "unreachable", "invalid", "none" };

	return (unsigned)s <= MX_ROW_NONE ? names[s] : "unknown";
}

void
mx_row_free(struct mx_row *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->ncells; i++) {
		free(r->cells[i].target);
		free(r->cells[i].cause);
		free(r->cells[i].detail);
		for (size_t k = 0; k < r->cells[i].nfailing; k++)
			free(r->cells[i].failing[k]);
		free(r->cells[i].failing);
	}
	free(r->cells);
	r->cells = NULL;
	r->ncells = 0;
	for (size_t i = 0; i < r->ndrops; i++)
		free(r->drops[i].cause);
	free(r->drops);
	r->drops = NULL;
	r->ndrops = 0;
}

/* ---- nodes ------------------------------------------------------------------------- */

static int
node_cmp(const void *x, const void *y)
{
	const struct mx_node *a = x, *b = y;
	int c = strcmp(a->cluster, b->cluster);

	if (!c)
		c = strcmp(a->name, b->name);
	if (!c)	/* the newest claim first: it is the one kept */
		c = (a->seen < b->seen) - (a->seen > b->seen);
	return c;
}

size_t
mx_nodes_finish(struct mx_node *v, size_t n)
{
	size_t k = 0;

	if (n > 1)
		qsort(v, n, sizeof(*v), node_cmp);
	for (size_t i = 0; i < n; i++) {
		bool dup = false;

		for (size_t j = 0; j < k && !dup; j++) {
			if (strcmp(v[j].cluster, v[i].cluster) || strcmp(v[j].name, v[i].name)) {
				if (v[j].node_ip != v[i].node_ip)
					continue;
				/* Two names on one IP: the IP is the key, the first
				 * stays — unless the second is this agent itself. */
				if (v[i].self)
					v[j] = v[i];
			}
			dup = true;
		}
		if (!dup)
			v[k++] = v[i];
	}
	return k;
}

int
mx_node_of(const struct mx_node *v, size_t n, uint32_t ip)
{
	int best = -1, best_len = -1;

	for (size_t i = 0; ip && i < n; i++) {
		int len = -1;

		if (v[i].node_ip == ip)
			len = 32;
		for (size_t k = 0; len < 32 && k < v[i].nprobe_ips; k++)
			if (v[i].probe_ips[k] == ip)
				len = 32;
		for (size_t k = 0; len < 32 && k < v[i].ncidrs; k++)
			if (cidr_contains_ip(&v[i].cidrs[k], ip) && v[i].cidrs[k].len > len)
				len = v[i].cidrs[k].len;
		if (len > best_len) {
			best = (int)i;
			best_len = len;
		}
	}
	return best;
}

int
mx_node_by_ip(const struct mx_node *v, size_t n, uint32_t ip)
{
	for (size_t i = 0; ip && i < n; i++)
		if (v[i].node_ip == ip)
			return (int)i;
	return -1;
}

/* ---- one agent's row from its probes --------------------------------------------------- */

static int
outcome_of(const char *name)
{
	for (int r = PROBE_OPEN; r <= PROBE_OK; r++)
		if (!strcmp(name, probe_result_name(r)))
			return r;
	return -1;
}

/* open beats ok beats refused: the cell shows the strongest proof. */
static int
proof_rank(int r)
{
	return r == PROBE_OPEN ? 0 : r == PROBE_OK ? 1 : 2;
}

struct acc {
	unsigned reached, probed;
	double rtt;
	int best;	/* outcome */
	unsigned nfail;
	int fail[MX_MAX_FAILING];	/* indexes of the first failing probes */
};

static void
accumulate(const struct mx_node *v, size_t n, const struct report_probe *p, size_t np,
	   struct acc *acc)
{
	for (size_t j = 0; j < n; j++)
		acc[j] = (struct acc){ .best = -1 };
	for (size_t i = 0; i < np; i++) {
		int j = mx_node_of(v, n, p[i].ip), r = outcome_of(p[i].result);

		if (j < 0 || v[j].self || r < 0 || acc[j].probed >= MX_MAX_PROBED)
			continue;
		acc[j].probed++;
		if (probe_result_reached(r)) {
			acc[j].reached++;
			acc[j].rtt += p[i].rtt_ms;
			if (acc[j].best < 0 || proof_rank(r) < proof_rank(acc[j].best))
				acc[j].best = r;
		} else if (acc[j].nfail < MX_MAX_FAILING)
			acc[j].fail[acc[j].nfail++] = (int)i;
	}
}

/* A copy of s cut to max bytes; NULL for "" (and out of memory). */
static char *
text_dup(const char *s, size_t max)
{
	size_t n = strlen(s);
	char *d;

	if (!n)
		return NULL;
	n = n < max ? n : max;
	if ((d = malloc(n + 1))) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

/* The cell's failing targets, the first of them with its cause and words. */
static int
fill_failure(struct mx_cell *c, const struct report_probe *all, const struct acc *a,
	     mx_cause_fn cause, void *ctx)
{
	const struct report_probe *p = &all[a->fail[0]];
	char why[MX_MAX_TEXT + 1] = "";

	if (!(c->failing = calloc(a->nfail, sizeof(*c->failing))))
		return -ENOMEM;
	for (unsigned k = 0; k < a->nfail; k++)
		if (!(c->failing[c->nfailing++] = text_dup(all[a->fail[k]].target, MX_MAX_TARGET)))
			return -ENOMEM;	/* a target is never "" */

	c->result = (uint8_t)outcome_of(p->result);
	if (cause)
		cause(ctx, p->ip, why, sizeof(why));
	c->target = text_dup(p->target, MX_MAX_TARGET);
	c->cause = text_dup(why, MX_MAX_TEXT);
	c->detail = text_dup(p->detail, MX_MAX_TEXT);
	if ((p->target[0] && !c->target) || (why[0] && !c->cause) || (p->detail[0] && !c->detail))
		return -ENOMEM;
	return 0;
}

int
mx_row_build(const struct mx_node *v, size_t n, const struct report_probe *p, size_t np,
	     mx_cause_fn cause, void *ctx, struct mx_row *out)
{
	struct acc *acc = calloc(n ? n : 1, sizeof(*acc));
	size_t k = 0;
	int err = 0;

	out->cells = NULL;
	out->ncells = 0;
	if (!acc)
		return -ENOMEM;
	accumulate(v, n, p, np, acc);
	for (size_t j = 0; j < n; j++)
		k += acc[j].probed > 0;
	if (k && !(out->cells = calloc(k, sizeof(*out->cells))))
		err = -ENOMEM;
	for (size_t j = 0; !err && j < n; j++) {
		struct mx_cell *c = &out->cells[out->ncells];

		if (!acc[j].probed)
			continue;
		out->ncells++;
		*c = (struct mx_cell){ .to_ip = v[j].node_ip, .reached = (uint16_t)acc[j].reached,
			.probed = (uint16_t)acc[j].probed, .result = (uint8_t)acc[j].best,
			.rtt_ms = acc[j].reached ? acc[j].rtt / acc[j].reached : -1 };
		if (acc[j].nfail)
			err = fill_failure(c, p, &acc[j], cause, ctx);
	}
	free(acc);
	if (err)
		mx_row_free(out);
	return err;
}

/* Whether out names a drop of what ip sends to port. */
static bool
has_drop(const struct mx_row *out, uint32_t ip, uint16_t port)
{
	for (size_t k = 0; k < out->ndrops; k++)
		if (out->drops[k].from_ip == ip && out->drops[k].port == port)
			return true;
	return false;
}

int
mx_row_drops(const struct report_fw *fw, size_t nfw, const char *node, struct mx_row *out)
{
	char why[MX_MAX_TEXT + 1];

	out->drops = NULL;
	out->ndrops = 0;
	for (size_t i = 0; i < nfw && out->ndrops < MX_MAX_DROPS; i++) {
		const struct report_fw *f = &fw[i];

		if (!f->inbound || (strcmp(f->verdict, "drop") && strcmp(f->verdict, "reject")) ||
		    has_drop(out, f->from_ip, f->dport))
			continue;
		if (!out->drops && !(out->drops = calloc(MX_MAX_DROPS, sizeof(*out->drops))))
			return -ENOMEM;
		snprintf(why, sizeof(why), "%.60s: %.60s %.60s handle %llu %ss it (%s)", node, f->table,
			 f->chain, (unsigned long long)f->handle, f->verdict, f->hook);
		out->drops[out->ndrops] = (struct mx_drop){ f->from_ip, f->dport, strdup(why) };
		if (!out->drops[out->ndrops++].cause) {
			mx_row_free(out);
			return -ENOMEM;
		}
	}
	return 0;
}

int
mx_row_back(const struct report_back *back, size_t nback, const uint16_t *ports,
	    size_t nports, const char *node, struct mx_row *out)
{
	char why[MX_MAX_TEXT + 1];

	for (size_t i = 0; i < nback; i++)
		for (size_t p = 0; p < nports && out->ndrops < MX_MAX_DROPS; p++) {
			if (has_drop(out, back[i].from_ip, ports[p]))
				continue;
			if (!out->drops && !(out->drops = calloc(MX_MAX_DROPS, sizeof(*out->drops))))
				return -ENOMEM;
			snprintf(why, sizeof(why), "%.60s: %s", node, back[i].cause);
			out->drops[out->ndrops] = (struct mx_drop){ back[i].from_ip, ports[p], strdup(why) };
			if (!out->drops[out->ndrops++].cause) {
				mx_row_free(out);
				return -ENOMEM;
			}
		}
	return 0;
}

/* ---- /v1/row out ------------------------------------------------------------------------- */

static json_t *
str_or_null(const char *s)
{
	return s && s[0] ? json_string(s) : json_null();
}

/* Rounded so that the JSON stays short: 0.01 ms, 0.1 s. */
static json_t *
num_or_null(double x, double unit)
{
	return x >= 0 ? json_real(round(x / unit) * unit) : json_null();
}

/* A cell's failing targets; [] when none. */
static json_t *
failing_json(const struct mx_cell *c)
{
	json_t *a = json_array();

	for (size_t k = 0; a && k < c->nfailing; k++)
		json_array_append_new(a, json_string(c->failing[k]));
	return a;
}

static json_t *
cell_json(const struct mx_cell *c)
{
	char ip[CIDR_STRLEN];

	return json_pack("{s:s, s:s, s:o, s:i, s:i, s:o, s:o, s:o, s:o}",
			 "node_ip", cidr_fmt_ip(c->to_ip, ip), "result", probe_result_name(c->result),
			 "rtt_ms", num_or_null(c->rtt_ms, 0.01), "reached", (int)c->reached,
			 "probed", (int)c->probed, "target", str_or_null(c->target),
			 "cause", str_or_null(c->cause), "detail", str_or_null(c->detail),
			 "failing", failing_json(c));
}

static json_t *
drops_json(const struct mx_row *r)
{
	json_t *a = json_array();
	char ip[CIDR_STRLEN];

	for (size_t i = 0; a && i < r->ndrops; i++)
		json_array_append_new(a, json_pack("{s:s, s:i, s:s}", "from",
			cidr_fmt_ip(r->drops[i].from_ip, ip), "port", (int)r->drops[i].port,
			"cause", r->drops[i].cause));
	return a;
}

char *
mx_row_json(const struct mx_row *r)
{
	json_t *cells = json_array(), *o;
	char ip[CIDR_STRLEN], *s = NULL;

	for (size_t i = 0; cells && i < r->ncells; i++)
		if (json_array_append_new(cells, cell_json(&r->cells[i])) < 0) {
			json_decref(cells);
			return NULL;
		}
	o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o}", "cluster", r->cluster, "node", r->node,
		      "node_ip", cidr_fmt_ip(r->node_ip, ip), "age_s", num_or_null(r->age_s, 0.1),
		      "cells", cells, "drops", drops_json(r));
	if (o)
		s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
	json_decref(o);
	return s;
}

/* ---- /v1/row in: everything another agent says is untrusted ------------------------------ */

/* An optional text: absent or null -> NULL; a string of at most max bytes
 * -> a copy with every byte outside printable ASCII made '?'. */
/* A string value of at most max bytes -> a sanitized copy; -EINVAL or -ENOMEM. */
static int
text_copy(json_t *v, size_t max, char **dst)
{
	const char *s = json_string_value(v);

	if (!s || json_string_length(v) > max || strlen(s) != json_string_length(v))
		return -EINVAL;
	if (!(*dst = strdup(s)))
		return -ENOMEM;
	for (char *c = *dst; *c; c++)
		if (*c < 0x20 || *c > 0x7e)
			*c = '?';
	return 0;
}

static bool
get_text(json_t *o, const char *key, size_t max, char **dst, char *err, size_t errlen,
	 size_t idx)
{
	json_t *v = json_object_get(o, key);
	int rc;

	*dst = NULL;
	if (!v || json_is_null(v))
		return true;
	if ((rc = text_copy(v, max, dst)) == -EINVAL)
		snprintf(err, errlen, "cells[%zu].%s: want a string of at most %zu bytes", idx, key, max);
	else if (rc)
		snprintf(err, errlen, "out of memory");
	return rc == 0;
}

static bool
get_count(json_t *o, const char *key, json_int_t *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		return false;
	*out = json_integer_value(v);
	return *out >= 0 && *out <= MX_MAX_PROBED;
}

/* A number in [0, max], or null (-1). */
static bool
get_num(json_t *o, const char *key, double max, double *out)
{
	json_t *v = json_object_get(o, key);

	*out = -1;
	if (!v || json_is_null(v))
		return true;
	if (!json_is_number(v))
		return false;
	*out = json_number_value(v);
	return *out >= 0 && *out <= max;
}

/* "failing": optional (older agents); at most MX_MAX_FAILING targets, and
 * no more than the cell's failures. */
static bool
get_failing(json_t *o, size_t i, struct mx_cell *c, char *err, size_t errlen)
{
	json_t *a = json_object_get(o, "failing"), *v;
	size_t k;

	if (!a || json_is_null(a))
		return true;
	if (!json_is_array(a) || json_array_size(a) > MX_MAX_FAILING ||
	    json_array_size(a) > (size_t)(c->probed - c->reached)) {
		snprintf(err, errlen, "cells[%zu].failing: want a list of at most %d targets, no more "
			 "than fail", i, MX_MAX_FAILING);
		return false;
	}
	if (json_array_size(a) && !(c->failing = calloc(json_array_size(a), sizeof(*c->failing)))) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	json_array_foreach(a, k, v) {
		int rc = text_copy(v, MX_MAX_TARGET, &c->failing[k]);

		if (rc) {
			snprintf(err, errlen, rc == -ENOMEM ? "out of memory" : "cells[%zu].failing[%zu]: "
				 "want a string of at most %d bytes", i, k, MX_MAX_TARGET);
			return false;
		}
		c->nfailing++;
	}
	return true;
}

static bool
parse_cell(json_t *o, size_t i, struct mx_cell *c, char *err, size_t errlen)
{
	const char *res = json_string_value(json_object_get(o, "result"));
	json_int_t reached, probed;
	int r = res ? outcome_of(res) : -1;

	if (!json_is_object(o))
		snprintf(err, errlen, "cells[%zu]: want an object", i);
	else if (!cidr_parse_ip(json_string_value(json_object_get(o, "node_ip")), &c->to_ip) ||
		 !c->to_ip)
		snprintf(err, errlen, "cells[%zu].node_ip: want an IPv4 address", i);
	else if (r < 0)
		snprintf(err, errlen, "cells[%zu].result: want a probe result", i);
	else if (!get_count(o, "reached", &reached) || !get_count(o, "probed", &probed) ||
		 probed < 1 || reached > probed)
		snprintf(err, errlen, "cells[%zu]: want 0 <= reached <= probed, 1 <= probed <= %d", i,
			 MX_MAX_PROBED);
	else if ((reached == probed) != probe_result_reached(r))
		snprintf(err, errlen, "cells[%zu].result: %s contradicts %d of %d reached", i, res,
			 (int)reached, (int)probed);
	else if (!get_num(o, "rtt_ms", MX_MAX_RTT, &c->rtt_ms))
		snprintf(err, errlen, "cells[%zu].rtt_ms: want null or 0..%g", i, MX_MAX_RTT);
	else {
		c->result = (uint8_t)r;
		c->reached = (uint16_t)reached;
		c->probed = (uint16_t)probed;
		return get_text(o, "target", MX_MAX_TARGET, &c->target, err, errlen, i) &&
		       get_text(o, "cause", MX_MAX_TEXT, &c->cause, err, errlen, i) &&
		       get_text(o, "detail", MX_MAX_TEXT, &c->detail, err, errlen, i) &&
		       get_failing(o, i, c, err, errlen);
	}
	return false;
}

static bool
parse_cells(json_t *a, struct mx_row *out, char *err, size_t errlen)
{
	json_t *v;
	size_t i;

	if (!json_is_array(a) || json_array_size(a) > MX_MAX_NODES) {
		snprintf(err, errlen, "cells: want a list of at most %d", MX_MAX_NODES);
		return false;
	}
	if (json_array_size(a) && !(out->cells = calloc(json_array_size(a), sizeof(*out->cells)))) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	json_array_foreach(a, i, v) {
		struct mx_cell *c = &out->cells[out->ncells++];

		if (!parse_cell(v, i, c, err, errlen))
			return false;
		for (size_t k = 0; k < i; k++)
			if (out->cells[k].to_ip == c->to_ip) {
				snprintf(err, errlen, "cells[%zu].node_ip: given twice", i);
				return false;
			}
	}
	return true;
}

/* "drops": optional (older agents), each a node IP, a port and a cause. */
static bool
parse_drops(json_t *a, struct mx_row *out, char *err, size_t errlen)
{
	json_t *v;
	size_t i;

	if (!a || json_is_null(a))
		return true;
	if (!json_is_array(a) || json_array_size(a) > MX_MAX_DROPS) {
		snprintf(err, errlen, "drops: want a list of at most %d", MX_MAX_DROPS);
		return false;
	}
	if (json_array_size(a) && !(out->drops = calloc(json_array_size(a), sizeof(*out->drops)))) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	json_array_foreach(a, i, v) {
		struct mx_drop *d = &out->drops[out->ndrops++];
		json_t *port = json_object_get(v, "port");

		if (!cidr_parse_ip(json_string_value(json_object_get(v, "from")), &d->from_ip) ||
		    !json_is_integer(port) || json_integer_value(port) < 1 ||
		    json_integer_value(port) > 65535) {
			snprintf(err, errlen, "drops[%zu]: want from (an IPv4 address) and port", i);
			return false;
		}
		d->port = (uint16_t)json_integer_value(port);
		if (!get_text(v, "cause", MX_MAX_TEXT, &d->cause, err, errlen, i))
			return false;
		if (!d->cause) {
			snprintf(err, errlen, "drops[%zu].cause: want a string", i);
			return false;
		}
	}
	return true;
}

bool
mx_row_parse(const char *body, size_t len, struct mx_row *out, char *err, size_t errlen)
{
	const char *cluster, *node;
	json_error_t je;
	json_t *root = NULL;
	bool ok = false;

	memset(out, 0, sizeof(*out));
	if (len > MX_MAX_BODY || !jscan_bounded(body, len, MX_MAX_DEPTH, (size_t)-1, "", err, errlen)) {
		snprintf(err, errlen, "larger than %d bytes or nested deeper than %d", MX_MAX_BODY,
			 MX_MAX_DEPTH);
		return false;
	}
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	cluster = json_string_value(json_object_get(root, "cluster"));
	node = json_string_value(json_object_get(root, "node"));
	if (!root)
		snprintf(err, errlen, "not JSON (line %d, column %d)", je.line, je.column);
	else if (!json_is_object(root))
		snprintf(err, errlen, "not a JSON object");
	else if (!cfg_valid_name(cluster, sizeof(out->cluster) - 1))
		snprintf(err, errlen, "cluster: want a cluster name");
	else if (!cfg_valid_name(node, sizeof(out->node) - 1))
		snprintf(err, errlen, "node: want a node name");
	else if (!cidr_parse_ip(json_string_value(json_object_get(root, "node_ip")), &out->node_ip))
		snprintf(err, errlen, "node_ip: want an IPv4 address");
	else if (!get_num(root, "age_s", MX_MAX_AGE, &out->age_s))
		snprintf(err, errlen, "age_s: want null or 0..%g", MX_MAX_AGE);
	else if (parse_cells(json_object_get(root, "cells"), out, err, errlen) &&
		 parse_drops(json_object_get(root, "drops"), out, err, errlen)) {
		snprintf(out->cluster, sizeof(out->cluster), "%s", cluster);
		snprintf(out->node, sizeof(out->node), "%s", node);
		ok = true;
	}
	json_decref(root);
	if (!ok)
		mx_row_free(out);
	return ok;
}

/* ---- /v1/matrix ---------------------------------------------------------------------------- */

/* What the receiver's row says it drops of what comes from node ip on the
 * failing target's port (any port when none matches), or NULL. */
static const char *
receiver_cause(const struct mx_view *to, uint32_t ip, const char *target)
{
	const struct mx_row *row = to->state == MX_ROW_SELF || to->state == MX_ROW_OK ? to->row : NULL;
	const char *colon = target ? strrchr(target, ':') : NULL;
	long port = colon ? strtol(colon + 1, NULL, 10) : 0;
	const char *any = NULL;

	for (size_t k = 0; row && k < row->ndrops; k++) {
		if (row->drops[k].from_ip != ip)
			continue;
		if (row->drops[k].port == port)
			return row->drops[k].cause;
		any = any ? any : row->drops[k].cause;
	}
	return any;
}

/* The prober's cause first; the receiver's when the prober knows none (it
 * only sees that no answer came). */
static json_t *
failure_json(size_t from, size_t to, const struct mx_cell *c, const char *recv)
{
	return json_pack("{s:i, s:i, s:s, s:i, s:i, s:o, s:o, s:o, s:o, s:o}", "from", (int)from,
			 "to", (int)to, "result", probe_result_name(c->result), "reached",
			 (int)c->reached, "probed", (int)c->probed, "target", str_or_null(c->target),
			 "failing", failing_json(c),
			 "cause", str_or_null(c->cause ? c->cause : recv), "receiver", str_or_null(recv),
			 "detail", str_or_null(c->detail));
}

/* Row i's results and RTTs, one per node (null: not probed); its failures
 * go to fails (at most MX_MAX_DETAILS in all, the rest counted), its probed
 * cells are added to *probed. */
static json_t *
row_json(const struct mx_node *v, size_t n, size_t i, const struct mx_view *views, json_t *fails,
	 size_t *omitted, size_t *probed)
{
	const struct mx_view *w = &views[i];
	json_t *res = json_array(), *rtt = json_array();
	/* A row not had now is unknown: nothing of it is shown, not even old cells. */
	const struct mx_row *row = w->state == MX_ROW_SELF || w->state == MX_ROW_OK ? w->row : NULL;
	char ip[CIDR_STRLEN];

	for (size_t j = 0; res && rtt && j < n; j++)
		if (json_array_append_new(res, json_null()) < 0 || json_array_append_new(rtt, json_null()) < 0)
			break;
	for (size_t k = 0; row && k < row->ncells; k++) {
		const struct mx_cell *c = &row->cells[k];
		int j = mx_node_by_ip(v, n, c->to_ip);

		if (j < 0)
			continue;	/* a node this agent does not know (yet) */
		json_array_set_new(res, (size_t)j, json_string(probe_result_name(c->result)));
		json_array_set_new(rtt, (size_t)j, num_or_null(c->rtt_ms, 0.01));
		++*probed;
		if (c->reached == c->probed)
			continue;
		if (json_array_size(fails) < MX_MAX_DETAILS)
			json_array_append_new(fails, failure_json(i, (size_t)j, c,
				receiver_cause(&views[j], v[i].node_ip, c->target)));
		else
			++*omitted;
	}
	return json_pack("{s:o, s:s, s:s, s:s, s:o, s:o, s:o, s:o}",
			 "cluster", str_or_null(v[i].cluster), "node", v[i].name,
			 "node_ip", cidr_fmt_ip(v[i].node_ip, ip), "row", mx_row_state_name(w->state),
			 "age_s", num_or_null(w->age_s, 0.1), "error", str_or_null(w->error),
			 "result", res, "rtt_ms", rtt);
}

char *
mx_matrix_json(const struct mx_node *v, size_t n, const struct mx_view *views,
	       const char *self_cluster, const char *self_node, double interval)
{
	json_t *nodes = json_array(), *fails = json_array(), *o = NULL;
	size_t omitted = 0, probed = 0, failing;
	char *s = NULL, summary[80];

	for (size_t i = 0; nodes && fails && i < n; i++)
		if (json_array_append_new(nodes, row_json(v, n, i, views, fails, &omitted,
							  &probed)) < 0)
			goto out;
	/* No pair probed is not "0 failing": nothing was tried at all. */
	failing = (fails ? json_array_size(fails) : 0) + omitted;
	if (probed)
		snprintf(summary, sizeof(summary), "%zu of %zu probed pairs failing", failing, probed);
	else
		snprintf(summary, sizeof(summary), "nothing probed");
	o = json_pack("{s:s, s:s, s:f, s:O, s:O, s:i, s:i, s:s}", "cluster", self_cluster,
		      "node", self_node, "interval_s", interval, "nodes", nodes, "failures", fails,
		      "failures_omitted", (int)omitted, "probed_pairs", (int)probed, "summary", summary);
	if (o)
		s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
out:
	json_decref(o);
	json_decref(nodes);
	json_decref(fails);
	return s;
}
