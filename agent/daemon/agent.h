/*
 * The agent's state: one struct, owned by agentd.c, read by the endpoint
 * (api.c) and the probe rounds (agent_probe.c).
 */
#ifndef PODREACH_AGENT_H
#define PODREACH_AGENT_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/core/diag.h"
#include "agent/core/pdiff.h"
#include "agent/core/reconcile.h"
#include "agent/core/remotes.h"
#include "agent/core/view.h"
#include "agent/core/report.h"
#include "agent/daemon/discovery.h"
#include "agent/daemon/peer.h"
#include "agent/io/probe.h"
#include "netlink/kview.h"

struct cfg;
struct ev_loop;
struct ev_timer;
struct httpd;
struct matrix;
struct mtu_round;
struct mtu_target;
struct nft_ruleset;
struct nftwatch;
struct route_sock;
struct watch;
struct whyd;

#define API_RECONCILE_BUCKETS 10
#define API_RTT_BUCKETS 10
#define API_PROBE_SERIES 32		/* per-target metric series; the rest is "other" */
#define API_MAX_TARGETS 4096		/* probe targets per round */

struct agent_metrics {
	uint64_t reconciles;
	uint64_t reconcile_failures;
	uint64_t repairs;		/* routes installed or repaired */
	uint64_t removed[2];		/* owned routes removed: [0] Node deleted, [1] stale */
	uint64_t events;		/* rtnetlink notifications */
	uint64_t resyncs;		/* full re-reads after lost notifications */
	uint64_t view_checks;		/* --resync comparisons of the view with a dump */
	uint64_t view_checks_skipped;	/* ... put off: notifications came during the dump */
	uint64_t divergences;		/* view entries a --resync dump found wrong */
	uint64_t nft_events;		/* nftables notifications applied */
	uint64_t nft_commits;		/* nftables generations applied */
	uint64_t nft_resyncs;		/* ruleset re-read: lost notifications, a gap */
	uint64_t nft_checks;		/* --resync comparisons of the ruleset view */
	uint64_t nft_checks_skipped;	/* ... put off: a commit came during the dump */
	uint64_t nft_divergences;	/* entries of the ruleset view a dump found wrong */
	uint64_t buckets[API_RECONCILE_BUCKETS];	/* reconcile duration */
	double dur_sum;
	uint64_t http_requests;
	double repair_last_ms;		/* deletion seen -> route back */
	uint64_t probe_results[2][6];	/* [kind][outcome] */
	uint64_t rtt_buckets[API_RTT_BUCKETS];
	double rtt_sum;
	uint64_t rtt_count;
};

/* One probe target's history, for /metrics; bounded to API_PROBE_SERIES. */
struct agent_series {
	char target[64];
	struct probe_history h;
};

struct agent {
	struct cfg *cfg;
	struct ev_loop *loop;
	struct route_sock *rs;
	struct watch *watch;
	struct httpd *httpd;
	struct peers *peers;
	struct discovery *disc;		/* --discovery kubernetes, else NULL */
	struct report_cluster clusters[DISC_MAX_CLUSTERS + 2];	/* + the secrets' watch, --remote */
	struct ev_timer *t_reconcile, *t_resync, *t_peers;
	char token[256];		/* "" when none */
	struct kview kv;		/* the kernel as the view holds it */
	struct view view;		/* kv kept current from notifications, indexed */
	bool need_dump;			/* the view must be re-read from a dump */
	bool lost;			/* notifications were lost: drop the queue first */
	bool self_check;		/* ... and compared with it first (--resync) */
	struct nftwatch *nftw;		/* nftables change notifications, or NULL */
	struct ev_timer *t_rules;	/* retries a failed read; polls without nftw */
	/* The JSON report being written a chunk per turn of the loop (agentd.c):
	 * status_json stays the last complete one meanwhile. */
	struct render_job *rjob;
	struct ev_timer *t_render;
	bool rules_pending;
	bool rules_dirty;		/* the ruleset view must be re-read from a dump */
	bool rules_check;		/* ... and compared with it first (--resync) */
	struct rc_result res;		/* the last reconcile: decisions, firewall, settings */
	char *status_json;		/* the last report, rendered */
	char *status_text;
	size_t problems[PC_COUNT];	/* the last report's problems by code, for /metrics */
	struct pdiff pkeys;		/* ... and by code and subject, for the log */
	bool ready;
	struct nft_ruleset *rules;	/* the ruleset view (rules.c), or NULL */
	double rules_at;		/* when it was read (ev_now()), 0: never */
	bool fw_warned;			/* the ruleset could not be read: said once */
	struct report *report;		/* reused by every reconcile */
	double backoff;			/* seconds before retrying a failed kernel read */
	double apply_backoff;		/* seconds before retrying refused route changes */
	bool pending;
	double pending_since;
	double deleted_at;		/* when an owned route was seen deleted */
	double storm_start;
	int storm_count;
	/* ksync.c: the planned destinations as sorted spans, so that a route
	 * notification is matched in O(log n), not against each of 5,000;
	 * rebuilt when the plan is (spans_gen: m.reconciles + 1 of it) */
	struct cidr_span *spans;
	size_t nspans;
	uint64_t spans_gen;
	struct agent_metrics m;
	/* probes (agent_probe.c) */
	struct probe_engine *probe;
	struct probe_opts probe_opts;
	struct ev_timer *t_probe;
	struct probe_target *targets;	/* the running round's */
	size_t ntargets;
	struct report_probe *probes;	/* the last round's results */
	size_t nprobes;
	double probes_at;		/* when that round ended (ev_now()), 0: none yet */
	size_t probe_nodes;		/* remote nodes the last round looked at */
	bool probe_none;		/* the last round found nothing to probe */
	struct agent_series series[API_PROBE_SERIES + 1];	/* the last one is "other" */
	size_t nseries;
	struct mtu_round *mtu;		/* the DF probes of the path MTU (agent_probe.c) */
	bool mtu_busy;			/* ... still running */
	double mtu_at;			/* when the last round started (ev_now()) */
	struct mtu_target *mtu_targets;	/* two per remote node: small, the pod MTU */
	struct report_mtu *mtu_res;	/* the last finished round's, per remote node */
	size_t nmtu;
	struct report_mtu *mtu_next;	/* the running round's */
	size_t nmtu_next;
	struct matrix *matrix;		/* /v1/matrix: the other agents' rows (matrix_fetch.c) */
	struct whyd *why;		/* /v1/why (whyd.c) */
};

/* Starts probe rounds every --interval (jittered); returns 0 or -errno. */
int agent_probe_start(struct agent *a);
/* Frees the engine, its round and the results; NULL-safe parts. */
void agent_probe_stop(struct agent *a);
/* Marks the agent for a reconcile (agentd.c). */
void agent_schedule(struct agent *a, const char *why);
/* Finishes the JSON report being written now: before anything it points to
 * (the probe results, the plan) changes (agentd.c). */
void agent_render_finish(struct agent *a);
/* The peers' claims and their verdicts under the trust rules of
 * agent/core/remotes.c: a routed claim's pods are ours to reach. */
struct agent_claims {
	struct node_claim c[PEER_MAX];
	size_t peer[PEER_MAX];		/* index into the peer table */
	struct remotes_judgement j[PEER_MAX];
	size_t n;
};
/* Fills ac from every peer with a valid answer, judged. */
void agent_judge(const struct agent *a, struct agent_claims *ac);

/* Bucket upper bounds of the reconcile duration and probe RTT histograms, seconds. */
extern const double api_buckets[API_RECONCILE_BUCKETS];
extern const double api_rtt_buckets[API_RTT_BUCKETS];

#endif
