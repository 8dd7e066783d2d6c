/*
 * Options: every flag has a PODREACH_* twin; a flag wins.  Values are
 * collected first, then parsed in one pass, so a bad value is reported
 * before anything is read from or written to the kernel.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/core/cfg.h"

#define DEFAULT_PORT 9750

typedef bool (*cfg_setter)(struct cfg *c, const char *v, char *why, size_t whylen);

struct opt {
	const char *name;
	const char *env;
	bool list;		/* repeated flags append */
	bool flag;		/* takes no value */
	cfg_setter set;
};

const char cfg_usage[] =
"usage: podreach agent|check [options]   podreach version\n"
"  --cluster NAME              this node's cluster (required)\n"
"  --node-name NAME            this node ($NODE_NAME, else the hostname)\n"
"  --node-ip IP                this node's address on the shared bridge\n"
"                              ($HOST_IP, else the default route's source)\n"
"  --pod-cidr CIDR[,CIDR]      this node's pod CIDRs (default: the CNI config)\n"
"  --cni-conf-dir DIR          where the CNI config is (/etc/cni/net.d)\n"
"  --cluster-cidr CIDR[,CIDR]  the whole local pod range (the pod CIDRs)\n"
"  --service-cidr CIDR         the local service range\n"
"  --route-services            also route remote service CIDRs\n"
"  --peers ADDR[:PORT][,...]   agents on other nodes to learn from\n"
"  --remote NODEIP=CIDR[+CIDR][,...]  static remote nodes\n"
"  --mode report|enforce       enforce installs and repairs routes (report)\n"
"  --listen ADDR:PORT          HTTP endpoint of the agent (0.0.0.0:9750)\n"
"  --probe-port PORT[,...]     TCP ports probed on remote pod IPs (9750)\n"
"  --probe TARGET[,...]        extra probes: IP:PORT or http://IP:PORT/path\n"
"  --interval S / --timeout S  probe interval / timeout (10 / 1)\n"
"  --allow-cidr CIDR[,...]     remote pod CIDRs must lie inside one of these\n"
"  --output text|json          report format of check (text)\n"
"  --discovery kubernetes|peers  where remote nodes come from (kubernetes in a pod\n"
"                              or with --kubeconfig, else peers)\n"
"  --kubeconfig FILE           the local cluster's API (the pod's service account)\n"
"  --remote-kubeconfig NAME=FILE[,...]  remote clusters' APIs\n"
"  --remote-secrets NAMESPACE  remote kubeconfigs from Secrets labelled\n"
"                              istio/multiCluster=true ($POD_NAMESPACE; \"\" off)\n"
"agent only:\n"
"  --peer-token-file FILE      a shared token peers prove with HMAC-SHA256 (never sent)\n"
"  --cleanup-on-exit           remove owned routes on SIGTERM (default: keep)\n"
"  --resync S                  full re-read backstop besides kernel events (300)\n"
"  --verbose                   log every reconcile\n"
"  --help                      print this and exit\n"
"Each option can also be set as PODREACH_<NAME>, e.g. PODREACH_POD_CIDR; a flag wins.\n";

/* Kubernetes object names: a DNS-1123 subdomain, lower case. */
bool
cfg_valid_name(const char *v, size_t max)
{
	size_t n = v ? strlen(v) : 0;

	if (n == 0 || n > max || !isalnum((unsigned char)v[0]) ||
	    !isalnum((unsigned char)v[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)v[i]) && !isdigit((unsigned char)v[i]) &&
		    v[i] != '-' && v[i] != '.')
			return false;
	return true;
}

static bool
set_cluster(struct cfg *c, const char *v, char *why, size_t whylen)
{
	if (!cfg_valid_name(v, 63)) {
		snprintf(why, whylen, "want 1-63 lower-case letters, digits, '-' or '.'");
		return false;
	}
	snprintf(c->cluster, sizeof(c->cluster), "%s", v);
	return true;
}

static bool
set_node_name(struct cfg *c, const char *v, char *why, size_t whylen)
{
	if (!cfg_valid_name(v, 253)) {
		snprintf(why, whylen, "want a node name: lower-case letters, digits, '-' or '.'");
		return false;
	}
	snprintf(c->node_name, sizeof(c->node_name), "%s", v);
	return true;
}

static bool
set_node_ip(struct cfg *c, const char *v, char *why, size_t whylen)
{
	if (!cidr_parse_ip(v, &c->node_ip) || c->node_ip == 0) {
		snprintf(why, whylen, "want an IPv4 address such as 172.18.0.2");
		return false;
	}
	return true;
}

static bool
set_pod_cidr(struct cfg *c, const char *v, char *why, size_t whylen)
{
	return cidr_parse_list(v, ',', &c->pod_cidrs, why, whylen);
}

static bool
set_cluster_cidr(struct cfg *c, const char *v, char *why, size_t whylen)
{
	return cidr_parse_list(v, ',', &c->cluster_cidrs, why, whylen);
}

static bool
set_allow_cidr(struct cfg *c, const char *v, char *why, size_t whylen)
{
	return cidr_parse_list(v, ',', &c->allow_cidrs, why, whylen);
}

static bool
set_service_cidr(struct cfg *c, const char *v, char *why, size_t whylen)
{
	c->has_service_cidr = cidr_parse(v, &c->service_cidr, why, whylen);
	return c->has_service_cidr;
}

static bool
set_cni_dir(struct cfg *c, const char *v, char *why, size_t whylen)
{
	if (!*v || strlen(v) >= sizeof(c->cni_conf_dir)) {
		snprintf(why, whylen, "want a directory path");
		return false;
	}
	snprintf(c->cni_conf_dir, sizeof(c->cni_conf_dir), "%s", v);
	return true;
}

static bool
set_bool(bool *b, const char *v, char *why, size_t whylen)
{
	if (!strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "yes"))
		*b = true;
	else if (!strcmp(v, "0") || !strcmp(v, "false") || !strcmp(v, "no"))
		*b = false;
	else {
		snprintf(why, whylen, "want true or false");
		return false;
	}
	return true;
}

static bool
set_route_services(struct cfg *c, const char *v, char *why, size_t whylen)
{
	return set_bool(&c->route_services, v, why, whylen);
}

static bool
parse_port(const char *s, size_t len, uint16_t *port)
{
	unsigned long v = 0;

	if (len == 0 || len > 5 || s[0] == '0')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

/* "IP" or "IP:PORT"; want_port makes the port mandatory. */
static bool
parse_hostport(const char *s, size_t len, bool want_port, uint16_t def,
	       struct cfg_hostport *hp, uint32_t *ip)
{
	const char *colon = memchr(s, ':', len);
	size_t hl = colon ? (size_t)(colon - s) : len;
	char host[sizeof(hp->host)];

	if (hl == 0 || hl >= sizeof(host) || (want_port && !colon))
		return false;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (!cidr_parse_ip(host, ip))
		return false;
	hp->port = def;
	if (colon && !parse_port(colon + 1, len - hl - 1, &hp->port))
		return false;
	snprintf(hp->host, sizeof(hp->host), "%s", host);
	return true;
}

typedef bool (*item_fn)(struct cfg *c, const char *s, size_t len, char *why, size_t whylen);

/* Calls fn for each non-empty, sep-separated item of v. */
static bool
each_item(struct cfg *c, const char *v, item_fn fn, char *why, size_t whylen)
{
	const char *p = v;

	for (;;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == 0) {
			snprintf(why, whylen, "empty item");
			return false;
		}
		if (!fn(c, p, len, why, whylen))
			return false;
		if (!end)
			return true;
		p = end + 1;
	}
}

static bool
peer_item(struct cfg *c, const char *s, size_t len, char *why, size_t whylen)
{
	struct cfg_hostport hp;
	uint32_t ip;

	if (!parse_hostport(s, len, false, DEFAULT_PORT, &hp, &ip)) {
		snprintf(why, whylen, "\"%.*s\" is not ADDR[:PORT] (an IPv4 address, a port 1-65535)",
			 (int)len, s);
		return false;
	}
	for (size_t i = 0; i < c->npeers; i++) {
		if (!strcmp(c->peers[i].host, hp.host) && c->peers[i].port == hp.port) {
			snprintf(why, whylen, "%.*s is listed twice", (int)len, s);
			return false;
		}
	}
	if (c->npeers == CFG_MAX_PEERS) {
		snprintf(why, whylen, "more than %d peers", CFG_MAX_PEERS);
		return false;
	}
	c->peers[c->npeers++] = hp;
	return true;
}

static bool
set_peers(struct cfg *c, const char *v, char *why, size_t whylen)
{
	return each_item(c, v, peer_item, why, whylen);
}

/* NODEIP=CIDR[+CIDR] */
static bool
remote_item(struct cfg *c, const char *s, size_t len, char *why, size_t whylen)
{
	const char *eq = memchr(s, '=', len);
	char ip[32], cidrs[512], sub[256], b[CIDR_STRLEN];
	struct cfg_remote r = { 0 };

	if (!eq || eq == s || (size_t)(eq - s) >= sizeof(ip) ||
	    len - (size_t)(eq - s) - 1 >= sizeof(cidrs)) {
		snprintf(why, whylen, "\"%.*s\" is not NODEIP=CIDR[+CIDR]", (int)len, s);
		return false;
	}
	snprintf(ip, sizeof(ip), "%.*s", (int)(eq - s), s);
	snprintf(cidrs, sizeof(cidrs), "%.*s", (int)(len - (size_t)(eq - s) - 1), eq + 1);
	if (!cidr_parse_ip(ip, &r.node_ip) || r.node_ip == 0) {
		snprintf(why, whylen, "\"%s\" in \"%.*s\" is not an IPv4 node address", ip, (int)len, s);
		return false;
	}
	if (!cidr_parse_list(cidrs, '+', &r.cidrs, sub, sizeof(sub))) {
		snprintf(why, whylen, "node %s: %s", ip, sub);
		return false;
	}
	for (size_t i = 0; i < c->nremotes; i++) {
		if (c->remotes[i].node_ip == r.node_ip) {
			snprintf(why, whylen, "node %s is listed twice (join its CIDRs with '+')",
				 cidr_fmt_ip(r.node_ip, b));
			return false;
		}
	}
	if (c->nremotes == CFG_MAX_REMOTES) {
		snprintf(why, whylen, "more than %d remote nodes", CFG_MAX_REMOTES);
		return false;
	}
	c->remotes[c->nremotes++] = r;
	return true;
}

static bool
set_remote(struct cfg *c, const char *v, char *why, size_t whylen)
{
	return each_item(c, v, remote_item, why, whylen);
}

static bool
port_item(struct cfg *c, const char *s, size_t len, char *why, size_t whylen)
{
	uint16_t port;

	if (!parse_port(s, len, &port)) {
		snprintf(why, whylen, "\"%.*s\" is not a port 1-65535", (int)len, s);
		return false;
	}
	for (size_t i = 0; i < c->nprobe_ports; i++) {
		if (c->probe_ports[i] == port) {
			snprintf(why, whylen, "port %u is listed twice", port);
			return false;
		}
	}
	if (c->nprobe_ports == CFG_MAX_PORTS) {
		snprintf(why, whylen, "more than %d ports", CFG_MAX_PORTS);
		return false;
	}
	c->probe_ports[c->nprobe_ports++] = port;
	return true;
}

static bool
set_probe_port(struct cfg *c, const char *v, char *why, size_t whylen)
{
	return each_item(c, v, port_item, why, whylen);
}

/* IP:PORT (tcp) or http://IP[:PORT][/path] */
static bool
probe_item(struct cfg *c, const char *s, size_t len, char *why, size_t whylen)
{
	struct cfg_probe p = { 0 };
	struct cfg_hostport hp;
	const char *host = s, *slash;
	size_t hl = len;

	if (len > 7 && !strncmp(s, "http://", 7)) {
		p.http = true;
		host = s + 7;
		slash = memchr(host, '/', len - 7);
		hl = slash ? (size_t)(slash - host) : len - 7;
	}
	if (len >= sizeof(p.url) || !parse_hostport(host, hl, !p.http, 80, &hp, &p.ip)) {
		snprintf(why, whylen, "\"%.*s\" is not IP:PORT or http://IP:PORT/path", (int)len, s);
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		if (!isgraph((unsigned char)s[i])) {
			snprintf(why, whylen, "\"%.*s\" has a space or control character", (int)len, s);
			return false;
		}
	}
	p.port = hp.port;
	if (p.http)
		snprintf(p.url, sizeof(p.url), "%.*s%s", (int)len, s, hl == len - 7 ? "/" : "");
	if (c->nprobes == CFG_MAX_PROBES) {
		snprintf(why, whylen, "more than %d probes", CFG_MAX_PROBES);
		return false;
	}
	c->probes[c->nprobes++] = p;
	return true;
}

static bool
set_probe(struct cfg *c, const char *v, char *why, size_t whylen)
{
	return each_item(c, v, probe_item, why, whylen);
}

static bool
set_listen(struct cfg *c, const char *v, char *why, size_t whylen)
{
	uint32_t ip;

	if (!parse_hostport(v, strlen(v), true, 0, &c->listen, &ip)) {
		snprintf(why, whylen, "want ADDR:PORT such as 0.0.0.0:9750");
		return false;
	}
	return true;
}

/* Seconds: digits with an optional fraction, nothing else (no 1e3, no "s"). */
static bool
parse_seconds(const char *v, double lo, double hi, double *out, char *why, size_t whylen)
{
	int dots = 0, digits = 0;
	char *end;
	double d;

	for (const char *p = v; *p; p++) {
		if (*p == '.')
			dots++;
		else if (isdigit((unsigned char)*p))
			digits++;
		else
			dots = 99;
	}
	errno = 0;
	d = dots <= 1 && digits > 0 ? strtod(v, &end) : NAN;
	if (isnan(d) || errno || *end || d < lo || d > hi) {
		snprintf(why, whylen, "want seconds from %g to %g, e.g. 0.5", lo, hi);
		return false;
	}
	*out = d;
	return true;
}

static bool
set_interval(struct cfg *c, const char *v, char *why, size_t whylen)
{
	return parse_seconds(v, 0.1, 86400, &c->interval, why, whylen);
}

static bool
set_timeout(struct cfg *c, const char *v, char *why, size_t whylen)
{
	return parse_seconds(v, 0.01, 300, &c->timeout, why, whylen);
}

static bool
set_resync(struct cfg *c, const char *v, char *why, size_t whylen)
{
	return parse_seconds(v, 1, 86400, &c->resync, why, whylen);
}

static bool
set_token_file(struct cfg *c, const char *v, char *why, size_t whylen)
{
	if (!*v || strlen(v) >= sizeof(c->peer_token_file)) {
		snprintf(why, whylen, "want a file path");
		return false;
	}
	snprintf(c->peer_token_file, sizeof(c->peer_token_file), "%s", v);
	return true;
}

static bool
set_cleanup(struct cfg *c, const char *v, char *why, size_t whylen)
{
	return set_bool(&c->cleanup_on_exit, v, why, whylen);
}

static bool
set_verbose(struct cfg *c, const char *v, char *why, size_t whylen)
{
	return set_bool(&c->verbose, v, why, whylen);
}

static bool
set_mode(struct cfg *c, const char *v, char *why, size_t whylen)
{
	if (!strcmp(v, "report"))
		c->mode = CFG_MODE_REPORT;
	else if (!strcmp(v, "enforce"))
		c->mode = CFG_MODE_ENFORCE;
	else {
		snprintf(why, whylen, "want report or enforce");
		return false;
	}
	return true;
}

static bool
set_output(struct cfg *c, const char *v, char *why, size_t whylen)
{
	if (!strcmp(v, "text"))
		c->output = CFG_OUT_TEXT;
	else if (!strcmp(v, "json"))
		c->output = CFG_OUT_JSON;
	else {
		snprintf(why, whylen, "want text or json");
		return false;
	}
	return true;
}

static bool
set_discovery(struct cfg *c, const char *v, char *why, size_t whylen)
{
	if (!strcmp(v, "kubernetes"))
		c->discovery = CFG_DISC_KUBERNETES;
	else if (!strcmp(v, "peers"))
		c->discovery = CFG_DISC_PEERS;
	else {
		snprintf(why, whylen, "want kubernetes or peers");
		return false;
	}
	c->discovery_set = true;
	return true;
}

static bool
set_kubeconfig(struct cfg *c, const char *v, char *why, size_t whylen)
{
	if (!*v || strlen(v) >= sizeof(c->kubeconfig)) {
		snprintf(why, whylen, "want a file path");
		return false;
	}
	snprintf(c->kubeconfig, sizeof(c->kubeconfig), "%s", v);
	return true;
}

/* NAME=FILE */
static bool
kubeconfig_item(struct cfg *c, const char *s, size_t len, char *why, size_t whylen)
{
	const char *eq = memchr(s, '=', len);
	struct cfg_kubeconfig k = { 0 };

	if (!eq || eq == s || (size_t)(eq - s) >= sizeof(k.name) || eq + 1 == s + len ||
	    len - (size_t)(eq - s) - 1 >= sizeof(k.path)) {
		snprintf(why, whylen, "\"%.*s\" is not NAME=FILE", (int)len, s);
		return false;
	}
	snprintf(k.name, sizeof(k.name), "%.*s", (int)(eq - s), s);
	snprintf(k.path, sizeof(k.path), "%.*s", (int)(len - (size_t)(eq - s) - 1), eq + 1);
	if (!cfg_valid_name(k.name, 63)) {
		snprintf(why, whylen, "cluster name \"%s\": want 1-63 lower-case letters, digits, "
			 "'-' or '.'", k.name);
		return false;
	}
	for (size_t i = 0; i < c->nremote_kubeconfigs; i++) {
		if (!strcmp(c->remote_kubeconfigs[i].name, k.name)) {
			snprintf(why, whylen, "cluster %s is listed twice", k.name);
			return false;
		}
	}
	if (c->nremote_kubeconfigs == CFG_MAX_CLUSTERS) {
		snprintf(why, whylen, "more than %d clusters", CFG_MAX_CLUSTERS);
		return false;
	}
	c->remote_kubeconfigs[c->nremote_kubeconfigs++] = k;
	return true;
}

static bool
set_remote_kubeconfig(struct cfg *c, const char *v, char *why, size_t whylen)
{
	return each_item(c, v, kubeconfig_item, why, whylen);
}

/* A namespace (DNS-1123 label), or "" to turn it off. */
static bool
set_remote_secrets(struct cfg *c, const char *v, char *why, size_t whylen)
{
	if (*v && (!cfg_valid_name(v, 63) || strchr(v, '.'))) {
		snprintf(why, whylen, "want a namespace (1-63 lower-case letters, digits or '-'), "
			 "or \"\" for none");
		return false;
	}
	snprintf(c->remote_secrets, sizeof(c->remote_secrets), "%s", v);
	c->remote_secrets_set = true;
	return true;
}

static const struct opt opts[] = {
	{ "cluster", "PODREACH_CLUSTER", false, false, set_cluster },
	{ "node-name", "PODREACH_NODE_NAME", false, false, set_node_name },
	{ "node-ip", "PODREACH_NODE_IP", false, false, set_node_ip },
	{ "pod-cidr", "PODREACH_POD_CIDR", true, false, set_pod_cidr },
	{ "cni-conf-dir", "PODREACH_CNI_CONF_DIR", false, false, set_cni_dir },
	{ "cluster-cidr", "PODREACH_CLUSTER_CIDR", true, false, set_cluster_cidr },
	{ "service-cidr", "PODREACH_SERVICE_CIDR", false, false, set_service_cidr },
	{ "route-services", "PODREACH_ROUTE_SERVICES", false, true, set_route_services },
	{ "peers", "PODREACH_PEERS", true, false, set_peers },
	{ "remote", "PODREACH_REMOTE", true, false, set_remote },
	{ "mode", "PODREACH_MODE", false, false, set_mode },
	{ "listen", "PODREACH_LISTEN", false, false, set_listen },
	{ "probe-port", "PODREACH_PROBE_PORT", true, false, set_probe_port },
	{ "probe", "PODREACH_PROBE", true, false, set_probe },
	{ "interval", "PODREACH_INTERVAL", false, false, set_interval },
	{ "timeout", "PODREACH_TIMEOUT", false, false, set_timeout },
	{ "allow-cidr", "PODREACH_ALLOW_CIDR", true, false, set_allow_cidr },
	{ "output", "PODREACH_OUTPUT", false, false, set_output },
	{ "discovery", "PODREACH_DISCOVERY", false, false, set_discovery },
	{ "kubeconfig", "PODREACH_KUBECONFIG", false, false, set_kubeconfig },
	{ "remote-kubeconfig", "PODREACH_REMOTE_KUBECONFIG", true, false, set_remote_kubeconfig },
	{ "remote-secrets", "PODREACH_REMOTE_SECRETS", false, false, set_remote_secrets },
	{ "peer-token-file", "PODREACH_PEER_TOKEN_FILE", false, false, set_token_file },
	{ "cleanup-on-exit", "PODREACH_CLEANUP_ON_EXIT", false, true, set_cleanup },
	{ "resync", "PODREACH_RESYNC", false, false, set_resync },
	{ "verbose", "PODREACH_VERBOSE", false, true, set_verbose },
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

/* Kubernetes' downward API names, used when the PODREACH_ one is unset. */
static const struct { const char *opt, *env; } fallback_env[] = {
	{ "node-name", "NODE_NAME" },
	{ "node-ip", "HOST_IP" },
};

static const char *
env_get(char *const env[], const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; env && env[i]; i++)
		if (!strncmp(env[i], name, n) && env[i][n] == '=' && env[i][n + 1])
			return env[i] + n + 1;
	return NULL;
}

/* Whether name is in env at all, even empty ("" turns --remote-secrets off). */
static bool
env_has(char *const env[], const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; env && env[i]; i++)
		if (!strncmp(env[i], name, n) && env[i][n] == '=')
			return true;
	return false;
}

/* --discovery and what depends on it; after the Kubernetes service is known. */
static bool
discovery_defaults(struct cfg *c, char *const env[], char err[static CFG_ERR_MAX])
{
	bool api = c->kube.host[0] || c->kubeconfig[0];
	const char *ns = env_get(env, "POD_NAMESPACE");

	if (!c->discovery_set)
		c->discovery = api ? CFG_DISC_KUBERNETES : CFG_DISC_PEERS;
	if (!c->remote_secrets_set && env_has(env, "PODREACH_REMOTE_SECRETS"))
		c->remote_secrets_set = true;	/* set to "": off */
	if (c->discovery == CFG_DISC_PEERS) {
		if (c->nremote_kubeconfigs || (c->remote_secrets_set && c->remote_secrets[0])) {
			snprintf(err, CFG_ERR_MAX, "--%s needs --discovery kubernetes",
				 c->nremote_kubeconfigs ? "remote-kubeconfig" : "remote-secrets");
			return false;
		}
		return true;
	}
	if (!api) {
		snprintf(err, CFG_ERR_MAX, "--discovery kubernetes needs --kubeconfig, or a pod's "
			 "service account (KUBERNETES_SERVICE_HOST)");
		return false;
	}
	for (size_t i = 0; i < c->nremote_kubeconfigs; i++) {
		if (!strcmp(c->remote_kubeconfigs[i].name, c->cluster)) {
			snprintf(err, CFG_ERR_MAX, "--remote-kubeconfig %s: that is this cluster (--cluster)",
				 c->cluster);
			return false;
		}
	}
	if (!c->remote_secrets_set && ns && cfg_valid_name(ns, 63) && !strchr(ns, '.'))
		snprintf(c->remote_secrets, sizeof(c->remote_secrets), "%s", ns);
	return true;
}

static void
defaults(struct cfg *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->cni_conf_dir, sizeof(c->cni_conf_dir), "/etc/cni/net.d");
	snprintf(c->listen.host, sizeof(c->listen.host), "0.0.0.0");
	c->listen.port = DEFAULT_PORT;
	c->interval = 10;
	c->timeout = 1;
	c->resync = 300;
}

/* Collects flag values into vals[] (lists joined by ','); false on a usage
 * error. */
static bool
collect_flags(int argc, char *const argv[], char *vals[NOPTS], char *err)
{
	struct option lo[NOPTS + 2];
	int ch, idx;

	for (size_t i = 0; i < NOPTS; i++)
		lo[i] = (struct option){ opts[i].name,
			opts[i].flag ? no_argument : required_argument, NULL, 0 };
	lo[NOPTS] = (struct option){ "help", no_argument, NULL, 'h' };
	lo[NOPTS + 1] = (struct option){ 0 };
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", lo, &idx)) != -1) {
		const char *arg = optarg ? optarg : "true";
		char *nv;

		if (ch == 'h') {
			snprintf(err, CFG_ERR_MAX, "help");
			return false;
		}
		if (ch != 0) {
			snprintf(err, CFG_ERR_MAX, ch == ':' ? "%s needs a value" : "unknown option %s",
				 argv[optind - 1]);
			return false;
		}
		if (vals[idx] && !opts[idx].list) {
			snprintf(err, CFG_ERR_MAX, "--%s is given twice", opts[idx].name);
			return false;
		}
		if (asprintf(&nv, "%s%s%s", vals[idx] ? vals[idx] : "", vals[idx] ? "," : "",
			     arg) < 0) {
			snprintf(err, CFG_ERR_MAX, "out of memory");
			return false;
		}
		free(vals[idx]);
		vals[idx] = nv;
	}
	if (optind < argc) {
		snprintf(err, CFG_ERR_MAX, "unexpected argument \"%s\"", argv[optind]);
		return false;
	}
	return true;
}

static bool
apply(struct cfg *c, size_t i, const char *v, bool from_flag, const char *env_name,
      char err[static CFG_ERR_MAX])
{
	char why[400];

	if (opts[i].set(c, v, why, sizeof(why)))
		return true;
	if (from_flag)
		snprintf(err, CFG_ERR_MAX, "--%s \"%s\": %s", opts[i].name, v, why);
	else
		snprintf(err, CFG_ERR_MAX, "%s=\"%s\": %s", env_name, v, why);
	return false;
}

static const char *
fallback(const char *name, char *const env[], const char **env_name)
{
	for (size_t k = 0; k < sizeof(fallback_env) / sizeof(fallback_env[0]); k++) {
		if (!strcmp(fallback_env[k].opt, name) && env_get(env, fallback_env[k].env)) {
			*env_name = fallback_env[k].env;
			return env_get(env, fallback_env[k].env);
		}
	}
	return NULL;
}

bool
cfg_parse(struct cfg *c, int argc, char *const argv[], char *const env[],
	  char err[static CFG_ERR_MAX])
{
	char *vals[NOPTS] = { 0 };
	bool ok = false;
	size_t i;

	defaults(c);
	err[0] = '\0';
	if (!collect_flags(argc, argv, vals, err))
		goto out;
	for (i = 0; i < NOPTS; i++) {
		const char *env_name = opts[i].env, *v = vals[i];

		if (!v)
			v = env_get(env, env_name);
		if (!v)
			v = fallback(opts[i].name, env, &env_name);
		if (v && !apply(c, i, v, vals[i] != NULL, env_name, err))
			goto out;
	}
	if (!c->cluster[0]) {
		snprintf(err, CFG_ERR_MAX, "--cluster is required (or PODREACH_CLUSTER)");
		goto out;
	}
	if (c->allow_cidrs.n == 0) {
		char why[64];

		cidr_parse_list("10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,100.64.0.0/10", ',',
				&c->allow_cidrs, why, sizeof(why));
	}
	if (c->nprobe_ports == 0)
		c->probe_ports[c->nprobe_ports++] = c->listen.port;
	/* In a pod: where the API is, for the pod CIDR of last resort. */
	if (env_get(env, "KUBERNETES_SERVICE_HOST")) {
		snprintf(c->kube.host, sizeof(c->kube.host), "%s", env_get(env, "KUBERNETES_SERVICE_HOST"));
		snprintf(c->kube.port, sizeof(c->kube.port), "%s",
			 env_get(env, "KUBERNETES_SERVICE_PORT") ? env_get(env, "KUBERNETES_SERVICE_PORT") : "443");
		snprintf(c->kube.sa_dir, sizeof(c->kube.sa_dir), "%s",
			 env_get(env, "PODREACH_KUBE_SA_DIR") ? env_get(env, "PODREACH_KUBE_SA_DIR") : KUBE_SA_DIR);
	}
	if (c->timeout > c->interval) {
		snprintf(err, CFG_ERR_MAX, "--timeout %g is longer than --interval %g",
			 c->timeout, c->interval);
		goto out;
	}
	ok = discovery_defaults(c, env, err);
out:
	for (i = 0; i < NOPTS; i++)
		free(vals[i]);
	return ok;
}
