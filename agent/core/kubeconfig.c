/*
 * libyaml's document loader builds the node graph; we walk only the fixed
 * paths of a kubeconfig (current-context -> contexts[] -> clusters[] and
 * users[]), so aliases, even cyclic ones, cannot make the walk unbounded.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <yaml.h>

#include "agent/core/b64.h"
#include "agent/core/kubeconfig.h"

struct kc {
	yaml_document_t *doc;
	char *err;
	size_t errlen;
};

static yaml_node_t *
kc_get(struct kc *k, yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *kn = yaml_document_get_node(k->doc, p->key);

		if (kn && kn->type == YAML_SCALAR_NODE && kn->data.scalar.length == strlen(key) &&
		    !memcmp(kn->data.scalar.value, key, kn->data.scalar.length))
			return yaml_document_get_node(k->doc, p->value);
	}
	return NULL;
}

/* A scalar as a string; false (with err naming path) if absent when
 * required, not a scalar, too long, or holding a NUL or control byte. */
static bool
kc_str(struct kc *k, yaml_node_t *map, const char *key, const char *path, bool required,
       char *out, size_t outlen)
{
	yaml_node_t *n = kc_get(k, map, key);

	out[0] = '\0';
	if (!n) {
		if (required)
			snprintf(k->err, k->errlen, "%s%s is missing", path, key);
		return !required;
	}
	if (n->type != YAML_SCALAR_NODE) {
		snprintf(k->err, k->errlen, "%s%s is not a string", path, key);
		return false;
	}
	if (n->data.scalar.length >= outlen) {
		snprintf(k->err, k->errlen, "%s%s is longer than %zu bytes", path, key, outlen - 1);
		return false;
	}
	for (size_t i = 0; i < n->data.scalar.length; i++) {
		if (iscntrl(n->data.scalar.value[i])) {
			snprintf(k->err, k->errlen, "%s%s holds a control character", path, key);
			return false;
		}
	}
	memcpy(out, n->data.scalar.value, n->data.scalar.length);
	out[n->data.scalar.length] = '\0';
	return true;
}

/* The entry of list `what` (clusters, contexts, users) whose name is name;
 * returns its inner mapping (entry[inner]). */
static yaml_node_t *
kc_find(struct kc *k, const char *what, const char *inner, const char *name)
{
	yaml_node_t *root = yaml_document_get_root_node(k->doc), *list = kc_get(k, root, what);
	char n[254];

	if (!list || list->type != YAML_SEQUENCE_NODE) {
		snprintf(k->err, k->errlen, "%s is missing or not a list", what);
		return NULL;
	}
	for (yaml_node_item_t *i = list->data.sequence.items.start; i < list->data.sequence.items.top;
	     i++) {
		yaml_node_t *e = yaml_document_get_node(k->doc, *i);

		if (!kc_str(k, e, "name", what, false, n, sizeof(n)) || strcmp(n, name))
			continue;
		if (!(e = kc_get(k, e, inner)) || e->type != YAML_MAPPING_NODE) {
			snprintf(k->err, k->errlen, "%s[name=%s].%s is missing or not a mapping", what,
				 name, inner);
			return NULL;
		}
		return e;
	}
	snprintf(k->err, k->errlen, "%s has no entry named \"%s\"", what, name);
	return NULL;
}

/* A *-data field: base64 of a PEM block. */
static bool
kc_pem(struct kc *k, yaml_node_t *map, const char *key, const char *path, char **out,
       size_t *outlen)
{
	yaml_node_t *n = kc_get(k, map, key);
	char why[160];

	if (!n || n->type != YAML_SCALAR_NODE) {
		snprintf(k->err, k->errlen, "%s%s is missing or not a string", path, key);
		return false;
	}
	if (!b64_decode((const char *)n->data.scalar.value, n->data.scalar.length,
			KUBECONFIG_MAX_PEM, out, outlen, why, sizeof(why))) {
		snprintf(k->err, k->errlen, "%s%s: %s", path, key, why);
		return false;
	}
	if (!strstr(*out, "-----BEGIN ")) {
		snprintf(k->err, k->errlen, "%s%s does not hold a PEM block", path, key);
		return false;
	}
	return true;
}

/* https://host[:port][/path]: no user info, query, fragment or spaces. */
static bool
kc_server_ok(const char *s)
{
	const char *h = s + 8;

	if (strncmp(s, "https://", 8) || !*h || *h == '/' || *h == ':')
		return false;
	for (const char *p = h; *p; p++)
		if (!isgraph((unsigned char)*p) || strchr("@?#\\\"'<>`{}|^", *p))
			return false;
	return true;
}

static bool
kc_cluster(struct kc *k, struct kubeconfig *out)
{
	yaml_node_t *c = kc_find(k, "clusters", "cluster", out->cluster);
	char skip[16];
	size_t n;

	if (!c || !kc_str(k, c, "server", "cluster.", true, out->server, sizeof(out->server)))
		return false;
	if (!kc_server_ok(out->server)) {
		/* User info, a query or a fragment may hold credentials: such a
		 * value is not repeated, in messages, the report or the log. */
		if (strpbrk(out->server, "@?#"))
			snprintf(k->err, k->errlen, "cluster.server holds user info, a query or a "
				 "fragment: refused (not repeated here); give https://HOST[:PORT]");
		else
			snprintf(k->err, k->errlen, "cluster.server \"%.200s\" is not "
				 "https://HOST[:PORT]", out->server);
		return false;
	}
	n = strlen(out->server);
	while (n > 8 && out->server[n - 1] == '/')
		out->server[--n] = '\0';
	if (!kc_str(k, c, "insecure-skip-tls-verify", "cluster.", false, skip, sizeof(skip)))
		return false;
	if (!strcmp(skip, "true")) {
		snprintf(k->err, k->errlen,
			 "cluster.insecure-skip-tls-verify is true: refused, give certificate-authority-data");
		return false;
	}
	if (kc_get(k, c, "certificate-authority") && !kc_get(k, c, "certificate-authority-data")) {
		snprintf(k->err, k->errlen,
			 "cluster.certificate-authority names a file: embed it as certificate-authority-data");
		return false;
	}
	return kc_pem(k, c, "certificate-authority-data", "cluster.", &out->ca, &out->ca_len);
}

static bool
kc_user(struct kc *k, struct kubeconfig *out)
{
	static const char *const refused[] = { "exec", "auth-provider", "client-certificate",
					       "client-key", "tokenFile", "username", "password" };
	yaml_node_t *u = kc_find(k, "users", "user", out->user);
	char tok[KUBECONFIG_MAX_TOKEN + 1];

	if (!u)
		return false;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		if (kc_get(k, u, refused[i])) {
			snprintf(k->err, k->errlen, "user.%s is not supported: use a token or "
				 "client-certificate-data + client-key-data", refused[i]);
			return false;
		}
	}
	if (!kc_str(k, u, "token", "user.", false, tok, sizeof(tok)))
		return false;
	for (const char *p = tok; *p; p++) {
		if (!isgraph((unsigned char)*p)) {
			snprintf(k->err, k->errlen, "user.token holds a space or control character");
			return false;
		}
	}
	if (tok[0] && !(out->token = strdup(tok))) {
		snprintf(k->err, k->errlen, "out of memory");
		return false;
	}
	if (!kc_get(k, u, "client-certificate-data") && !kc_get(k, u, "client-key-data")) {
		if (!tok[0])
			snprintf(k->err, k->errlen, "user has neither token nor client-certificate-data");
		return tok[0] != '\0';
	}
	return kc_pem(k, u, "client-certificate-data", "user.", &out->cert, &out->cert_len) &&
	       kc_pem(k, u, "client-key-data", "user.", &out->key, &out->key_len);
}

/* current-context, else the only context there is. */
static bool
kc_context(struct kc *k, struct kubeconfig *out)
{
	yaml_node_t *root = yaml_document_get_root_node(k->doc), *ctx, *list;

	if (!root || root->type != YAML_MAPPING_NODE) {
		snprintf(k->err, k->errlen, "not a kubeconfig: the document is not a mapping");
		return false;
	}
	if (!kc_str(k, root, "current-context", "", false, out->context, sizeof(out->context)))
		return false;
	list = kc_get(k, root, "contexts");
	if (!out->context[0]) {
		if (!list || list->type != YAML_SEQUENCE_NODE ||
		    list->data.sequence.items.top - list->data.sequence.items.start != 1) {
			snprintf(k->err, k->errlen, "current-context is missing and there is not "
				 "exactly one context");
			return false;
		}
		if (!kc_str(k, yaml_document_get_node(k->doc, *list->data.sequence.items.start),
			    "name", "contexts[0].", true, out->context, sizeof(out->context)))
			return false;
	}
	if (!(ctx = kc_find(k, "contexts", "context", out->context)))
		return false;
	return kc_str(k, ctx, "cluster", "context.", true, out->cluster, sizeof(out->cluster)) &&
	       kc_str(k, ctx, "user", "context.", true, out->user, sizeof(out->user));
}

/* A pass over the events alone, which stops at the first level too deep:
 * the loader below would first build the whole document.  The scanner looks
 * ahead at most 1024 bytes for a key, so stopping early bounds its work. */
static bool
kc_shallow(const char *yaml, size_t len, char *err, size_t errlen)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int depth = 0;
	bool ok = true, end = false;

	if (!yaml_parser_initialize(&p)) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)yaml, len);
	while (ok && !end) {
		if (!yaml_parser_parse(&p, &ev))
			break;		/* the loader says why */
		if (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT)
			depth++;
		else if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT)
			depth--;
		end = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
		if (depth > KUBECONFIG_MAX_DEPTH) {
			snprintf(err, errlen, "nested deeper than %d at line %zu", KUBECONFIG_MAX_DEPTH,
				 p.mark.line + 1);
			ok = false;
		}
	}
	yaml_parser_delete(&p);
	return ok;
}

bool
kubeconfig_parse(const char *yaml, size_t len, struct kubeconfig *out, char *err, size_t errlen)
{
	yaml_parser_t p;
	yaml_document_t doc;
	struct kc k = { .doc = &doc, .err = err, .errlen = errlen };
	bool ok = false;

	memset(out, 0, sizeof(*out));
	if (len > KUBECONFIG_MAX) {
		snprintf(err, errlen, "%zu bytes, more than %d", len, KUBECONFIG_MAX);
		return false;
	}
	if (!kc_shallow(yaml, len, err, errlen))
		return false;
	if (!yaml_parser_initialize(&p)) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)yaml, len);
	if (!yaml_parser_load(&p, &doc)) {
		snprintf(err, errlen, "not YAML: %s at line %zu", p.problem ? p.problem : "error",
			 p.problem_mark.line + 1);
		yaml_parser_delete(&p);
		return false;
	}
	ok = kc_context(&k, out) && kc_cluster(&k, out) && kc_user(&k, out);
	yaml_document_delete(&doc);
	yaml_parser_delete(&p);
	if (!ok)
		kubeconfig_free(out);
	return ok;
}

void
kubeconfig_free(struct kubeconfig *k)
{
	if (!k)
		return;
	free(k->ca);
	free(k->token);
	free(k->cert);
	free(k->key);
	memset(k, 0, sizeof(*k));
}

void
kubeconfig_identity(const struct kubeconfig *k, char *out, size_t len)
{
	const char *dot1 = k->token ? strchr(k->token, '.') : NULL;
	const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	char b64[2048], *payload = NULL, why[80];
	size_t n = dot2 ? (size_t)(dot2 - dot1 - 1) : 0, plen;
	json_t *claims = NULL;
	const char *sub = NULL;

	snprintf(out, len, "user \"%s\"", k->user);
	if (!n || n + 4 > sizeof(b64))
		return;
	/* base64url without padding -> standard base64 */
	for (size_t i = 0; i < n; i++)
		b64[i] = dot1[1 + i] == '-' ? '+' : dot1[1 + i] == '_' ? '/' : dot1[1 + i];
	while (n % 4)
		b64[n++] = '=';
	if (b64_decode(b64, n, sizeof(b64), &payload, &plen, why, sizeof(why)) &&
	    (claims = json_loadb(payload, plen, 0, NULL)) &&
	    (sub = json_string_value(json_object_get(claims, "sub"))) && strlen(sub) < 254) {
		snprintf(out, len, "%s", sub);
		for (char *p = out; *p; p++)
			if (!isgraph((unsigned char)*p))
				*p = '?';
	}
	json_decref(claims);
	free(payload);
}
