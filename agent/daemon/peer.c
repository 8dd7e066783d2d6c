#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/io/curlev.h"
#include "agent/io/ev.h"
#include "agent/daemon/peer.h"

/* ---- validation (pure) ----------------------------------------------------------- */

int
peer_json_depth(const char *body, size_t len)
{
	int depth = 0, max = 0;
	bool str = false, esc = false;

	for (size_t i = 0; i < len; i++) {
		char c = body[i];

		if (str) {
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				str = false;
			continue;
		}
		if (c == '"')
			str = true;
		else if (c == '[' || c == '{') {
			if (++depth > max)
				max = depth;
		} else if (c == ']' || c == '}')
			depth--;
	}
	return max;
}

static json_t *
load(const char *body, size_t len, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root;

	if (peer_json_depth(body, len) > PEER_MAX_DEPTH) {
		snprintf(err, errlen, "JSON nested deeper than %d", PEER_MAX_DEPTH);
		return NULL;
	}
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		snprintf(err, errlen, "not JSON: %s", je.text);
	else if (!json_is_object(root)) {
		snprintf(err, errlen, "not a JSON object");
		json_decref(root);
		root = NULL;
	}
	return root;
}

static bool
valid_name(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '.')
			return false;
	return true;
}

/* "ip:port" strictly. */
static bool
parse_addr(const char *s, uint32_t *ip, uint16_t *port)
{
	char host[20];
	const char *colon = s ? strchr(s, ':') : NULL;
	char *end;
	long p;

	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return false;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (!cidr_parse_ip(host, ip) || errno || *end || !isdigit((unsigned char)colon[1]) ||
	    p < 1 || p > 65535)
		return false;
	*port = (uint16_t)p;
	return true;
}

static bool
node_lists(json_t *root, struct peer_info *out, char *err, size_t errlen)
{
	json_t *a, *v;
	size_t i;
	char why[160];

	a = json_object_get(root, "pod_cidrs");
	if (!json_is_array(a) || json_array_size(a) > CIDR_LIST_MAX) {
		snprintf(err, errlen, "pod_cidrs: want a list of at most %d CIDRs", CIDR_LIST_MAX);
		return false;
	}
	json_array_foreach(a, i, v) {
		if (!json_is_string(v) || strchr(json_string_value(v), ',') ||
		    !cidr_parse_list(json_string_value(v), ',', &out->pod_cidrs, why, sizeof(why))) {
			snprintf(err, errlen, "pod_cidrs[%zu]: %s", i, json_is_string(v) ? why : "not a string");
			return false;
		}
	}
	a = json_object_get(root, "pod_ips");
	if (a && !json_is_null(a)) {
		if (!json_is_array(a) || json_array_size(a) > PEER_MAX_POD_IPS) {
			snprintf(err, errlen, "pod_ips: want a list of at most %d addresses", PEER_MAX_POD_IPS);
			return false;
		}
		json_array_foreach(a, i, v) {
			if (!cidr_parse_ip(json_string_value(v), &out->pod_ips[out->npod_ips++])) {
				snprintf(err, errlen, "pod_ips[%zu] is not an IPv4 address", i);
				return false;
			}
		}
	}
	a = json_object_get(root, "probe_addrs");
	if (a && !json_is_null(a)) {
		if (!json_is_array(a) || json_array_size(a) > PEER_MAX_PROBE_ADDRS) {
			snprintf(err, errlen, "probe_addrs: want at most %d IP:PORT", PEER_MAX_PROBE_ADDRS);
			return false;
		}
		json_array_foreach(a, i, v) {
			size_t k = out->nprobe_addrs++;

			if (!parse_addr(json_string_value(v), &out->probe_addrs[k].ip,
					&out->probe_addrs[k].port)) {
				snprintf(err, errlen, "probe_addrs[%zu] is not IP:PORT", i);
				return false;
			}
		}
	}
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
	if (!valid_name(cluster, 63))
		snprintf(err, errlen, "cluster: want a cluster name");
	else if (!valid_name(node, 253))
		snprintf(err, errlen, "node: want a node name");
	else if (!cidr_parse_ip(json_string_value(json_object_get(root, "node_ip")), &out->node_ip))
		snprintf(err, errlen, "node_ip: want an IPv4 address");
	else if (svc && !json_is_null(svc) &&
		 (!json_is_string(svc) ||
		  !cidr_parse(json_string_value(svc), &out->service_cidr, why, sizeof(why))))
		snprintf(err, errlen, "service_cidr: %s", json_is_string(svc) ? why : "not a string");
	else if (ver && strlen(ver) >= sizeof(out->version))
		snprintf(err, errlen, "version: too long");
	else if (node_lists(root, out, err, errlen)) {
		snprintf(out->cluster, sizeof(out->cluster), "%s", cluster);
		snprintf(out->node, sizeof(out->node), "%s", node);
		snprintf(out->version, sizeof(out->version), "%s", ver ? ver : "");
		out->has_service_cidr = svc && json_is_string(svc);
		ok = true;
	}
	json_decref(root);
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
	struct curlev_body body;
	struct curl_slist *headers;
	CURL *easy;
	struct xfer *next, **pprev;	/* in flight, for peers_free() */
};

struct peers {
	struct ev_loop *loop;
	struct peers_opts o;
	char token_hdr[320];
	struct curlev *curl;
	CURLM *multi;		/* curlev's */
	struct xfer *inflight;
	struct peer *v[PEER_MAX];
	size_t n;
	peers_changed_cb changed;
	void *arg;
};

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
set_state(struct peers *ps, struct peer *p, enum peer_state st, const char *err)
{
	bool changed = p->state != st || strcmp(p->error, err ? err : "");

	p->state = st;
	snprintf(p->error, sizeof(p->error), "%s", err ? err : "");
	if (changed && ps->changed)
		ps->changed(ps->arg);
}

static int start(struct peers *ps, struct peer *p, enum xfer_kind kind);

static void
got_node(struct peers *ps, struct peer *p, struct xfer *x)
{
	struct peer_info *info = malloc(sizeof(*info));
	char why[200];
	bool same;

	if (!info) {
		set_state(ps, p, PEER_UNREACHABLE, "out of memory");
		return;
	}
	if (!peer_parse_node(x->body.buf ? x->body.buf : "", x->body.len, info, why, sizeof(why))) {
		/* Invalid changes nothing: the last valid answer stays in force. */
		set_state(ps, p, PEER_INVALID, why);
		free(info);
		return;
	}
	same = p->has_info && !memcmp(&p->info, info, sizeof(*info));
	p->info = *info;
	p->has_info = true;
	p->last_ok = ev_now();
	free(info);
	if (p->state != PEER_UP || !same) {
		/* Newly up: ask at once whom it knows, not at the next round. */
		if (p->state != PEER_UP)
			start(ps, p, XFER_PEERS);
		p->state = PEER_UP;
		p->error[0] = '\0';
		if (ps->changed)
			ps->changed(ps->arg);
	}
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

static void
finish(CURL *easy, CURLcode res, void *arg)
{
	struct peers *ps = arg;
	struct xfer *x = NULL;
	struct peer *p;
	long status = 0;
	char why[200];

	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x);
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	p = find(ps, x->address);
	if (p)
		p->busy--;
	if (!p)
		;
	else if (x->body.too_big || res == CURLE_FILESIZE_EXCEEDED)
		set_state(ps, p, PEER_INVALID, "answer larger than 512 KiB");
	else if (res != CURLE_OK)
		set_state(ps, p, PEER_UNREACHABLE, curl_easy_strerror(res));
	else if (status != 200) {
		snprintf(why, sizeof(why), "HTTP %ld", status);
		set_state(ps, p, status == 401 || status == 403 ? PEER_INVALID : PEER_UNREACHABLE, why);
	} else if (x->kind == XFER_NODE)
		got_node(ps, p, x);
	else
		got_peers(ps, x);
	xfer_free(x);
}


static int
start(struct peers *ps, struct peer *p, enum xfer_kind kind)
{
	struct xfer *x = calloc(1, sizeof(*x));
	char url[80], hdr[48];
	long ms = (long)(ps->o.timeout * 1000);
	CURL *e = curl_easy_init();

	if (!x || !e)
		goto fail;
	x->ps = ps;
	x->kind = kind;
	snprintf(x->address, sizeof(x->address), "%s", p->address);
	snprintf(url, sizeof(url), "http://%s/v1/%s", p->address, kind == XFER_NODE ? "node" : "peers");
	/* Tells the peer where our agent listens, so it can verify and learn us. */
	snprintf(hdr, sizeof(hdr), "X-Podreach-Peer: %u", ps->o.self_port);
	x->headers = curl_slist_append(NULL, hdr);
	if (!x->headers || (ps->token_hdr[0] &&
			    !curl_slist_append(x->headers, ps->token_hdr)))
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
	p->busy++;
	return 0;
fail:
	if (e)
		curl_easy_cleanup(e);
	xfer_free(x);
	return -ENOMEM;
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
		snprintf(ps->token_hdr, sizeof(ps->token_hdr), "Authorization: Bearer %s", o->token);
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
	if (ps->n == PEER_MAX)
		return -ENOSPC;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->ip = ip;
	p->port = port;
	p->seed = seed;
	snprintf(p->address, sizeof(p->address), "%s", address);
	ps->v[ps->n++] = p;
	start(ps, p, XFER_NODE);
	if (ps->changed)
		ps->changed(ps->arg);
	return 0;
}

void
peers_poll(struct peers *ps)
{
	for (size_t i = 0; i < ps->n; i++) {
		struct peer *p = ps->v[i];

		if (p->busy)
			continue;	/* the last round is still talking to it */
		start(ps, p, XFER_NODE);
		if (p->state == PEER_UP)
			start(ps, p, XFER_PEERS);
	}
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
