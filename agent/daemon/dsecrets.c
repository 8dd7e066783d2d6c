/*
 * Remote clusters from Secrets labelled istio/multiCluster=true in
 * --remote-secrets, watched on the local cluster's API: each data key is a
 * cluster, its value a kubeconfig.  A secret added, changed or removed
 * starts, restarts or stops those clusters' watches.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/daemon/discovery_int.h"
#include "agent/io/log.h"

static unsigned long
dsec_hash(const char *s, size_t n)
{
	unsigned long h = 5381;

	for (size_t i = 0; i < n; i++)
		h = h * 33 + (unsigned char)s[i];
	return h;
}

static struct dcluster *
dsec_find(struct discovery *d, const char *secret, const char *key)
{
	for (size_t i = 1; i < d->nc; i++)
		if (d->c[i]->kind == DC_SECRET && !strcmp(d->c[i]->secret, secret) &&
		    !strcmp(d->c[i]->name, key))
			return d->c[i];
	return NULL;
}

/* Why a data key may not be a cluster, or NULL. */
static const char *
dsec_clash(struct discovery *d, const char *secret, const char *name, char *why, size_t len)
{
	why[0] = '\0';
	if (!strcmp(name, d->cfg->cluster))
		snprintf(why, len, "cluster %s is this cluster (--cluster)", name);
	for (size_t i = 1; !why[0] && i < d->nc; i++) {
		const struct dcluster *c = d->c[i];

		if (!strcmp(c->name, name) && c->st != KW_INVALID &&
		    (c->kind != DC_SECRET || strcmp(c->secret, secret)))
			snprintf(why, len, "cluster %s is already given by %s", name, c->origin);
	}
	return why[0] ? why : NULL;
}

/* The kubeconfig of one data key, or why it cannot be used ("" when it can). */
static bool
dsec_kubeconfig(struct discovery *d, const char *secret, const char *origin,
		const struct kobj_secret_entry *e, struct kubeconfig *kc, char *why, size_t len)
{
	char perr[400];
	const char *bad;

	why[0] = '\0';
	if (e->error[0])
		snprintf(why, len, "%.200s: %.300s", origin, e->error);
	else if ((bad = dsec_clash(d, secret, e->cluster, perr, sizeof(perr))))
		snprintf(why, len, "%.200s: %.300s", origin, bad);
	else if (!kubeconfig_parse(e->value, e->len, kc, perr, sizeof(perr)))
		snprintf(why, len, "%.200s: the kubeconfig: %.280s", origin, perr);
	else
		return true;
	log_warnx("%s", why);
	return false;
}

/* (Re)starts the cluster of one data key.  A changed key swaps the
 * credentials under the cluster's node table: its routes stay until the new
 * watch has listed (and then only the Nodes it no longer holds go), and stay
 * for as long as the new API does not answer. */
static void
dsec_entry(struct discovery *d, const struct kobj_secret *s, const struct kobj_secret_entry *e)
{
	char secret[320], origin[320], why[512];
	struct dcluster *c;
	struct kubeconfig kc;
	unsigned long h = e->value ? dsec_hash(e->value, e->len) : 0;
	bool ok;

	snprintf(secret, sizeof(secret), "%s/%s", s->ns, s->name);
	if ((c = dsec_find(d, secret, e->cluster)) && c->hash == h && !e->error[0]) {
		c->sgen = d->sec_gen;
		return;		/* unchanged */
	}
	snprintf(origin, sizeof(origin), "Secret %.150s key %.63s", secret, e->cluster);
	ok = dsec_kubeconfig(d, secret, origin, e, &kc, why, sizeof(why));
	if (c) {
		log_info("cluster %s: Secret %s changed: restarting its watch (its %zu Nodes kept "
			 "until it has listed)", e->cluster, secret, c->n);
		if (disc_cluster_rewatch(d, c, ok ? &kc : NULL, why) < 0)
			log_errc(ENOMEM, "restarting cluster %s from %s", e->cluster, origin);
	} else {
		if (ok)
			log_info("cluster %s: from %s, API %s", e->cluster, origin, kc.server);
		if (!(c = disc_cluster_add(d, e->cluster, DC_SECRET, origin, ok ? &kc : NULL, why))) {
			if (errno == ENOSPC)
				log_warnx("cluster %s from %s not watched: at most %d clusters are",
					  e->cluster, origin, DISC_MAX_CLUSTERS);
			else
				log_errc(ENOMEM, "starting cluster %s from %s", e->cluster, origin);
		}
	}
	if (ok)
		kubeconfig_free(&kc);
	if (!c)
		return;
	snprintf(c->secret, sizeof(c->secret), "%s", secret);
	c->hash = h;
	c->sgen = d->sec_gen;
}

/* Stops the clusters of secret ("NS/NAME") not in keep (NULL: all). */
static void
dsec_drop(struct discovery *d, const char *secret, const struct kobj_secret *keep)
{
	for (size_t i = 1; i < d->nc;) {
		struct dcluster *c = d->c[i];
		bool kept = false;

		for (size_t k = 0; keep && k < keep->n; k++)
			kept |= !strcmp(keep->data[k].cluster, c->name);
		if (c->kind == DC_SECRET && !strcmp(c->secret, secret) && !kept) {
			log_info("cluster %s: no longer in Secret %s: stopping its watch", c->name, secret);
			disc_cluster_remove(d, c);
		} else
			i++;
	}
}

static void
dsec_object(enum kobj_type t, const json_t *obj, void *arg)
{
	struct discovery *d = arg;
	struct kobj_secret s;
	char err[300], secret[320];

	if (!kobj_secret(obj, KUBECONFIG_MAX, &s, err, sizeof(err))) {
		log_warnx("Secrets in %s: %s", d->cfg->remote_secrets, err);
		/* A deletion counts whatever the data it carries (more keys
		 * than we read, say): its name is enough. */
		if (t == KOBJ_DELETED && s.name[0]) {
			snprintf(secret, sizeof(secret), "%s/%s", s.ns[0] ? s.ns :
				 d->cfg->remote_secrets, s.name);
			dsec_drop(d, secret, NULL);
		}
		kobj_secret_free(&s);
		return;
	}
	snprintf(secret, sizeof(secret), "%s/%s", s.ns, s.name);
	/* The label selector asks for labelled ones only; a secret whose label
	 * went away arrives as DELETED, but check anyway. */
	if (t == KOBJ_DELETED || !s.labelled)
		dsec_drop(d, secret, NULL);
	else {
		dsec_drop(d, secret, &s);
		for (size_t i = 0; i < s.n; i++)
			dsec_entry(d, &s, &s.data[i]);
	}
	kobj_secret_free(&s);
}

static void
dsec_relist(void *arg)
{
	struct discovery *d = arg;

	d->sec_gen++;
}

/* The list is complete: clusters of secrets it did not bring are gone. */
static void
dsec_listed(void *arg)
{
	struct discovery *d = arg;

	for (size_t i = 1; i < d->nc;) {
		if (d->c[i]->kind == DC_SECRET && d->c[i]->sgen != d->sec_gen) {
			log_info("cluster %s: Secret %s is gone", d->c[i]->name, d->c[i]->secret);
			disc_cluster_remove(d, d->c[i]);
		} else
			i++;
	}
	d->sec_listed = true;
	disc_dirty(d);
}

static void
dsec_state(enum kwatch_state st, const char *err, void *arg)
{
	struct discovery *d = arg;

	if (st == d->sec_st && !strcmp(d->sec_error, err))
		return;		/* a watch started again: nothing new */
	if (st != d->sec_st && st != KW_SYNCED)
		log_warnx("Secrets in %s: %s: %s", d->cfg->remote_secrets, kwatch_state_name(st), err);
	d->sec_st = st;
	snprintf(d->sec_error, sizeof(d->sec_error), "%s", err);
	disc_dirty(d);
}

int
dsec_start(struct discovery *d)
{
	static char path[128];
	struct kwatch_opts o = { .path = path, .selector = KOBJ_MULTICLUSTER_LABEL "=true",
				 .max_objects = 256, .token_file = d->token_file };
	struct kwatch_cbs cbs = { dsec_relist, dsec_object, dsec_listed, dsec_state, d };

	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/secrets", d->cfg->remote_secrets);
	if (!(d->secrets = kwatch_new(d->loop, &d->local_kc, &o, &cbs)))
		return -errno;
	return 0;
}
