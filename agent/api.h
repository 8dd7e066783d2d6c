/*
 * The agent's state and what its HTTP endpoint serves from it: the report
 * (text and JSON, rendered once per reconcile), /v1/node, /v1/peers and
 * /metrics.
 */
#ifndef PODREACH_API_H
#define PODREACH_API_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/httpd.h"
#include "agent/peer.h"
#include "agent/plan.h"
#include "netlink/kview.h"

struct cfg;
struct ev_loop;
struct ev_timer;
struct route_sock;
struct watch;

#define API_RECONCILE_BUCKETS 10

struct agent_metrics {
	uint64_t reconciles;
	uint64_t reconcile_failures;
	uint64_t repairs;		/* routes installed or repaired */
	uint64_t events;		/* rtnetlink notifications */
	uint64_t resyncs;		/* full re-reads after lost notifications */
	uint64_t buckets[API_RECONCILE_BUCKETS];	/* reconcile duration */
	double dur_sum;
	uint64_t http_requests;
	double repair_last_ms;		/* deletion seen -> route back */
};

struct agent {
	struct cfg *cfg;
	struct ev_loop *loop;
	struct route_sock *rs;
	struct watch *watch;
	struct httpd *httpd;
	struct peers *peers;
	struct ev_timer *t_reconcile, *t_resync, *t_peers;
	char token[256];		/* "" when none */
	struct kview kv;		/* the last view read */
	struct plan plan;		/* the last decisions */
	char *status_json;		/* the last report, rendered */
	char *status_text;
	char problems[64][32];		/* codes of the last report's problems, for /metrics */
	size_t nproblems;
	bool ready;
	bool pending;
	double pending_since;
	double deleted_at;		/* when an owned route was seen deleted */
	double storm_start;
	int storm_count;
	int logged_state[PEER_MAX];
	struct agent_metrics m;
};

/* Answers one request (httpd's handler; arg is the agent). */
void api_handle(const struct httpd_req *req, struct httpd_reply *out, void *arg);

/* The /v1/node document of this node, malloc'd. */
char *api_node_json(const struct agent *a);

/* Bucket upper bounds of the reconcile duration histogram, seconds. */
extern const double api_buckets[API_RECONCILE_BUCKETS];

#endif
