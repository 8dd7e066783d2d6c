/*
 * The cross-cluster connectivity matrix: every node the agent knows and,
 * per ordered pair, the latest probe result with its cause (/v1/matrix),
 * drawn as a heatmap by /ui.
 *
 * Each agent knows only its own row (its probe results mapped to nodes); it
 * serves that row on /v1/row, and the agent asked for the matrix fetches the
 * other rows from their agents — in the event loop, bounded, once per
 * --interval and only while someone looks.  A row is never a source of
 * routes, and a row that cannot be fetched is unknown, not a failure.
 *
 * mx_* are pure (nodes, rows, JSON in and out; the unit tests call them);
 * matrix_* are the agent's side (matrix_fetch.c).
 */
#ifndef PODREACH_MATRIX_H
#define PODREACH_MATRIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/core/cidr.h"
#include "agent/daemon/peer.h"

#define MX_MAX_NODES 256		/* nodes in one matrix: columns, rows, fetches */
#define MX_MAX_BODY (256 * 1024)	/* a /v1/row answer; more is invalid */
#define MX_MAX_DEPTH 4			/* {"cells":[{...}]} is 3 */
#define MX_MAX_TEXT 200			/* a cause or detail, bytes */
#define MX_MAX_TARGET 128		/* a failing probe target, bytes */
#define MX_MAX_FAILING 8		/* failing targets one cell names */
#define MX_MAX_PROBED 4096		/* probes per cell (API_MAX_TARGETS) */
#define MX_MAX_DETAILS 512		/* failures listed with their words in one matrix */
#define MX_MAX_AGE 1e7			/* seconds; older is nonsense */
#define MX_MAX_RTT 1e7			/* ms */
#define MX_MAX_DROPS 64			/* inbound drops one row names */

struct agent;
struct report_back;
struct report_fw;
struct report_probe;

/* One node of the matrix.  Pointers are borrowed from where the node came
 * from (the config, the peer table) and valid until the next event. */
struct mx_node {
	char cluster[64];		/* "" for a static --remote node */
	char name[254];
	uint32_t node_ip;		/* the key across agents */
	const struct prefix4 *cidrs;	/* its pod CIDRs */
	size_t ncidrs;
	uint32_t probe_ips[PEER_MAX_PROBE_ADDRS];	/* its probe_addrs' IPs */
	size_t nprobe_ips;
	char agent[24];			/* "ip:port" of its agent; "" for none or ourselves */
	bool self;
	double seen;			/* when its claim was last valid (the newest wins) */
};

/* What one agent's probes say about one destination node. */
struct mx_cell {
	uint32_t to_ip;			/* the destination's node IP */
	uint8_t result;			/* enum probe_outcome: the first failure, else the best */
	uint16_t reached, probed;	/* targets of that node that answered / were probed */
	double rtt_ms;			/* mean over the reached ones; < 0 none */
	char *target;			/* the first failing target, or NULL */
	char *cause;			/* what the prober's report knows about it, or NULL */
	char *detail;			/* the probe's own words, or NULL */
	char **failing;			/* the failing targets ("IP:PORT"), malloc'd, or NULL */
	uint8_t nfailing;		/* at most MX_MAX_FAILING; probed - reached fail in all */
};

/* What this agent's firewall drops of what arrives from one node on one
 * port: the receiver's side of a failing pair. */
struct mx_drop {
	uint32_t from_ip;		/* the sending node's IP (what masquerade leaves) */
	uint16_t port;
	char *cause;			/* "c1n2: ip filter FORWARD handle 4 drops it (forward)" */
};

/* One agent's row. */
struct mx_row {
	char cluster[64];
	char node[254];
	uint32_t node_ip;
	double age_s;			/* of the probe round; < 0: none yet */
	struct mx_cell *cells;		/* malloc'd */
	size_t ncells;
	struct mx_drop *drops;		/* malloc'd; absent from older agents' rows */
	size_t ndrops;
};

enum mx_row_state { MX_ROW_SELF, MX_ROW_OK, MX_ROW_PENDING, MX_ROW_UNREACHABLE, MX_ROW_INVALID,
		    MX_ROW_NONE };

/* How one row of the matrix stands, for mx_matrix_json. */
struct mx_view {
	enum mx_row_state state;
	char error[200];		/* "" or why the row is unknown */
	double age_s;			/* < 0: unknown */
	const struct mx_row *row;	/* NULL unless SELF or OK */
};

/* What the prober's report knows about the path to ip ("" when nothing). */
typedef void (*mx_cause_fn)(void *ctx, uint32_t ip, char *buf, size_t len);

/* Frees the cells and their strings; the row itself is the caller's.  NULL-safe. */
void mx_row_free(struct mx_row *r);

/* Sorts nodes by cluster and name, drops the duplicates (same cluster and
 * name: the newest claim stays; same node IP: the first); returns the count. */
size_t mx_nodes_finish(struct mx_node *v, size_t n);

/* The node ip belongs to (a pod CIDR of it, its node IP, one of its probe
 * addresses), or -1.  The most specific pod CIDR wins. */
int mx_node_of(const struct mx_node *v, size_t n, uint32_t ip);

/* The index of the node with node IP ip, or -1. */
int mx_node_by_ip(const struct mx_node *v, size_t n, uint32_t ip);

/* Fills out->cells from one round's probe results: one cell per node that
 * was probed.  cause may be NULL.  Returns 0 or -ENOMEM (out then empty);
 * the identity fields of out are the caller's. */
int mx_row_build(const struct mx_node *v, size_t n, const struct report_probe *p, size_t np,
		 mx_cause_fn cause, void *ctx, struct mx_row *out);

/* Fills out->drops (at most MX_MAX_DROPS) from the inbound drops among a
 * report's firewall results; node names the receiver (this agent).
 * Returns 0 or -ENOMEM (out->drops then empty). */
int mx_row_drops(const struct report_fw *fw, size_t nfw, const char *node, struct mx_row *out);

/* Adds to out->drops (up to MX_MAX_DROPS) what rp_filter drops of each
 * node in back, on each of the probe ports, unless a rule's drop of that
 * node and port is there already.  Returns 0 or -ENOMEM (out->drops then
 * empty). */
int mx_row_back(const struct report_back *back, size_t nback, const uint16_t *ports,
		size_t nports, const char *node, struct mx_row *out);

/* The /v1/row body of r, malloc'd (NULL: out of memory). */
char *mx_row_json(const struct mx_row *r);

/* Validates a /v1/row body field by field.  Returns false and says why in
 * err (out then empty); on success the caller frees out with mx_row_free. */
bool mx_row_parse(const char *body, size_t len, struct mx_row *out, char *err, size_t errlen);

/* The /v1/matrix body, malloc'd (NULL: out of memory).  views[i] is node
 * i's row; self_* name the agent answering. */
char *mx_matrix_json(const struct mx_node *v, size_t n, const struct mx_view *views,
		     const char *self_cluster, const char *self_node, double interval);

/* "self", "ok", "pending", "unreachable", "invalid", "none". */
const char *mx_row_state_name(enum mx_row_state s);

/* ---- the agent's side (matrix_fetch.c) ---- */

struct matrix;

/* Returns NULL with errno set.  a must outlive it. */
struct matrix *matrix_new(struct agent *a);
/* Cancels fetches, frees the rows; NULL-safe. */
void matrix_free(struct matrix *m);

/* Every node the agent knows, sorted: itself, the Nodes of every cluster
 * the API servers list (kubernetes discovery; their agents at the node IPs)
 * or its peers with a valid answer, the static --remote nodes.  The one
 * place nodes come from. */
size_t matrix_nodes(const struct agent *a, struct mx_node *out, size_t max);

/* Bodies of /v1/matrix, /v1/row, /ui and / (the report with the link to
 * /ui on top), malloc'd; NULL: out of memory.  /v1/matrix keeps the row
 * fetches going for a while. */
char *matrix_json(struct matrix *m);
char *matrix_row_body(struct agent *a);
char *matrix_ui(void);
char *matrix_report_text(const struct agent *a);

#endif
