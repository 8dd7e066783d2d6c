/*
 * One reconcile, shared by `podreach check` and the agent: from a snapshot
 * of the kernel and the remote nodes, decide (plan), apply (enforce mode),
 * look up where packets go now, read the node settings and evaluate the
 * firewall; then diagnose into a report.  The kernel is reached only through
 * struct rc_kernel, so the whole core runs against a fake in unit tests;
 * agent/io/kernel.c is the real one.
 */
#ifndef PODREACH_RECONCILE_H
#define PODREACH_RECONCILE_H

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/core/fw.h"
#include "agent/core/plan.h"
#include "agent/core/sysctl.h"

struct cfg;
struct kview;
struct nft_ruleset;
struct report;
struct report_fw;
struct route4;
struct strpool;

enum rc_op { RC_ADD, RC_REPLACE, RC_DEL };

/* kind's (and kubeadm's) default serviceSubnet, 10.96.0.0/12: the local
 * service range when --service-cidr does not say. */
#define RC_KIND_SERVICES 0x0a600000u

struct rc_kernel {
	/* Applies op to r in the main table with podreach's protocol and
	 * returns the kernel's verdict: 0 or -errno. */
	int (*apply)(void *ctx, enum rc_op op, const struct route4 *r);
	/* `ip route get dst`: 0 with *out filled, or -errno. */
	int (*lookup)(void *ctx, uint32_t dst, struct route4 *out);
	/* Reads the node settings for interface dev ("" when unknown). */
	void (*settings)(void *ctx, const char *dev, struct node_sysctl *out);
	void *ctx;
};

struct rc_input {
	const struct cfg *cfg;		/* resolved */
	const struct kview *kv;		/* the snapshot */
	const struct plan_remote *remotes;
	size_t nremotes;
	const struct nft_ruleset *rules;	/* NULL: the firewall is not evaluated */
	/* An index over kv's routes (plan_input.find), or NULL. */
	const struct route4 *(*find)(const void *ctx, const struct prefix4 *dst);
	const void *find_ctx;
	/* At most this many route changes (0: no limit); the rest are left for
	 * the next run, so that a burst of thousands does not hold the caller's
	 * loop (and its /healthz) for seconds. */
	size_t max_changes;
	/* Owned routes that go (plan_input): withdrawn destinations, and with
	 * prune every one no remote claims. */
	const struct plan_withdrawn *withdrawn;
	size_t nwithdrawn;
	bool prune;
};

struct rc_result {
	struct plan plan;
	struct report_fw *fw;		/* malloc'd */
	struct strpool *fw_pool;	/* fw's strings */
	size_t nfw;
	struct node_sysctl sysctl;
	char bridge_dev[IF_NAMESIZE + 8];	/* the interface holding the node IP */
	int failed;			/* route changes the kernel refused */
	size_t deferred;		/* changes past max_changes: the report is then
					 * not built (no FIB lookup, no firewall) */
	int fw_err;			/* -ENOMEM: the firewall was not evaluated */
	struct fw_trace fw_trace;	/* the chains and sets the flows read */
};

/* Runs one reconcile into res (which must be zeroed or freed).  Returns 0,
 * or -ENOMEM (planning) with res empty; a firewall evaluation that ran out
 * of memory is res->fw_err.  Refused changes are counted in res->failed and
 * named in each route's apply_err; a route changed is PLAN_INSTALLED or
 * PLAN_REPAIRED, a stale one removed is res->plan.stale[i].removed. */
int rc_run(const struct rc_input *in, const struct rc_kernel *k, struct rc_result *res);

/* Frees what res holds (not res); NULL-safe. */
void rc_result_free(struct rc_result *res);

/* Points r at in and res (borrowed: they must outlive r's use) and derives
 * its problems.  The caller sets r->version, r->peers and r->probes first. */
void rc_report(struct report *r, const struct rc_input *in, const struct rc_result *res);

#endif
