#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "agent/core/cfg.h"
#include "agent/core/jscan.h"
#include "agent/core/pauth.h"
#include "agent/daemon/peer.h"
#include "agent/io/curlev.h"
#include "agent/io/ev.h"
#include "agent/io/log.h"

/* ---- validation (pure) ----------------------------------------------------------- */

void
peer_sanitize(char *s)
{
	for (; s && *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = '?';
}

bool
peer_parse_port(const char *s, uint16_t *port)
{
	size_t n = s ? strlen(s) : 0;
	unsigned long v = 0;

	/* strtol would take "+1", " 9750" and "0x10": digits only. */
	if (n == 0 || n > 5)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

static json_t *
load(const char *body, size_t len, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root;

	/* Bytes are bounded by the transfer; jansson's cost by depth too. */
	if (!jscan_bounded(body, len, PEER_MAX_DEPTH, (size_t)-1, "JSON", err, errlen))
		return NULL;
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		/* jansson quotes the offending input, raw bytes and all. */
		snprintf(err, errlen, "not JSON: %s", je.text);
		peer_sanitize(err);
	}
	else if (!json_is_object(root)) {
		snprintf(err, errlen, "not a JSON object");
		json_decref(root);
		root = NULL;
	}
	return root;
}

/* "ip:port" strictly. */
static bool
parse_addr(const char *s, uint32_t *ip, uint16_t *port)
{
	char host[20];
	const char *colon = s ? strchr(s, ':') : NULL;

	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return false;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	return cidr_parse_ip(host, ip) && peer_parse_port(colon + 1, port);
}

static bool
in_list(const struct cidr_list *l, uint32_t ip)
{
	for (size_t i = 0; i < l->n; i++)
		if (cidr_contains_ip(&l->v[i], ip))
			return true;
	return false;
}

static bool
parse_pod_cidrs(json_t *a, struct peer_info *out, char *err, size_t errlen)
{
	json_t *v;
	size_t i;
	char why[160];

	if (!json_is_array(a) || json_array_size(a) > PEER_MAX_POD_CIDRS) {
		snprintf(err, errlen, "pod_cidrs: want a list of at most %d CIDRs", PEER_MAX_POD_CIDRS);
		return false;
	}
	json_array_foreach(a, i, v) {
		if (!json_is_string(v) || strchr(json_string_value(v), ',') ||
		    !cidr_parse_list(json_string_value(v), ',', &out->pod_cidrs, why, sizeof(why))) {
			snprintf(err, errlen, "pod_cidrs[%zu]: %s", i, json_is_string(v) ? why : "not a string");
			return false;
		}
	}
	return true;
}

/* A pod IP outside the node's own pod CIDRs would aim our probes elsewhere. */
static bool
parse_pod_ips(json_t *a, struct peer_info *out, char *err, size_t errlen)
{
	json_t *v;
	size_t i;

	if (!a || json_is_null(a))
		return true;
	if (!json_is_array(a) || json_array_size(a) > PEER_MAX_POD_IPS) {
		snprintf(err, errlen, "pod_ips: want a list of at most %d addresses", PEER_MAX_POD_IPS);
		return false;
	}
	json_array_foreach(a, i, v) {
		uint32_t *ip = &out->pod_ips[out->npod_ips++];

		if (!cidr_parse_ip(json_string_value(v), ip)) {
			snprintf(err, errlen, "pod_ips[%zu] is not an IPv4 address", i);
			return false;
		}
		if (!in_list(&out->pod_cidrs, *ip)) {
			snprintf(err, errlen, "pod_ips[%zu] is outside the node's pod CIDRs", i);
			return false;
		}
	}
	return true;
}

/* Probe addresses: the node's own IP or inside its pod CIDRs, nothing else. */
static bool
parse_probe_addrs(json_t *a, struct peer_info *out, char *err, size_t errlen)
{
	json_t *v;
	size_t i;

	if (!a || json_is_null(a))
		return true;
	if (!json_is_array(a) || json_array_size(a) > PEER_MAX_PROBE_ADDRS) {
		snprintf(err, errlen, "probe_addrs: want at most %d IP:PORT", PEER_MAX_PROBE_ADDRS);
		return false;
	}
	json_array_foreach(a, i, v) {
		size_t k = out->nprobe_addrs++;
		uint32_t ip;

		if (!parse_addr(json_string_value(v), &out->probe_addrs[k].ip,
				&out->probe_addrs[k].port)) {
			snprintf(err, errlen, "probe_addrs[%zu] is not IP:PORT", i);
			return false;
		}
		ip = out->probe_addrs[k].ip;
		if (ip != out->node_ip && !in_list(&out->pod_cidrs, ip)) {
			snprintf(err, errlen, "probe_addrs[%zu] is neither the node IP nor in its pod CIDRs", i);
			return false;
		}
	}
	return true;
}

static bool
node_lists(json_t *root, struct peer_info *out, char *err, size_t errlen)
{
	return parse_pod_cidrs(json_object_get(root, "pod_cidrs"), out, err, errlen) &&
	       parse_pod_ips(json_object_get(root, "pod_ips"), out, err, errlen) &&
	       parse_probe_addrs(json_object_get(root, "probe_addrs"), out, err, errlen);
}

static bool
printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

bool
peer_parse_node(const char *body, size_t len, struct peer_info *out, char *err, size_t errlen)
{
	json_t *root = load(body, len, err, errlen), *svc;
	const char *cluster, *node, *ver;
	char why[160];
	bool ok = false;

	memset(out, 0, sizeof(*out));
	if (!root)
		return false;
	cluster = json_string_value(json_object_get(root, "cluster"));
	node = json_string_value(json_object_get(root, "node"));
	ver = json_string_value(json_object_get(root, "version"));
	svc = json_object_get(root, "service_cidr");
	if (!cfg_valid_name(cluster, 63))
		snprintf(err, errlen, "cluster: want a cluster name");
	else if (!cfg_valid_name(node, 253))
		snprintf(err, errlen, "node: want a node name");
	else if (!cidr_parse_ip(json_string_value(json_object_get(root, "node_ip")), &out->node_ip))
		snprintf(err, errlen, "node_ip: want an IPv4 address");
	else if (svc && !json_is_null(svc) &&
		 (!json_is_string(svc) ||
		  !cidr_parse(json_string_value(svc), &out->service_cidr, why, sizeof(why))))
		snprintf(err, errlen, "service_cidr: %s", json_is_string(svc) ? why : "not a string");
	else if (ver && (strlen(ver) >= sizeof(out->version) || !printable(ver)))
		snprintf(err, errlen, "version: want at most %zu printable characters",
			 sizeof(out->version) - 1);
	else if (node_lists(root, out, err, errlen)) {
		snprintf(out->cluster, sizeof(out->cluster), "%s", cluster);
		snprintf(out->node, sizeof(out->node), "%s", node);
		snprintf(out->version, sizeof(out->version), "%s", ver ? ver : "");
		out->has_service_cidr = svc && json_is_string(svc);
		ok = true;
	}
	json_decref(root);
	if (!ok)
		peer_sanitize(err);
	return ok;
}

int
peer_parse_peers(const char *body, size_t len, uint32_t *ips, uint16_t *ports, int max,
		 char *err, size_t errlen)
{
	json_t *root = load(body, len, err, errlen), *a, *v;
	size_t i;
	int n = 0;

	if (!root)
		return -1;
	a = json_object_get(root, "peers");
	if (!json_is_array(a)) {
		snprintf(err, errlen, "peers: want a list");
		json_decref(root);
		return -1;
	}
	json_array_foreach(a, i, v) {
		if (n == max)
			break;
		if (parse_addr(json_string_value(json_object_get(v, "address")), &ips[n], &ports[n]))
			n++;
	}
	json_decref(root);
	return n;
}

const char *
peers_state_name(enum peer_state s)
{
	static const char *names[] = { "pending", "up", "unreachable", "invalid" };

	return (unsigned)s < 4 ? names[s] : "unknown";
}

/* ---- transfers: libcurl multi in our loop ---------------------------------------- */

enum xfer_kind { XFER_NODE, XFER_PEERS };

struct xfer {
	struct peers *ps;
	char address[24];	/* the peer, looked up again when done */
	enum xfer_kind kind;
	char nonce[PAUTH_NONCE_LEN + 1];	/* with a token: the answer is bound to it */
	struct curlev_body body;
	struct curl_slist *headers;
	CURL *easy;
	struct xfer *next, **pprev;	/* in flight, for peers_free() */
};

struct peers {
	struct ev_loop *loop;
	struct peers_opts o;
	char token[256];	/* the HMAC key; "" when none */
	struct curlev *curl;
	CURLM *multi;		/* curlev's */
	struct xfer *inflight;
	size_t ninflight;	/* at most PEER_MAX_INFLIGHT */
	struct peer *v[PEER_MAX];
	size_t n;
	size_t next;		/* where the queue resumes: every peer gets its turn */
	peers_changed_cb changed;
	void *arg;
	/* quiet (peers_opts): */
	size_t poll_next;	/* where the next round's budget starts */
	bool dirty;		/* something changed since changed() was last called */
	size_t said[4];		/* peers by state when last logged */
	size_t dropped;		/* since the last line */
	char drop_why[120];	/* the last one's reason */
};

static const char *const xfer_path[] = { "/v1/node", "/v1/peers" };

static struct peer *
find(struct peers *ps, const char *address)
{
	for (size_t i = 0; i < ps->n; i++)
		if (!strcmp(ps->v[i]->address, address))
			return ps->v[i];
	return NULL;
}

/* Unlinks x, detaches and frees its easy handle, frees x: the one close
 * path of a transfer. */
static void
xfer_free(struct xfer *x)
{
	if (!x)
		return;
	if (x->pprev) {
		*x->pprev = x->next;
		if (x->next)
			x->next->pprev = x->pprev;
		x->ps->ninflight--;
	}
	if (x->easy) {
		curl_multi_remove_handle(x->ps->multi, x->easy);
		curl_easy_cleanup(x->easy);
	}
	curl_slist_free_all(x->headers);
	free(x->body.buf);
	free(x);
}

static void
changed(struct peers *ps)
{
	if (ps->o.quiet)
		ps->dirty = true;	/* said when the round ends */
	else if (ps->changed)
		ps->changed(ps->arg);
}

/* Quiet: the table's states in one line when they changed (or peers were
 * dropped), then changed() once for the whole round. */
static void
round_end(struct peers *ps)
{
	size_t by[4] = { 0 };
	const struct peer *bad = NULL;

	for (size_t i = 0; i < ps->n; i++) {
		const struct peer *p = ps->v[i];

		if (p->want_node || p->want_peers)
			return;		/* the round is not over */
		by[p->state < 4 ? p->state : 0]++;
		if (!bad && (p->state == PEER_UNREACHABLE || p->state == PEER_INVALID))
			bad = p;
	}
	if (memcmp(by, ps->said, sizeof(by)) || ps->dropped) {
		log_msg(bad ? LOG_WARN : LOG_INFO, 0, "agents of remote nodes: %zu up, %zu unreachable, "
			"%zu invalid, %zu not asked yet, %zu dropped%s%s%s%s%s", by[PEER_UP],
			by[PEER_UNREACHABLE], by[PEER_INVALID], by[PEER_PENDING], ps->dropped,
			ps->dropped ? " (last: " : "", ps->dropped ? ps->drop_why : "",
			ps->dropped ? ")" : "", bad ? "; e.g. " : "", bad ? bad->address : "");
		memcpy(ps->said, by, sizeof(by));
		ps->dropped = 0;
	}
	if (ps->dirty && ps->changed) {
		ps->dirty = false;
		ps->changed(ps->arg);
	}
}

/* Quiet: a round is over when nothing is in flight or queued. */
static void
settle(struct peers *ps)
{
	if (ps->o.quiet && ps->ninflight == 0)
		round_end(ps);
}

/* Logged once per change of state (quiet: counted, see round_end); err
 * is sanitized first. */
static void
set_state(struct peers *ps, struct peer *p, enum peer_state st, const char *err)
{
	bool moved = p->state != st;
	char e[sizeof(p->error)];

	snprintf(e, sizeof(e), "%s", err ? err : "");
	peer_sanitize(e);
	if (!moved && !strcmp(p->error, e))
		return;
	p->state = st;
	memcpy(p->error, e, sizeof(e));
	if (ps->o.quiet)
		;
	else if (moved && st == PEER_UP)
		log_info("peer %s is up: %s/%s", p->address, p->info.cluster, p->info.node);
	else if (moved && st != PEER_PENDING)
		log_warnx("peer %s is %s: %s", p->address, peers_state_name(st), p->error);
	changed(ps);
}

/* Removes entry i: the one way a peer leaves the table. */
static void
drop(struct peers *ps, size_t i, const char *why)
{
	if (!ps->o.quiet)
		log_info("peer %s dropped: %s", ps->v[i]->address, why);
	ps->dropped++;
	snprintf(ps->drop_why, sizeof(ps->drop_why), "%s: %s", ps->v[i]->address, why);
	free(ps->v[i]);
	memmove(&ps->v[i], &ps->v[i + 1], (ps->n - i - 1) * sizeof(ps->v[0]));
	ps->n--;
	if (ps->next >= ps->n)
		ps->next = 0;
	changed(ps);
}

static bool
got_node(struct peers *ps, struct peer *p, struct xfer *x)
{
	struct peer_info *info = malloc(sizeof(*info));
	char why[200];
	bool same, moved;

	if (!info) {
		set_state(ps, p, PEER_UNREACHABLE, "out of memory");
		return false;
	}
	if (!peer_parse_node(x->body.buf ? x->body.buf : "", x->body.len, info, why, sizeof(why))) {
		/* Invalid changes nothing: the last valid answer stays in force. */
		set_state(ps, p, PEER_INVALID, why);
		free(info);
		return false;
	}
	moved = !p->has_info || strcmp(p->info.cluster, info->cluster) ||
		strcmp(p->info.node, info->node);
	same = !moved && !memcmp(&p->info, info, sizeof(*info));
	p->info = *info;
	p->has_info = true;
	p->last_ok = ev_now();
	if (moved)
		p->since = p->last_ok;	/* a new identity starts its claim anew */
	free(info);
	/* It says its node lives elsewhere: ask there (that address must then
	 * answer for itself; this one routes nothing, see remotes.c). */
	if (p->info.node_ip != p->ip)
		peers_add(ps, p->info.node_ip, p->port, false);
	if (p->state != PEER_UP) {
		p->want_peers = true;	/* newly up: whom it knows, at once */
		set_state(ps, p, PEER_UP, NULL);
	} else if (!same)
		changed(ps);
	return true;
}

static void
got_peers(struct peers *ps, struct xfer *x)
{
	static uint32_t ips[PEER_MAX];
	static uint16_t ports[PEER_MAX];
	char why[200];
	int n = peer_parse_peers(x->body.buf ? x->body.buf : "", x->body.len, ips, ports, PEER_MAX, why,
				 sizeof(why));

	/* Learned addresses are only candidates: each is verified by its own
	 * /v1/node before it counts. */
	for (int i = 0; i < n; i++)
		peers_add(ps, ips[i], ports[i], false);
}

/* With a token, an answer counts only with a mac over our nonce and its body. */
static bool
answer_signed(struct peers *ps, struct xfer *x)
{
	struct curl_header *h = NULL;

	if (!ps->token[0])
		return true;
	if (curl_easy_header(x->easy, PAUTH_ANSWER_HDR, 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
		h = NULL;
	return pauth_check_answer(ps->token, xfer_path[x->kind], x->nonce, x->body.buf, x->body.len,
				  h ? h->value : NULL);
}

static void
done(struct peers *ps, struct peer *p, struct xfer *x, CURLcode res, long status)
{
	char why[200];
	bool ok = false;

	if (x->body.too_big || res == CURLE_FILESIZE_EXCEEDED)
		set_state(ps, p, PEER_INVALID, "answer larger than 128 KiB");
	else if (res != CURLE_OK)
		set_state(ps, p, PEER_UNREACHABLE, curl_easy_strerror(res));
	else if (status != 200) {
		snprintf(why, sizeof(why), "HTTP %ld", status);
		set_state(ps, p, status == 401 || status == 403 ? PEER_INVALID : PEER_UNREACHABLE, why);
	} else if (!answer_signed(ps, x))
		set_state(ps, p, PEER_INVALID,
			  "answer not signed with the peer token (another token, or no --peer-token-file there)");
	else if (x->kind == XFER_NODE)
		ok = got_node(ps, p, x);
	else
		got_peers(ps, x);
	if (x->kind == XFER_NODE && !ok)
		p->fails++;
}

static void pump(struct peers *ps);

static void
finish(CURL *easy, CURLcode res, void *arg)
{
	struct peers *ps = arg;
	struct xfer *x = NULL;
	struct peer *p;
	long status = 0;

	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x);
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	p = find(ps, x->address);	/* NULL: dropped meanwhile */
	if (p) {
		p->busy--;
		done(ps, p, x, res, status);
	}
	xfer_free(x);
	pump(ps);
	settle(ps);
}

static bool
xfer_headers(struct peers *ps, struct xfer *x)
{
	unsigned char raw[PAUTH_NONCE_LEN / 2];
	char hdr[PAUTH_HDR_MAX + 32];

	/* Tells the peer where our agent listens, so it can verify and learn us. */
	snprintf(hdr, sizeof(hdr), "X-Podreach-Peer: %u", ps->o.self_port);
	if (!(x->headers = curl_slist_append(NULL, hdr)))
		return false;
	if (!ps->token[0])
		return true;
	/* The token itself never leaves: a mac over a fresh nonce proves it. */
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return false;
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(x->nonce + 2 * i, 3, "%02x", raw[i]);
	memcpy(hdr, "Authorization: ", 15);
	pauth_request(ps->token, xfer_path[x->kind], x->nonce, ps->o.self_port, hdr + 15);
	return curl_slist_append(x->headers, hdr) != NULL;
}

static int
start(struct peers *ps, struct peer *p, enum xfer_kind kind)
{
	struct xfer *x = calloc(1, sizeof(*x));
	char url[80];
	long ms = (long)(ps->o.timeout * 1000);
	CURL *e = curl_easy_init();

	if (!x || !e)
		goto fail;
	x->ps = ps;
	x->kind = kind;
	snprintf(x->address, sizeof(x->address), "%s", p->address);
	snprintf(url, sizeof(url), "http://%s%s", p->address, xfer_path[kind]);
	if (!xfer_headers(ps, x))
		goto fail;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
	x->body.max = PEER_MAX_BODY;	/* a peer that sends more is invalid */
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, curlev_body_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &x->body);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, ms > 0 ? ms : 1);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, ms > 0 ? ms : 1);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE, (long)PEER_MAX_BODY);
	if (curl_multi_add_handle(ps->multi, e) != CURLM_OK)
		goto fail;
	x->easy = e;
	x->next = ps->inflight;
	if (x->next)
		x->next->pprev = &x->next;
	x->pprev = &ps->inflight;
	ps->inflight = x;
	ps->ninflight++;
	p->busy++;
	return 0;
fail:
	if (e)
		curl_easy_cleanup(e);
	xfer_free(x);
	return -ENOMEM;
}

/* Starts queued transfers while slots are free, each peer in turn: at most
 * PEER_MAX_INFLIGHT bodies are held at once, whatever the table holds. */
static void
pump(struct peers *ps)
{
	size_t n = ps->n, last = ps->next;

	for (size_t k = 0; k < n && ps->ninflight < PEER_MAX_INFLIGHT; k++) {
		size_t i = (ps->next + k) % n;
		struct peer *p = ps->v[i];

		if (p->want_node) {
			p->want_node = false;
			start(ps, p, XFER_NODE);
			last = i;
		}
		if (p->want_peers && ps->ninflight < PEER_MAX_INFLIGHT) {
			p->want_peers = false;
			start(ps, p, XFER_PEERS);
			last = i;
		}
	}
	if (n)
		ps->next = (last + 1) % n;
}

struct peers *
peers_new(struct ev_loop *loop, const struct peers_opts *o, peers_changed_cb cb, void *arg)
{
	struct peers *ps = calloc(1, sizeof(*ps));

	if (!ps)
		return NULL;
	ps->loop = loop;
	ps->o = *o;
	ps->changed = cb;
	ps->arg = arg;
	if (o->token)
		snprintf(ps->token, sizeof(ps->token), "%s", o->token);
	ps->o.token = NULL;
	ps->curl = curlev_new(loop, finish, ps);
	if (!ps->curl) {
		peers_free(ps);
		errno = ENOMEM;
		return NULL;
	}
	ps->multi = curlev_multi(ps->curl);
	return ps;
}

void
peers_free(struct peers *ps)
{
	if (!ps)
		return;
	while (ps->inflight)
		xfer_free(ps->inflight);
	curlev_free(ps->curl);
	for (size_t i = 0; i < ps->n; i++)
		free(ps->v[i]);
	free(ps);
}

static size_t
count_ip(const struct peers *ps, uint32_t ip)
{
	size_t k = 0;

	for (size_t i = 0; i < ps->n; i++)
		k += ps->v[i]->ip == ip;
	return k;
}

/* Makes room in a full table: the learned candidate that failed most and
 * never answered validly goes.  Returns false when there is none. */
static bool
evict(struct peers *ps)
{
	size_t worst = ps->n;

	for (size_t i = 0; i < ps->n; i++) {
		const struct peer *p = ps->v[i];

		if (!p->seed && !p->has_info && p->fails > 0 &&
		    (worst == ps->n || p->fails > ps->v[worst]->fails))
			worst = i;
	}
	if (worst == ps->n)
		return false;
	drop(ps, worst, "table full, never answered validly");
	return true;
}

int
peers_add(struct peers *ps, uint32_t ip, uint16_t port, bool seed)
{
	char address[24], b[CIDR_STRLEN];
	struct peer *p;

	if (ip == ps->o.self_ip && port == ps->o.self_port)
		return -EEXIST;
	snprintf(address, sizeof(address), "%s:%u", cidr_fmt_ip(ip, b), port);
	if ((p = find(ps, address))) {
		p->seed |= seed;
		return -EEXIST;
	}
	/* What others tell us is bounded: only addresses we may talk to, and a
	 * handful of ports per address, so one address cannot fill the table. */
	if (!seed && ps->o.filter && !ps->o.filter(ip, ps->arg))
		return -EPERM;
	if (!seed && count_ip(ps, ip) >= PEER_PER_ADDR)
		return -ENOSPC;
	if (ps->n == PEER_MAX && !evict(ps))
		return -ENOSPC;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->ip = ip;
	p->port = port;
	p->seed = seed;
	p->want_node = true;
	snprintf(p->address, sizeof(p->address), "%s", address);
	ps->v[ps->n++] = p;
	pump(ps);
	changed(ps);
	return 0;
}

int
peers_remove(struct peers *ps, uint32_t ip, uint16_t port, const char *why)
{
	for (size_t i = 0; i < ps->n; i++)
		if (ps->v[i]->ip == ip && ps->v[i]->port == port) {
			drop(ps, i, why);
			settle(ps);
			return 0;
		}
	return -ENOENT;
}

/* Candidates that never answered validly go after a few rounds; a peer
 * silent (or invalid) for drop_after loses its claim: a learned one leaves
 * the table, a seed stays as configured and starts over. */
static void
expire(struct peers *ps)
{
	double now = ev_now();

	for (size_t i = ps->n; i-- > 0;) {
		struct peer *p = ps->v[i];
		bool silent = p->has_info && p->state != PEER_UP && now - p->last_ok > ps->o.drop_after;

		if (!p->seed && !p->has_info && p->fails >= PEER_CANDIDATE_TRIES)
			drop(ps, i, "never answered validly");
		else if (!p->seed && silent)
			drop(ps, i, "no valid answer for too long");
		else if (silent) {
			if (!ps->o.quiet)
				log_info("peer %s: no valid answer for %gs, its claim is withdrawn",
					 p->address, ps->o.drop_after);
			p->has_info = false;
			changed(ps);
		}
	}
}

void
peers_poll(struct peers *ps)
{
	size_t budget = ps->o.quiet ? PEER_ROUND_BUDGET : ps->n, k = 0;

	expire(ps);
	for (; k < ps->n && budget > 0; k++) {
		struct peer *p = ps->v[(ps->poll_next + k) % ps->n];

		if (p->busy)
			continue;	/* the last round is still talking to it */
		p->want_node = true;
		p->want_peers = p->state == PEER_UP;
		budget--;
	}
	if (ps->n)
		ps->poll_next = (ps->poll_next + k) % ps->n;
	pump(ps);
	settle(ps);
}

size_t
peers_count(const struct peers *ps)
{
	return ps ? ps->n : 0;
}

const struct peer *
peers_get(const struct peers *ps, size_t i)
{
	return i < ps->n ? ps->v[i] : NULL;
}
