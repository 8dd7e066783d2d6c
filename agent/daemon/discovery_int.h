/* Discovery's internals, shared by discovery.c (clusters, nodes, remotes)
 * and dsecrets.c (the remote secrets). */
#ifndef PODREACH_DISCOVERY_INT_H
#define PODREACH_DISCOVERY_INT_H

#include "agent/core/clusters.h"
#include "agent/core/damp.h"
#include "agent/core/kobj.h"
#include "agent/core/kubeconfig.h"
#include "agent/daemon/discovery.h"
#include "agent/io/kwatch.h"

enum dc_kind { DC_LOCAL, DC_FLAG, DC_SECRET };

struct dnode {
	struct kobj_node n;
	unsigned gen;			/* the list or watch that last brought it */
	struct damp damp;		/* the address its routes go via */
};

struct dcluster {
	struct discovery *d;
	char name[64];
	enum dc_kind kind;
	char origin[320];		/* "--kubeconfig F", "Secret NS/NAME key K" */
	char secret[320];		/* DC_SECRET: "NS/NAME" */
	unsigned long hash;		/* DC_SECRET: of the kubeconfig, to see changes */
	unsigned sgen;			/* DC_SECRET: the secrets list that last had it */
	char api[512];
	char identity[256];
	struct kwatch *w;		/* NULL when invalid */
	enum kwatch_state st;
	char error[512];
	struct dnode *nodes;
	size_t n, cap;
	unsigned gen;
	bool listed;			/* a full list arrived once */
	size_t refused;			/* Nodes refused since the last list */
	char refused_why[300];
	size_t unrouted[BOUND_COUNT];	/* valid Nodes past a bound, by bound */
	size_t unrouted_cidrs;
};

struct dwithdrawn {
	struct prefix4 dst;
	size_t seq;			/* the order they came in: the latest wins */
	char why[320];			/* "node N of cluster C deleted" */
};

struct discovery {
	struct ev_loop *loop;
	struct cfg *cfg;
	void (*changed)(void *);
	void *arg;
	struct ev_timer *t_changed;
	struct ev_timer *t_damp;	/* the earliest end of a held move */
	double damp_due;		/* when t_damp fires; 0: not armed */
	bool closing;			/* discovery_free: no withdrawals */
	struct dcluster *c[DISC_MAX_CLUSTERS];	/* c[0]: the local cluster */
	size_t nc;
	struct kubeconfig local_kc;
	const char *token_file;		/* in a pod: the projected token, re-read */
	bool pod_from_node, cidr_from_nodes;
	struct cidr_list cfg_pod_cidrs;
	struct kwatch *secrets;
	enum kwatch_state sec_st;
	char sec_error[512];
	unsigned sec_gen;
	bool sec_listed;		/* the Secrets were listed once */
	/* Until their routes are gone: appended, then sorted by destination
	 * (one each, the latest reason) before the planner sees them, so that
	 * a cluster of 5,000 Nodes removed is n log n, not n^2. */
	struct dwithdrawn *wd;
	struct plan_withdrawn *pwd;	/* the same for the planner, capwd long */
	size_t nwd, capwd;
	size_t nwd_sorted;		/* wd[0..nwd_sorted) is sorted, one per dst */
	size_t wd_seq;
	struct plan_remote *rem;
	size_t remcap;
};

/* Coalesces changes into one changed() call from the loop. */
void disc_dirty(struct discovery *d);
/* A new cluster watching through kc (NULL: invalid, with why); NULL with
 * errno ENOSPC when DISC_MAX_CLUSTERS are watched already, ENOMEM when out of
 * memory. */
struct dcluster *disc_cluster_add(struct discovery *d, const char *name, enum dc_kind kind,
				  const char *origin, const struct kubeconfig *kc, const char *why);
/* Watches c through kc from now on (NULL: invalid, with why), keeping its
 * node table until the new watch has listed.  -ENOMEM leaves it invalid. */
int disc_cluster_rewatch(struct discovery *d, struct dcluster *c, const struct kubeconfig *kc,
			 const char *why);
/* Stops its watch, withdraws its nodes' routes, frees it. */
void disc_cluster_remove(struct discovery *d, struct dcluster *c);

/* The secrets watch on the local cluster (dsecrets.c). */
int dsec_start(struct discovery *d);

#endif
