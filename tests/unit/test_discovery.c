/*
 * Discovery's node tables and remote secrets (agent/daemon/discovery.c,
 * dsecrets.c) driven through a fake kwatch linked in place of agent/io/kwatch.c:
 * each watch the code starts is recorded with its callbacks, and the test
 * plays the API server's lists, events and failures into them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/rtnetlink.h>

#include <openssl/evp.h>

#include "agent/core/cfg.h"
#include "agent/core/kubeconfig.h"
#include "agent/core/plan.h"
#include "agent/core/reconcile.h"
#include "agent/core/report.h"
#include "agent/daemon/discovery.h"
#include "agent/daemon/discovery_int.h"
#include "agent/io/ev.h"
#include "agent/io/kwatch.h"
#include "netlink/kview.h"

/* ---- the fake kwatch ---------------------------------------------------------------- */

struct kwatch {
	char server[512], path[256], token[128];
	struct kwatch_cbs cbs;
	bool live;
};

#define MAXW 32
static struct kwatch *watches[MAXW];
static size_t nwatches;

struct kwatch *
kwatch_new(struct ev_loop *loop, const struct kubeconfig *kc, const struct kwatch_opts *o,
	   const struct kwatch_cbs *cbs)
{
	struct kwatch *w = calloc(1, sizeof(*w));

	assert_true(nwatches < MAXW);
	snprintf(w->server, sizeof(w->server), "%s", kc->server);
	snprintf(w->path, sizeof(w->path), "%s", o->path);
	snprintf(w->token, sizeof(w->token), "%s", kc->token ? kc->token : "");
	w->cbs = *cbs;
	w->live = true;
	watches[nwatches++] = w;
	return w;
}

void
kwatch_free(struct kwatch *w)
{
	if (w)
		w->live = false;	/* kept for the test to look at */
}

const char *
kwatch_state_name(enum kwatch_state st)
{
	return st == KW_SYNCED ? "synced" : st == KW_UNREACHABLE ? "unreachable" : "other";
}

unsigned long
kwatch_requests(const struct kwatch *w)
{
	return 0;
}

/* The live watch whose server is server (and path path). */
static struct kwatch *
watch(const char *server, const char *path)
{
	struct kwatch *found = NULL;

	for (size_t i = 0; i < nwatches; i++)
		if (watches[i]->live && !strcmp(watches[i]->server, server) &&
		    strstr(watches[i]->path, path)) {
			assert_null(found);
			found = watches[i];
		}
	return found;
}

/* A full list of objs (NULL-terminated); each is consumed. */
static void
list(struct kwatch *w, json_t **objs)
{
	assert_non_null(w);
	w->cbs.relist(w->cbs.arg);
	for (; *objs; objs++) {
		w->cbs.object(KOBJ_ADDED, *objs, w->cbs.arg);
		json_decref(*objs);
	}
	w->cbs.listed(w->cbs.arg);
	w->cbs.state(KW_SYNCED, "", w->cbs.arg);
}

static void
event(struct kwatch *w, enum kobj_type t, json_t *obj)
{
	assert_non_null(w);
	w->cbs.object(t, obj, w->cbs.arg);
	json_decref(obj);
}

static char *
b64_encode(const char *in, size_t len)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)in, (int)len);
	return out;
}

/* ---- objects ------------------------------------------------------------------------ */

static json_t *
node(const char *name, const char *ip, const char *cidr)
{
	return json_pack("{s:{s:s,s:s},s:{s:[s]},s:{s:[{s:s,s:s}]}}", "metadata", "name", name,
			 "resourceVersion", "1", "spec", "podCIDRs", cidr, "status", "addresses",
			 "type", "InternalIP", "address", ip);
}

static char *
kubeconfig_text(const char *server, const char *token)
{
	static const char pem[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
	char *ca = b64_encode(pem, strlen(pem)), *out;

	assert_true(asprintf(&out, "apiVersion: v1\nkind: Config\ncurrent-context: x\n"
			     "contexts:\n- name: x\n  context: {cluster: x, user: x}\n"
			     "clusters:\n- name: x\n  cluster:\n    server: %s\n"
			     "    certificate-authority-data: %s\nusers:\n- name: x\n  user:\n"
			     "    token: %s\n", server, ca, token) > 0);
	free(ca);
	return out;
}

/* A labelled Secret "podreach/NAME"; keys and servers alternate, NULL-ended;
 * extra: that many more keys beyond them (junk). */
static json_t *
secret(const char *name, int extra, ...)
{
	json_t *data = json_object(), *s;
	const char *key;
	char k[16];
	va_list ap;

	va_start(ap, extra);
	while ((key = va_arg(ap, const char *))) {
		const char *server = va_arg(ap, const char *), *token = va_arg(ap, const char *);
		char *kc = kubeconfig_text(server, token), *b = b64_encode(kc, strlen(kc));

		json_object_set_new(data, key, json_string(b));
		free(kc);
		free(b);
	}
	va_end(ap);
	for (int i = 0; i < extra; i++) {
		snprintf(k, sizeof(k), "junk%d", i);
		json_object_set_new(data, k, json_string("AA=="));
	}
	s = json_pack("{s:{s:s,s:s,s:s,s:{s:s}},s:o}", "metadata", "name", name, "namespace",
		      "podreach", "resourceVersion", "3", "labels", "istio/multiCluster", "true",
		      "data", data);
	return s;
}

/* ---- the world around discovery ----------------------------------------------------- */

#define BIG 5000	/* a remote cluster of DISC_MAX_NODES */

struct fixture {
	struct ev_loop *loop;
	struct cfg cfg;
	struct discovery *d;
	char path[64];
	struct kview kv;
	struct route4 routes[4 * BIG + 8];
	char deleted[8][CIDR_STRLEN];	/* the first 8; ndeleted counts all */
	size_t ndeleted;
	int refuse;			/* -errno for every removal, or 0 */
};

static int nchanged;

static void
changed(void *arg)
{
	nchanged++;
}

static void
on_stop(struct ev_loop *loop, void *arg)
{
	ev_stop(loop);
}

/* How many times discovery said it changed (coalesced: after 1 ms) since
 * the last call. */
static int
changes(struct fixture *f)
{
	struct ev_timer *t = ev_timer_new(f->loop, on_stop, NULL);
	int n;

	ev_timer_arm(t, 0.02);
	ev_run(f->loop);
	ev_timer_free(t);
	n = nchanged;
	nchanged = 0;
	return n;
}

static int
fake_apply(void *ctx, enum rc_op op, const struct route4 *r)
{
	struct fixture *f = ctx;

	assert_int_equal(op, RC_DEL);
	if (!f->refuse && f->ndeleted < 8)
		cidr_fmt(&r->dst, f->deleted[f->ndeleted]);
	f->ndeleted += !f->refuse;
	return f->refuse;
}

static int
fake_lookup(void *ctx, uint32_t dst, struct route4 *out)
{
	return -ENETUNREACH;
}

static void
fake_settings(void *ctx, const char *dev, struct node_sysctl *out)
{
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[CFG_ERR_MAX] = "", *kc = kubeconfig_text("https://127.0.0.1:6443", "local");
	FILE *fp;
	int fd;

	snprintf(f->path, sizeof(f->path), "/tmp/podreach-test-kc.XXXXXX");
	assert_true((fd = mkstemp(f->path)) >= 0);
	assert_non_null(fp = fdopen(fd, "w"));
	fputs(kc, fp);
	fclose(fp);
	free(kc);
	f->loop = ev_new();
	snprintf(f->cfg.cluster, sizeof(f->cfg.cluster), "c1");
	snprintf(f->cfg.node_name, sizeof(f->cfg.node_name), "n1");
	snprintf(f->cfg.kubeconfig, sizeof(f->cfg.kubeconfig), "%s", f->path);
	snprintf(f->cfg.remote_secrets, sizeof(f->cfg.remote_secrets), "podreach");
	f->cfg.mode = CFG_MODE_ENFORCE;
	nwatches = 0;
	f->d = discovery_new(f->loop, &f->cfg, changed, f, err);
	if (!f->d)
		fail_msg("discovery_new: %s", err);
	f->kv.routes = f->routes;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	discovery_free(f->d);
	ev_free(f->loop);
	unlink(f->path);
	for (size_t i = 0; i < nwatches; i++)
		free(watches[i]);
	free(f);
	return 0;
}

/* An owned route in the kernel view, as enforce installed it. */
static void
owned(struct fixture *f, const char *cidr)
{
	char why[120];
	struct route4 *r = &f->routes[f->kv.nroutes++];

	*r = (struct route4){ .protocol = PODREACH_RTPROT, .table = RT_TABLE_MAIN };
	assert_true(cidr_parse(cidr, &r->dst, why, sizeof(why)));
}

/* The owned routes one reconcile removes now, as the agent runs it (the
 * withdrawn destinations; with prune, when every cluster is listed, the
 * unclaimed ones too), as "A B".  Nothing else is planned: no remote CIDR
 * is inside the (empty) allow-list. */
static const char *
reconciled(struct fixture *f, bool prune)
{
	static char out[200];
	struct rc_kernel k = { fake_apply, fake_lookup, fake_settings, f };
	struct rc_input in = { .cfg = &f->cfg, .kv = &f->kv };
	struct rc_result res;

	in.withdrawn = discovery_withdrawn(f->d, &in.nwithdrawn);
	in.prune = prune && discovery_listed(f->d);
	in.remotes = discovery_remotes(f->d, &in.nremotes);
	f->ndeleted = 0;
	assert_int_equal(rc_run(&in, &k, &res), 0);
	discovery_withdrawn_done(f->d, &res.plan);
	rc_result_free(&res);
	out[0] = '\0';
	for (size_t i = 0; i < f->ndeleted && i < 8; i++)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", i ? " " : "",
			 f->deleted[i]);
	return out;
}

static const char *
withdrawn(struct fixture *f)
{
	return reconciled(f, false);
}

static size_t
remotes(struct fixture *f)
{
	size_t n;

	discovery_remotes(f->d, &n);
	return n;
}

/* The local cluster listed, Secret s1 giving cluster c2 at API, its Nodes
 * m0 (10.250.0.0/24) and m1 (10.250.1.0/24) listed and their routes owned. */
static void
two_clusters(struct fixture *f, const char *api)
{
	list(watch("https://127.0.0.1:6443", "/nodes"),
	     (json_t *[]){ node("n1", "172.18.0.2", "10.244.0.0/24"), NULL });
	list(watch("https://127.0.0.1:6443", "/secrets"),
	     (json_t *[]){ secret("s1", 0, "c2", api, "t1", NULL), NULL });
	list(watch(api, "/nodes"), (json_t *[]){ node("m0", "172.18.0.9", "10.250.0.0/24"),
						 node("m1", "172.18.0.10", "10.250.1.0/24"), NULL });
	assert_int_equal(remotes(f), 2);
	owned(f, "10.250.0.0/24");
	owned(f, "10.250.1.0/24");
	assert_string_equal(withdrawn(f), "");
}

/* ---- tests -------------------------------------------------------------------------- */

static void
test_secret_deleted(void **state)
{
	struct fixture *f = *state;

	two_clusters(f, "https://10.0.0.2:6443");
	event(watch("https://127.0.0.1:6443", "/secrets"), KOBJ_DELETED,
	      secret("s1", 0, "c2", "https://10.0.0.2:6443", "t1", NULL));
	assert_null(watch("https://10.0.0.2:6443", "/nodes"));
	assert_int_equal(remotes(f), 0);
	assert_string_equal(withdrawn(f), "10.250.0.0/24 10.250.1.0/24");
}

/* A DELETED Secret whose data cannot be read (33 keys: more than we read)
 * still removes its clusters: the watch must not go on with a deleted token. */
static void
test_secret_deleted_unreadable(void **state)
{
	struct fixture *f = *state;
	struct kwatch *s = watch("https://127.0.0.1:6443", "/secrets");

	two_clusters(f, "https://10.0.0.2:6443");
	event(s, KOBJ_MODIFIED, secret("s1", 32, "c2", "https://10.0.0.2:6443", "t1", NULL));
	assert_non_null(watch("https://10.0.0.2:6443", "/nodes"));	/* unread: kept */
	event(s, KOBJ_DELETED, secret("s1", 32, "c2", "https://10.0.0.2:6443", "t1", NULL));
	assert_null(watch("https://10.0.0.2:6443", "/nodes"));
	assert_string_equal(withdrawn(f), "10.250.0.0/24 10.250.1.0/24");
}

static void
test_secret_missing_from_relist(void **state)
{
	struct fixture *f = *state;

	two_clusters(f, "https://10.0.0.2:6443");
	list(watch("https://127.0.0.1:6443", "/secrets"),
	     (json_t *[]){ secret("s2", 0, "c3", "https://10.0.0.3:6443", "t3", NULL), NULL });
	assert_null(watch("https://10.0.0.2:6443", "/nodes"));
	assert_non_null(watch("https://10.0.0.3:6443", "/nodes"));
	assert_string_equal(withdrawn(f), "10.250.0.0/24 10.250.1.0/24");
}

/* A rotated token restarts the cluster's watch with the new one and keeps
 * every route while the API does not answer (it was: all routes gone, "node
 * m0 deleted"); once the new watch has listed, only Nodes it lacks go. */
static void
test_secret_rotated(void **state)
{
	struct fixture *f = *state;
	struct kwatch *old, *w;

	two_clusters(f, "https://10.0.0.2:6443");
	old = watch("https://10.0.0.2:6443", "/nodes");
	event(watch("https://127.0.0.1:6443", "/secrets"), KOBJ_MODIFIED,
	      secret("s1", 0, "c2", "https://10.0.0.2:6443", "t2", NULL));
	assert_non_null(w = watch("https://10.0.0.2:6443", "/nodes"));
	assert_ptr_not_equal(w, old);
	assert_false(old->live);
	assert_string_equal(w->token, "t2");
	w->cbs.state(KW_UNREACHABLE, "HTTP 503", w->cbs.arg);
	assert_int_equal(remotes(f), 2);
	assert_string_equal(withdrawn(f), "");
	list(w, (json_t *[]){ node("m1", "172.18.0.10", "10.250.1.0/24"), NULL });
	assert_int_equal(remotes(f), 1);
	assert_string_equal(withdrawn(f), "10.250.0.0/24");
	/* The same Secret again changes nothing. */
	event(watch("https://127.0.0.1:6443", "/secrets"), KOBJ_MODIFIED,
	      secret("s1", 0, "c2", "https://10.0.0.2:6443", "t2", NULL));
	assert_ptr_equal(watch("https://10.0.0.2:6443", "/nodes"), w);
	/* Changed into one that cannot be used: invalid, its routes kept. */
	event(watch("https://127.0.0.1:6443", "/secrets"), KOBJ_MODIFIED,
	      secret("s1", 0, "c2", "http://10.0.0.2:6443", "t2", NULL));
	assert_null(watch("https://10.0.0.2:6443", "/nodes"));
	assert_false(w->live);
	assert_int_equal(remotes(f), 1);
	assert_string_equal(withdrawn(f), "");
}

/* A relist is the whole truth: Nodes it did not bring are gone. */
static void
test_relist_removes(void **state)
{
	struct fixture *f = *state;

	two_clusters(f, "https://10.0.0.2:6443");
	list(watch("https://10.0.0.2:6443", "/nodes"),
	     (json_t *[]){ node("m0", "172.18.0.9", "10.250.0.0/24"), NULL });
	assert_int_equal(remotes(f), 1);
	assert_string_equal(withdrawn(f), "10.250.1.0/24");
	event(watch("https://10.0.0.2:6443", "/nodes"), KOBJ_DELETED,
	      node("m0", "172.18.0.9", "10.250.0.0/24"));
	assert_int_equal(remotes(f), 0);
	assert_string_equal(withdrawn(f), "10.250.0.0/24");
}

/* No remote route is planned before the local cluster is listed (its CIDRs
 * guard the overlap checks); Nodes whose data is refused, or without an
 * InternalIP, are never routed. */
static void
test_planned_when(void **state)
{
	struct fixture *f = *state;
	struct kwatch *c2;

	list(watch("https://127.0.0.1:6443", "/secrets"),
	     (json_t *[]){ secret("s1", 0, "c2", "https://10.0.0.2:6443", "t1", NULL), NULL });
	c2 = watch("https://10.0.0.2:6443", "/nodes");
	list(c2, (json_t *[]){ node("m0", "172.18.0.9", "10.250.0.0/24"),
			       node("bad", "172.18.0.11", "10.250.2.0/33"),
			       node("badip", "172.18.0.300", "10.250.3.0/24"),
			       json_pack("{s:{s:s},s:{s:[s]}}", "metadata", "name", "noip", "spec",
					 "podCIDRs", "10.250.4.0/24"), NULL });
	assert_int_equal(remotes(f), 0);
	list(watch("https://127.0.0.1:6443", "/nodes"), (json_t *[]){ NULL });
	assert_int_equal(remotes(f), 1);
}

/* A Node whose InternalIP keeps changing: the first move is followed at
 * once (the planner told where the route was), later ones wait for the
 * hold; a status update changing nothing routed is no change. */
static void
test_node_moves_damped(void **state)
{
	struct fixture *f = *state;
	struct kwatch *c2;
	const struct plan_remote *r;
	size_t n;

	two_clusters(f, "https://10.0.0.2:6443");
	c2 = watch("https://10.0.0.2:6443", "/nodes");
	event(c2, KOBJ_MODIFIED, node("m0", "172.18.0.20", "10.250.0.0/24"));
	r = discovery_remotes(f->d, &n);
	assert_int_equal(n, 2);
	assert_int_equal(r[0].node_ip, 0xac120014);
	assert_int_equal(r[0].prev_via, 0xac120009);
	event(c2, KOBJ_MODIFIED, node("m0", "172.18.0.9", "10.250.0.0/24"));
	event(c2, KOBJ_MODIFIED, node("m0", "172.18.0.21", "10.250.0.0/24"));
	r = discovery_remotes(f->d, &n);
	assert_int_equal(r[0].node_ip, 0xac120014);	/* held */
	assert_string_equal(withdrawn(f), "");
}

/* Nodes past the bounds are not routed, and the cluster says how many:
 * 5 pod CIDRs refuse a Node; 2,501 Nodes of 4 cross 10,000 routes. */
static void
test_bounds(void **state)
{
	struct fixture *f = *state;
	static json_t *objs[2503];
	struct report_cluster rc[4];
	char name[16], ip[20], c[4][24];
	size_t n;

	list(watch("https://127.0.0.1:6443", "/nodes"), (json_t *[]){ NULL });
	list(watch("https://127.0.0.1:6443", "/secrets"),
	     (json_t *[]){ secret("s1", 0, "c2", "https://10.0.0.2:6443", "t1", NULL), NULL });
	objs[0] = json_pack("{s:{s:s},s:{s:[s,s,s,s,s]},s:{s:[{s:s,s:s}]}}", "metadata", "name",
			    "five", "spec", "podCIDRs", "10.99.0.0/28", "10.99.0.16/28",
			    "10.99.0.32/28", "10.99.0.48/28", "10.99.0.64/28", "status", "addresses",
			    "type", "InternalIP", "address", "172.18.200.1");
	for (int i = 0; i < 2501; i++) {
		snprintf(name, sizeof(name), "m%d", i);
		snprintf(ip, sizeof(ip), "172.18.%d.%d", 1 + i / 250, 1 + i % 250);
		for (int k = 0; k < 4; k++)
			snprintf(c[k], sizeof(c[k]), "10.%d.%d.%d/26", 100 + i / 64, i % 64,
				 k * 64);
		objs[1 + i] = json_pack("{s:{s:s},s:{s:[s,s,s,s]},s:{s:[{s:s,s:s}]}}", "metadata",
					"name", name, "spec", "podCIDRs", c[0], c[1], c[2], c[3],
					"status", "addresses", "type", "InternalIP", "address", ip);
	}
	list(watch("https://10.0.0.2:6443", "/nodes"), objs);
	discovery_remotes(f->d, &n);
	assert_int_equal(n, 2500);
	/* The Node over the per-Node bound was never routed: its deletion
	 * withdraws nothing. */
	event(watch("https://10.0.0.2:6443", "/nodes"), KOBJ_DELETED,
	      json_pack("{s:{s:s},s:{s:[s,s,s,s,s]}}", "metadata", "name", "five", "spec",
			"podCIDRs", "10.99.0.0/28", "10.99.0.16/28", "10.99.0.32/28", "10.99.0.48/28",
			"10.99.0.64/28"));
	discovery_withdrawn(f->d, &n);
	assert_int_equal(n, 0);
	n = discovery_clusters(f->d, rc, 4);
	assert_int_equal(rc[1].unrouted[BOUND_NODE], 1);
	assert_int_equal(rc[1].unrouted[BOUND_CLUSTER], 1);
	assert_int_equal(rc[1].unrouted_cidrs, 9);
}

/* The 65th cluster: refused as "no room" (ENOSPC), not as out of memory. */
static void
test_cluster_cap(void **state)
{
	struct fixture *f = *state;
	struct discovery *d = f->d;
	char name[16];

	for (int i = 1; i < DISC_MAX_CLUSTERS; i++) {
		snprintf(name, sizeof(name), "x%d", i);
		assert_non_null(disc_cluster_add(d, name, DC_SECRET, "test", NULL, "invalid"));
	}
	errno = 0;
	assert_null(disc_cluster_add(d, "one-too-many", DC_SECRET, "test", NULL, "invalid"));
	assert_int_equal(errno, ENOSPC);
}

/* A removal the kernel refuses is kept and retried by the next reconcile
 * (it was: forgotten, the route stayed for ever). */
static void
test_withdraw_refused_retried(void **state)
{
	struct fixture *f = *state;

	two_clusters(f, "https://10.0.0.2:6443");
	event(watch("https://10.0.0.2:6443", "/nodes"), KOBJ_DELETED,
	      node("m0", "172.18.0.9", "10.250.0.0/24"));
	f->refuse = -EPERM;
	assert_string_equal(withdrawn(f), "");
	f->refuse = 0;
	assert_string_equal(withdrawn(f), "10.250.0.0/24");
	assert_string_equal(withdrawn(f), "");
}

/* Listed: every cluster (local, remote, the Secrets) listed in this run and
 * answering.  Only then is an unclaimed owned route stale. */
static void
test_listed(void **state)
{
	struct fixture *f = *state;
	struct kwatch *c2, *sec;

	assert_false(discovery_listed(f->d));
	assert_false(discovery_settled(f->d));
	two_clusters(f, "https://10.0.0.2:6443");
	assert_true(discovery_listed(f->d));
	assert_true(discovery_settled(f->d));
	owned(f, "10.250.9.0/24");	/* a stray route: no Node claims it */
	assert_string_equal(withdrawn(f), "");
	c2 = watch("https://10.0.0.2:6443", "/nodes");
	c2->cbs.state(KW_UNREACHABLE, "refused", c2->cbs.arg);
	assert_false(discovery_listed(f->d));
	assert_string_equal(reconciled(f, true), "");
	c2->cbs.state(KW_SYNCED, "", c2->cbs.arg);
	/* A new cluster from a Secret: unlisted, so nothing goes. */
	event(watch("https://127.0.0.1:6443", "/secrets"), KOBJ_ADDED,
	      secret("s2", 0, "c3", "https://10.0.0.3:6443", "t3", NULL));
	assert_false(discovery_listed(f->d));
	assert_false(discovery_settled(f->d));
	assert_string_equal(reconciled(f, true), "");
	/* It fails before listing: settled (check stops waiting), not listed. */
	watch("https://10.0.0.3:6443", "/nodes")->cbs.state(KW_FORBIDDEN, "403",
		watch("https://10.0.0.3:6443", "/nodes")->cbs.arg);
	assert_true(discovery_settled(f->d));
	assert_false(discovery_listed(f->d));
	list(watch("https://10.0.0.3:6443", "/nodes"), (json_t *[]){ NULL });
	assert_true(discovery_listed(f->d));
	assert_string_equal(reconciled(f, true), "10.250.9.0/24");
	/* The Secrets' own watch down: a Secret may have come or gone unseen. */
	sec = watch("https://127.0.0.1:6443", "/secrets");
	sec->cbs.state(KW_UNREACHABLE, "refused", sec->cbs.arg);
	assert_false(discovery_listed(f->d));
}

/* w's state said as st (err): the changes discovery then reports. */
static int
said(struct fixture *f, struct kwatch *w, enum kwatch_state st, const char *err)
{
	w->cbs.state(st, err, w->cbs.arg);
	return changes(f);
}

/* Each watch that starts again (every 20 s per cluster) says synced: no
 * change, no reconcile; a state or error that changes is one. */
static void
test_state_repeated(void **state)
{
	struct fixture *f = *state;
	struct kwatch *c2, *sec;

	two_clusters(f, "https://10.0.0.2:6443");
	changes(f);
	c2 = watch("https://10.0.0.2:6443", "/nodes");
	sec = watch("https://127.0.0.1:6443", "/secrets");
	for (int i = 0; i < 3; i++) {
		assert_int_equal(said(f, c2, KW_SYNCED, ""), 0);
		assert_int_equal(said(f, sec, KW_SYNCED, ""), 0);
	}
	assert_int_equal(said(f, c2, KW_UNREACHABLE, "refused"), 1);
	assert_int_equal(said(f, c2, KW_UNREACHABLE, "timeout"), 1);
	assert_int_equal(said(f, sec, KW_UNREACHABLE, "refused"), 1);
	assert_int_equal(said(f, sec, KW_UNREACHABLE, "refused"), 0);
}

/* A Secret naming a cluster of 5,000 Nodes of 4 pod CIDRs each (the most a
 * Node may have routed), each CIDR with its owned route, deleted: 20,000
 * withdrawals (sorted, not matched pair by pair), every route removed by
 * one reconcile and every withdrawal then forgotten; a Node withdrawn twice
 * (deleted, back, deleted) is withdrawn once. */
static void
test_big_cluster_removed(void **state)
{
	struct fixture *f = *state;
	static json_t *objs[BIG + 1];
	char name[16], ip[16], cidr[4][32];
	struct kwatch *c2;
	size_t n;

	list(watch("https://127.0.0.1:6443", "/nodes"),
	     (json_t *[]){ node("n1", "172.18.0.2", "10.244.0.0/24"), NULL });
	list(watch("https://127.0.0.1:6443", "/secrets"),
	     (json_t *[]){ secret("s1", 0, "c2", "https://10.0.0.2:6443", "t1", NULL), NULL });
	for (int i = 0; i < BIG; i++) {
		snprintf(name, sizeof(name), "m%d", i);
		snprintf(ip, sizeof(ip), "172.18.%d.%d", 100 + i / 250, 1 + i % 250);
		for (int k = 0, j = 4 * i; k < 4; k++, j++) {
			snprintf(cidr[k], sizeof(cidr[k]), "10.%d.%d.0/24", 128 + j / 256, j % 256);
			owned(f, cidr[k]);
		}
		objs[i] = json_pack("{s:{s:s,s:s},s:{s:[s,s,s,s]},s:{s:[{s:s,s:s}]}}", "metadata",
				    "name", name, "resourceVersion", "1", "spec", "podCIDRs", cidr[0],
				    cidr[1], cidr[2], cidr[3], "status", "addresses", "type",
				    "InternalIP", "address", ip);
	}
	c2 = watch("https://10.0.0.2:6443", "/nodes");
	list(c2, objs);
	assert_int_equal(remotes(f), BIG / 2);	/* the cluster's bound: 10,000 routes */
	event(c2, KOBJ_DELETED, node("m7", "172.18.100.8", "10.128.28.0/24"));
	event(c2, KOBJ_ADDED, node("m7", "172.18.100.8", "10.128.28.0/24"));
	event(c2, KOBJ_DELETED, node("m7", "172.18.100.8", "10.128.28.0/24"));
	discovery_withdrawn(f->d, &n);
	assert_int_equal(n, 4);
	event(watch("https://127.0.0.1:6443", "/secrets"), KOBJ_DELETED,
	      secret("s1", 0, "c2", "https://10.0.0.2:6443", "t1", NULL));
	assert_int_equal(remotes(f), 0);
	discovery_withdrawn(f->d, &n);
	assert_int_equal(n, 4 * BIG);
	assert_string_equal(withdrawn(f), "10.128.0.0/24 10.128.1.0/24 10.128.2.0/24 10.128.3.0/24 "
			    "10.128.4.0/24 10.128.5.0/24 10.128.6.0/24 10.128.7.0/24");
	assert_int_equal(f->ndeleted, 4 * BIG);
	discovery_withdrawn(f->d, &n);
	assert_int_equal(n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_secret_deleted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secret_deleted_unreadable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secret_missing_from_relist, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secret_rotated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relist_removes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_planned_when, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_moves_damped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cluster_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_withdraw_refused_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(test_listed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_repeated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_big_cluster_removed, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
