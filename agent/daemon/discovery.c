#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/core/cidr.h"
#include "agent/core/clusters.h"
#include "agent/core/plan.h"
#include "agent/core/reconcile.h"
#include "agent/core/report.h"
#include "agent/daemon/discovery_int.h"
#include "agent/io/ev.h"
#include "agent/io/log.h"
#include "netlink/kview.h"
#include "netlink/route.h"

static void
disc_on_changed(struct ev_loop *loop, void *arg);

void
disc_dirty(struct discovery *d)
{
	ev_timer_arm(d->t_changed, 0.001);
}

static void
disc_withdraw_add(struct discovery *d, const struct dcluster *c, const struct kobj_node *n,
		  const struct prefix4 *dst)
{
	struct dwithdrawn *nw;
	struct plan_withdrawn *np;

	if (d->nwd == d->capwd) {
		size_t cap = d->capwd ? d->capwd * 2 : 16;

		if (!(nw = realloc(d->wd, cap * sizeof(*nw))) ||
		    (d->wd = nw, !(np = realloc(d->pwd, cap * sizeof(*np))))) {
			log_errc(ENOMEM, "remembering the routes of node %s", n->name);
			return;
		}
		d->pwd = np;
		d->capwd = cap;
	}
	/* Withdrawn again (re-added, deleted): both kept until disc_wd_sort. */
	d->wd[d->nwd].dst = *dst;
	d->wd[d->nwd].seq = d->wd_seq++;
	snprintf(d->wd[d->nwd].why, sizeof(d->wd[0].why), "node %.200s of cluster %.63s", n->name,
		 c->name);
	d->nwd++;
}

static int
disc_wd_cmp(const void *a, const void *b)
{
	const struct dwithdrawn *x = a, *y = b;
	int c = cidr_cmp(&x->dst, &y->dst);

	return c ? c : x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sorts the withdrawals by destination, the latest of each kept. */
static void
disc_wd_sort(struct discovery *d)
{
	size_t k = 0;

	if (d->nwd_sorted == d->nwd)
		return;
	qsort(d->wd, d->nwd, sizeof(*d->wd), disc_wd_cmp);
	for (size_t i = 0; i < d->nwd; i++) {
		if (k && cidr_equal(&d->wd[k - 1].dst, &d->wd[i].dst))
			k--;
		if (k != i)
			d->wd[k] = d->wd[i];
		k++;
	}
	d->nwd = d->nwd_sorted = k;
}

/* The pod CIDRs of old that new (NULL: none) no longer has: their owned
 * routes go.  The local cluster's nodes never had routes. */
static void
disc_withdraw_node(struct dcluster *c, const struct kobj_node *old, const struct kobj_node *new)
{
	/* A Node over the per-Node bound was never routed: nothing to take
	 * back, and 5,000 of them would be 80,000 withdrawals to remember. */
	if (c->kind == DC_LOCAL || old->cidrs.n > CLUSTERS_NODE_CIDRS)
		return;
	for (size_t i = 0; i < old->cidrs.n; i++) {
		bool kept = false;

		for (size_t j = 0; new && j < new->cidrs.n; j++)
			kept |= cidr_equal(&old->cidrs.v[i], &new->cidrs.v[j]);
		if (!kept)
			disc_withdraw_add(c->d, c, old, &old->cidrs.v[i]);
	}
}

static struct dnode *
dn_find(struct dcluster *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->nodes[i].n.name, name))
			return &c->nodes[i];
	return NULL;
}

static void
dn_remove(struct dcluster *c, struct dnode *dn)
{
	disc_withdraw_node(c, &dn->n, NULL);
	*dn = c->nodes[--c->n];
}

static void
dn_refuse(struct dcluster *c, const char *name, const char *why)
{
	c->refused++;
	snprintf(c->refused_why, sizeof(c->refused_why), "Node %.60s: %.230s", name, why);
}

/* A Node's InternalIP seen: its routes move at once, at most once per
 * DAMP_HOLD; a Node flapping faster waits, logged once per hold.  Returns
 * when a held move is due, 0 when none is. */
static double
dn_damp(const struct dcluster *c, struct dnode *dn)
{
	char a[CIDR_STRLEN], b[CIDR_STRLEN];
	double due = 0;

	if (damp_see(&dn->damp, dn->n.ip, ev_now(), DAMP_HOLD, &due)) {
		if (c->kind != DC_LOCAL)
			log_info("cluster %s: Node %s moved from %s to %s", c->name, dn->n.name,
				 cidr_fmt_ip(dn->damp.prev, a), cidr_fmt_ip(dn->damp.routed, b));
	} else if (dn->damp.held && !dn->damp.warned && c->kind != DC_LOCAL) {
		dn->damp.warned = true;
		log_warnx("cluster %s: Node %s moved again within %gs (now %s): its routes stay "
			  "via %s until %gs after the last move", c->name, dn->n.name, DAMP_HOLD,
			  cidr_fmt_ip(dn->n.ip, a), cidr_fmt_ip(dn->damp.routed, b), DAMP_HOLD);
	}
	return dn->damp.held ? due : 0;
}

/* A held move is looked at again when its hold ends (0: none held). */
static void
disc_damp_arm(struct discovery *d, double due)
{
	if (due <= 0 || (d->damp_due > 0 && d->damp_due <= due))
		return;
	d->damp_due = due;
	ev_timer_arm(d->t_damp, due - ev_now() > 0.001 ? due - ev_now() : 0.001);
}

/* Holds that ended: their Nodes' routes move now. */
static void
disc_on_damp(struct ev_loop *loop, void *arg)
{
	struct discovery *d = arg;
	bool moved = false;

	d->damp_due = 0;
	for (size_t i = 1; i < d->nc; i++)
		for (size_t j = 0; j < d->c[i]->n; j++) {
			struct dnode *dn = &d->c[i]->nodes[j];
			uint32_t was = dn->damp.routed;

			if (!dn->damp.held)
				continue;
			disc_damp_arm(d, dn_damp(d->c[i], dn));
			moved |= dn->damp.routed != was;
		}
	if (moved)
		disc_dirty(d);
}

/* Whether the Node, as routing sees it, is the same: a status update
 * (heartbeat, conditions, an address change still held) changes nothing. */
static bool
dn_same(const struct dnode *dn, const struct kobj_node *n, uint32_t routed)
{
	return dn->damp.routed == routed && (dn->n.ip == 0) == (n->ip == 0) &&
	       dn->n.cidrs.n == n->cidrs.n &&
	       !memcmp(dn->n.cidrs.v, n->cidrs.v, n->cidrs.n * sizeof(n->cidrs.v[0])) &&
	       !strcmp(dn->n.error, n->error);
}

/* Adds or updates a Node; returns whether what routing sees changed. */
static bool
dn_upsert(struct dcluster *c, const struct kobj_node *n)
{
	struct dnode *dn = dn_find(c, n->name), *nn;

	if (n->error[0])
		dn_refuse(c, n->name, n->error);
	if (dn) {
		struct dnode old = *dn;

		disc_withdraw_node(c, &dn->n, n);
		dn->n = *n;
		dn->gen = c->gen;
		disc_damp_arm(c->d, dn_damp(c, dn));
		return !dn_same(&old, n, dn->damp.routed);
	}
	if (c->n == DISC_MAX_NODES) {
		dn_refuse(c, n->name, "more than 5000 Nodes in this cluster");
		return false;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;

		if (!(nn = realloc(c->nodes, cap * sizeof(*nn)))) {
			dn_refuse(c, n->name, "out of memory");
			return false;
		}
		c->nodes = nn;
		c->cap = cap;
	}
	c->nodes[c->n++] = (struct dnode){ .n = *n, .gen = c->gen, .damp = { .routed = n->ip } };
	return true;
}

/* ---- one cluster's watch ------------------------------------------------------------ */

static void
dc_relist(void *arg)
{
	struct dcluster *c = arg;

	c->gen++;
	c->refused = 0;
	c->refused_why[0] = '\0';
}

static void
dc_object(enum kobj_type t, const json_t *obj, void *arg)
{
	struct dcluster *c = arg;
	struct kobj_node n;
	struct dnode *dn;
	char err[200];

	if (!kobj_node(obj, &n, err, sizeof(err))) {
		dn_refuse(c, "?", err);
		return;
	}
	if (t == KOBJ_DELETED) {
		if (!(dn = dn_find(c, n.name)))
			return;
		log_info("cluster %s: Node %s deleted", c->name, n.name);
		dn_remove(c, dn);
	} else if (!dn_upsert(c, &n))
		return;		/* nothing routing sees: no reconcile */
	/* During a list the table is swept once it is complete. */
	if (c->listed)
		disc_dirty(c->d);
}

/* The list is complete: what it did not bring is gone. */
static void
dc_listed(void *arg)
{
	struct dcluster *c = arg;

	for (size_t i = 0; i < c->n;) {
		if (c->nodes[i].gen != c->gen) {
			log_info("cluster %s: Node %s is gone", c->name, c->nodes[i].n.name);
			dn_remove(c, &c->nodes[i]);
		} else
			i++;
	}
	if (!c->listed)
		log_info("cluster %s: %zu Nodes listed from %s", c->name, c->n, c->api);
	c->listed = true;
	disc_dirty(c->d);
}

static void
dc_state(enum kwatch_state st, const char *err, void *arg)
{
	struct dcluster *c = arg;

	if (st != c->st) {
		if (st == KW_SYNCED)
			log_info("cluster %s: %s answers", c->name, c->api);
		else
			log_warnx("cluster %s: %s (%s, as %s): %s", c->name, kwatch_state_name(st),
				  c->origin, c->identity, err);
	}
	/* Every watch that starts says synced again (one each 20 s per
	 * cluster): only a change is the report's, and a reconcile's. */
	if (st == c->st && !strcmp(c->error, err))
		return;
	c->st = st;
	snprintf(c->error, sizeof(c->error), "%s", err);
	disc_dirty(c->d);
}

/* Starts c's watch through kc, or makes it invalid with why (kc NULL). */
static int
dc_watch(struct discovery *d, struct dcluster *c, const struct kubeconfig *kc, const char *why)
{
	struct kwatch_opts o = { .path = "/api/v1/nodes", .max_objects = DISC_MAX_NODES,
				 .token_file = c->kind == DC_LOCAL ? d->token_file : NULL };
	struct kwatch_cbs cbs = { dc_relist, dc_object, dc_listed, dc_state, c };

	c->api[0] = c->identity[0] = '\0';
	if (!kc) {
		c->st = KW_INVALID;
		snprintf(c->error, sizeof(c->error), "%s", why);
		return 0;
	}
	snprintf(c->api, sizeof(c->api), "%s", kc->server);
	kubeconfig_identity(kc, c->identity, sizeof(c->identity));
	c->st = KW_SYNCING;
	c->error[0] = '\0';
	return (c->w = kwatch_new(d->loop, kc, &o, &cbs)) ? 0 : -ENOMEM;
}

struct dcluster *
disc_cluster_add(struct discovery *d, const char *name, enum dc_kind kind, const char *origin,
		 const struct kubeconfig *kc, const char *why)
{
	struct dcluster *c;

	if (d->nc == DISC_MAX_CLUSTERS) {
		errno = ENOSPC;
		return NULL;
	}
	if (!(c = calloc(1, sizeof(*c)))) {
		errno = ENOMEM;
		return NULL;
	}
	c->d = d;
	c->kind = kind;
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->origin, sizeof(c->origin), "%s", origin);
	if (dc_watch(d, c, kc, why) < 0) {
		free(c);
		errno = ENOMEM;
		return NULL;
	}
	d->c[d->nc++] = c;
	disc_dirty(d);
	return c;
}

int
disc_cluster_rewatch(struct discovery *d, struct dcluster *c, const struct kubeconfig *kc,
		     const char *why)
{
	int err;

	kwatch_free(c->w);
	c->w = NULL;
	if ((err = dc_watch(d, c, kc, why)) < 0) {
		c->st = KW_INVALID;
		snprintf(c->error, sizeof(c->error), "%s", strerror(-err));
	}
	disc_dirty(d);
	return err;
}

void
disc_cluster_remove(struct discovery *d, struct dcluster *c)
{
	/* At exit nothing is withdrawn (owned routes stay), and remembering
	 * 80,000 withdrawals one by one would hold SIGTERM for seconds. */
	for (size_t i = 0; !d->closing && i < c->n; i++)
		disc_withdraw_node(c, &c->nodes[i].n, NULL);
	kwatch_free(c->w);
	free(c->nodes);
	for (size_t i = 0; i < d->nc; i++) {
		if (d->c[i] == c) {
			memmove(&d->c[i], &d->c[i + 1], (d->nc - i - 1) * sizeof(d->c[0]));
			d->nc--;
			break;
		}
	}
	free(c);
	disc_dirty(d);
}

/* ---- what the local cluster's Nodes tell -------------------------------------------- */

/* The cluster CIDR: the union of every local Node's pod CIDRs (and ours),
 * unless --cluster-cidr was given; this node's pod CIDRs from its own Node
 * when neither --pod-cidr nor the CNI config gave them. */
static void
disc_local(struct discovery *d)
{
	const struct dcluster *c = d->c[0];
	struct cidr_list *pod = &d->cfg->pod_cidrs, *cl = &d->cfg->cluster_cidrs;
	struct prefix4 *v;
	size_t n = 0;

	for (size_t i = 0; d->pod_from_node && i < c->n; i++)
		if (!strcmp(c->nodes[i].n.name, d->cfg->node_name) && c->nodes[i].n.cidrs.n)
			*pod = c->nodes[i].n.cidrs;
	if (!d->cidr_from_nodes || !(v = calloc(c->n * CIDR_LIST_MAX + CIDR_LIST_MAX, sizeof(*v))))
		return;
	for (size_t i = 0; i < c->n; i++)
		for (size_t j = 0; j < c->nodes[i].n.cidrs.n; j++)
			v[n++] = c->nodes[i].n.cidrs.v[j];
	for (size_t j = 0; j < pod->n; j++)
		v[n++] = pod->v[j];
	n = cidr_aggregate(v, n);
	if (n > CIDR_LIST_MAX) {
		log_warnx("the local Nodes' pod CIDRs make %zu ranges; overlap checks use the first "
			  "%d: give --cluster-cidr", n, CIDR_LIST_MAX);
		n = CIDR_LIST_MAX;
	}
	memcpy(cl->v, v, n * sizeof(*v));
	cl->n = n;
	free(v);
}

static void
disc_on_changed(struct ev_loop *loop, void *arg)
{
	struct discovery *d = arg;

	if (d->c[0]->listed)
		disc_local(d);
	d->changed(d->arg);
}

/* ---- set-up ------------------------------------------------------------------------- */

/* Reads at most max bytes of path into a malloc'd, NUL-terminated buffer. */
static char *
disc_read(const char *path, size_t max, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (!(buf = malloc(max + 2)))
		snprintf(err, errlen, "out of memory");
	else if ((*len = fread(buf, 1, max + 1, f)) > max) {
		snprintf(err, errlen, "%s: more than %zu bytes", path, max);
		free(buf);
		buf = NULL;
	} else
		buf[*len] = '\0';
	fclose(f);
	return buf;
}

static bool
disc_load(const char *path, struct kubeconfig *kc, char *err, size_t errlen)
{
	char why[400];
	size_t len;
	char *buf = disc_read(path, KUBECONFIG_MAX, &len, why, sizeof(why));
	bool ok;

	if (!buf) {
		snprintf(err, errlen, "%s", why);
		return false;
	}
	if (!(ok = kubeconfig_parse(buf, len, kc, why, sizeof(why))))
		snprintf(err, errlen, "%s: %s", path, why);
	free(buf);
	return ok;
}

/* In a pod: the service account's CA and (re-read) token, the API's address
 * from KUBERNETES_SERVICE_HOST/_PORT. */
static bool
disc_service_account(struct discovery *d, char *err, size_t errlen)
{
	const struct kube_api *api = &d->cfg->kube;
	static char token_file[sizeof(api->sa_dir) + 8];
	char ca[sizeof(api->sa_dir) + 8];
	struct kubeconfig *kc = &d->local_kc;
	size_t len;

	snprintf(ca, sizeof(ca), "%s/ca.crt", api->sa_dir);
	snprintf(token_file, sizeof(token_file), "%s/token", api->sa_dir);
	if (!(kc->ca = disc_read(ca, KUBECONFIG_MAX_PEM, &kc->ca_len, err, errlen)))
		return false;
	snprintf(kc->server, sizeof(kc->server), strchr(api->host, ':') ? "https://[%s]:%s" :
		 "https://%s:%s", api->host, api->port);
	snprintf(kc->user, sizeof(kc->user), "the pod's service account");
	d->token_file = token_file;
	/* Read now for the identity in messages; each request re-reads the file. */
	if ((kc->token = disc_read(token_file, KUBECONFIG_MAX_TOKEN, &len, err, errlen)))
		kc->token[strcspn(kc->token, "\r\n")] = '\0';
	return kc->token != NULL;
}

/* --kubeconfig or the service account, then each --remote-kubeconfig. */
static bool
disc_start(struct discovery *d, char err[static CFG_ERR_MAX])
{
	struct cfg *cfg = d->cfg;
	char why[600], origin[320];

	if (cfg->kubeconfig[0] ? !disc_load(cfg->kubeconfig, &d->local_kc, why, sizeof(why)) :
	    !disc_service_account(d, why, sizeof(why))) {
		snprintf(err, CFG_ERR_MAX, "%s: %.450s", cfg->kubeconfig[0] ? "--kubeconfig" :
			 "the service account", why);
		return false;
	}
	snprintf(origin, sizeof(origin), cfg->kubeconfig[0] ? "--kubeconfig %.300s" :
		 "the service account in %.290s", cfg->kubeconfig[0] ? cfg->kubeconfig :
		 cfg->kube.sa_dir);
	if (!disc_cluster_add(d, cfg->cluster, DC_LOCAL, origin, &d->local_kc, NULL))
		goto nomem;
	for (size_t i = 0; i < cfg->nremote_kubeconfigs; i++) {
		const struct cfg_kubeconfig *rk = &cfg->remote_kubeconfigs[i];
		struct kubeconfig kc;
		bool ok;

		if (!disc_load(rk->path, &kc, why, sizeof(why))) {
			snprintf(err, CFG_ERR_MAX, "--remote-kubeconfig %s: %.400s", rk->name, why);
			return false;
		}
		snprintf(origin, sizeof(origin), "--remote-kubeconfig %s=%.280s", rk->name, rk->path);
		ok = disc_cluster_add(d, rk->name, DC_FLAG, origin, &kc, NULL) != NULL;
		kubeconfig_free(&kc);
		if (!ok)
			goto nomem;
	}
	return true;
nomem:
	snprintf(err, CFG_ERR_MAX, "starting the Kubernetes watches: %s", strerror(ENOMEM));
	return false;
}

struct discovery *
discovery_new(struct ev_loop *loop, struct cfg *cfg, void (*changed)(void *), void *arg,
	      char err[static CFG_ERR_MAX])
{
	struct discovery *d = calloc(1, sizeof(*d));

	if (!d || !(d->t_changed = ev_timer_new(loop, disc_on_changed, d)) ||
	    !(d->t_damp = ev_timer_new(loop, disc_on_damp, d))) {
		if (d)
			ev_timer_free(d->t_changed);
		free(d);
		snprintf(err, CFG_ERR_MAX, "starting discovery: %s", strerror(ENOMEM));
		return NULL;
	}
	d->loop = loop;
	d->cfg = cfg;
	d->changed = changed;
	d->arg = arg;
	d->pod_from_node = cfg->pod_cidrs.n == 0;
	/* resolve_defaults() made the cluster CIDR the pod CIDRs when
	 * --cluster-cidr was not given: then the local Nodes widen it. */
	d->cidr_from_nodes = cfg->cluster_cidrs.n == cfg->pod_cidrs.n &&
		!memcmp(cfg->cluster_cidrs.v, cfg->pod_cidrs.v, cfg->pod_cidrs.n * sizeof(struct prefix4));
	if (!disc_start(d, err) || (cfg->remote_secrets[0] && dsec_start(d) < 0)) {
		if (!err[0])
			snprintf(err, CFG_ERR_MAX, "watching Secrets: %s", strerror(ENOMEM));
		discovery_free(d);
		return NULL;
	}
	return d;
}

void
discovery_free(struct discovery *d)
{
	if (!d)
		return;
	kwatch_free(d->secrets);
	d->closing = true;
	while (d->nc)
		disc_cluster_remove(d, d->c[d->nc - 1]);
	ev_timer_free(d->t_changed);
	ev_timer_free(d->t_damp);
	kubeconfig_free(&d->local_kc);
	free(d->wd);
	free(d->pwd);
	free(d->rem);
	free(d);
}

/* The valid Nodes of c into out, as far as the bounds allow (Nodes in table
 * order, so the same ones keep their routes from one reconcile to the
 * next); what is left out is counted for the report.  Returns how many. */
static size_t
disc_bounded(struct dcluster *c, struct clusters_budget *b, struct plan_remote *out)
{
	size_t k = 0;

	b->cluster = 0;
	memset(c->unrouted, 0, sizeof(c->unrouted));
	c->unrouted_cidrs = 0;
	for (size_t j = 0; j < c->n; j++) {
		const struct kobj_node *nd = &c->nodes[j].n;
		enum clusters_bound why;

		if (!nd->ip || !nd->cidrs.n || nd->error[0])
			continue;
		if ((why = clusters_take(b, nd->cidrs.n)) != BOUND_OK) {
			c->unrouted[why]++;
			c->unrouted_cidrs += nd->cidrs.n;
			continue;
		}
		out[k++] = (struct plan_remote){ .node_ip = c->nodes[j].damp.routed,
			.prev_via = c->nodes[j].damp.prev, .cidrs = nd->cidrs.v,
			.ncidrs = nd->cidrs.n, .cluster = c->name, .node = nd->name };
	}
	return k;
}

const struct plan_remote *
discovery_remotes(struct discovery *d, size_t *n)
{
	const struct cfg *cfg = d->cfg;
	struct clusters_budget budget = { 0 };
	size_t want = cfg->nremotes, k = 0;

	for (size_t i = 1; i < d->nc; i++)
		want += d->c[i]->n;
	if (want > d->remcap) {
		struct plan_remote *r = realloc(d->rem, want * sizeof(*r));

		if (!r) {
			log_errc(ENOMEM, "listing remote nodes");
			*n = 0;
			return d->rem;
		}
		d->rem = r;
		d->remcap = want;
	}
	/* Until the local cluster is listed its CIDRs are unknown: no remote
	 * route is planned against an incomplete overlap check. */
	for (size_t i = 1; d->c[0]->listed && i < d->nc; i++)
		k += disc_bounded(d->c[i], &budget, d->rem + k);
	for (size_t i = 0; i < cfg->nremotes; i++)
		d->rem[k++] = (struct plan_remote){ .node_ip = cfg->remotes[i].node_ip,
			.cidrs = cfg->remotes[i].cidrs.v, .ncidrs = cfg->remotes[i].cidrs.n };
	*n = k;
	return d->rem;
}

size_t
discovery_nodes(const struct discovery *d, bool with_local, struct disc_node *out, size_t max)
{
	size_t k = 0;

	for (size_t i = with_local ? 0 : 1; i < d->nc && (i == 0 || d->c[0]->listed); i++) {
		const struct dcluster *c = d->c[i];

		for (size_t j = 0; j < c->n && k < max; j++) {
			const struct kobj_node *nd = &c->nodes[j].n;

			if (nd->ip && c->nodes[j].damp.routed && !nd->error[0])
				out[k++] = (struct disc_node){ .cluster = c->name, .name = nd->name,
					.ip = c->nodes[j].damp.routed, .cidrs = nd->cidrs.v, .ncidrs = nd->cidrs.n,
					.local = c->kind == DC_LOCAL };
		}
	}
	return k;
}

const struct plan_withdrawn *
discovery_withdrawn(struct discovery *d, size_t *n)
{
	*n = 0;
	/* Until the local cluster is listed no remote is planned, so a route
	 * that moved to another node would look unclaimed: wait. */
	if (!d->c[0]->listed || !d->nwd)
		return NULL;
	disc_wd_sort(d);
	for (size_t i = 0; i < d->nwd; i++)
		d->pwd[i] = (struct plan_withdrawn){ .dst = d->wd[i].dst, .why = d->wd[i].why };
	*n = d->nwd;
	return d->pwd;
}

/* The withdrawal whose why a stale route of the plan points to (the plan
 * holds discovery_withdrawn's pointers), or SIZE_MAX. */
static size_t
disc_wd_index(const struct discovery *d, const char *why)
{
	uintptr_t base = (uintptr_t)d->wd, p = (uintptr_t)why;
	size_t i;

	if (!why || !d->nwd || p < base || p >= base + d->nwd * sizeof(*d->wd))
		return SIZE_MAX;
	i = (p - base) / sizeof(*d->wd);
	return d->wd[i].why == why ? i : SIZE_MAX;
}

void
discovery_withdrawn_done(struct discovery *d, const struct plan *p)
{
	unsigned char *keep;
	size_t k = 0, i;

	if (!d->c[0]->listed || !d->nwd || d->nwd_sorted != d->nwd)
		return;		/* not what the planner saw */
	if (!(keep = calloc(d->nwd, 1)))
		return;		/* all kept: tried again */
	/* Kept: the ones still stale (report mode, or the kernel refused). */
	for (size_t j = 0; j < p->nstale; j++)
		if (!p->stale[j].removed && (i = disc_wd_index(d, p->stale[j].why)) != SIZE_MAX)
			keep[i] = 1;
	for (i = 0; i < d->nwd; i++)
		if (keep[i])
			d->wd[k++] = d->wd[i];
	d->nwd = d->nwd_sorted = k;
	free(keep);
}

bool
discovery_listed(const struct discovery *d)
{
	if (d->secrets && (!d->sec_listed || d->sec_st != KW_SYNCED))
		return false;
	for (size_t i = 0; i < d->nc; i++)
		if (!d->c[i]->listed || d->c[i]->st != KW_SYNCED)
			return false;
	return true;
}

bool
discovery_settled(const struct discovery *d)
{
	if (d->secrets && !d->sec_listed && d->sec_st <= KW_SYNCED)
		return false;
	for (size_t i = 0; i < d->nc; i++)
		if (!d->c[i]->listed && d->c[i]->st <= KW_SYNCED)
			return false;
	return true;
}

static const char *
disc_source_state(const struct dcluster *c)
{
	if (c->st == KW_SYNCED && !c->listed)
		return "syncing";
	return kwatch_state_name(c->st);
}

size_t
discovery_clusters(const struct discovery *d, struct report_cluster *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < d->nc && n < max; i++) {
		const struct dcluster *c = d->c[i];
		struct report_cluster *rc = &out[n++];

		*rc = (struct report_cluster){ .source = "kubernetes", .state = disc_source_state(c),
					       .nodes = c->n, .local = c->kind == DC_LOCAL };
		snprintf(rc->name, sizeof(rc->name), "%s", c->name);
		snprintf(rc->api, sizeof(rc->api), "%s", c->api);
		snprintf(rc->origin, sizeof(rc->origin), "%s", c->origin);
		snprintf(rc->identity, sizeof(rc->identity), "%s", c->identity);
		memcpy(rc->unrouted, c->unrouted, sizeof(rc->unrouted));
		rc->unrouted_cidrs = c->unrouted_cidrs;
		if (c->error[0])
			snprintf(rc->error, sizeof(rc->error), "%s", c->error);
		else if (c->refused)
			snprintf(rc->error, sizeof(rc->error), "%zu Node(s) refused; last: %s",
				 c->refused, c->refused_why);
	}
	if (d->secrets && d->sec_st != KW_SYNCED && n < max) {
		struct report_cluster *rc = &out[n++];

		/* The secrets' own watch: its failure hides every cluster they hold. */
		*rc = (struct report_cluster){ .source = "kubernetes", .state =
			kwatch_state_name(d->sec_st), .local = true };
		snprintf(rc->name, sizeof(rc->name), "%.63s", d->cfg->cluster);
		snprintf(rc->api, sizeof(rc->api), "%s", d->local_kc.server);
		snprintf(rc->origin, sizeof(rc->origin), "Secrets in namespace %s",
			 d->cfg->remote_secrets);
		snprintf(rc->error, sizeof(rc->error), "Secrets in %s: %.400s", d->cfg->remote_secrets,
			 d->sec_error);
	}
	return n + clusters_static(d->cfg, out + n, max - n);
}
