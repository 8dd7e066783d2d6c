#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/core/b64.h"
#include "agent/core/cfg.h"
#include "agent/core/jscan.h"
#include "agent/core/kobj.h"

static const char *const kobj_types[] = { "ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR" };

const char *
kobj_type_name(enum kobj_type t)
{
	return (unsigned)t < sizeof(kobj_types) / sizeof(kobj_types[0]) ? kobj_types[t] : "?";
}

/* jansson quotes the offending input in its error text: no control bytes
 * may reach a log line or the report. */
static void
kobj_clean(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/* meta.<key> as a bounded string; "" when absent. */
static bool
kobj_meta_of(const json_t *meta, const char *key, char *out, size_t outlen)
{
	const json_t *v = json_object_get(meta, key);
	const char *s = json_string_value(v);

	out[0] = '\0';
	if (!v)
		return true;
	if (!s || strlen(s) >= outlen)
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x21 || *p == 0x7f)
			return false;
	snprintf(out, outlen, "%s", s);
	return true;
}

/* metadata.<key> of obj. */
static bool
kobj_meta(const json_t *obj, const char *key, char *out, size_t outlen)
{
	return kobj_meta_of(json_object_get(obj, "metadata"), key, out, outlen);
}

/* Decodes a bounded piece of JSON; NULL with why in err. */
static json_t *
kobj_load(const char *buf, size_t len, const char *what, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root;

	if (!jscan_bounded(buf, len, KOBJ_MAX_DEPTH + 1, KOBJ_MAX_VALUES, what, err, errlen))
		return NULL;
	if (!(root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je))) {
		snprintf(err, errlen, "%s is not JSON: %s", what, je.text);
		kobj_clean(err);
	}
	return root;
}

static bool
kobj_status(const json_t *st, struct kobj_event *ev, char *err, size_t errlen)
{
	const json_t *code = json_object_get(st, "code");
	const char *msg = json_string_value(json_object_get(st, "message"));

	if (!json_is_integer(code) || json_integer_value(code) < 100 ||
	    json_integer_value(code) > 599) {
		snprintf(err, errlen, "an ERROR event without a Status code");
		return false;
	}
	ev->code = (int)json_integer_value(code);
	snprintf(ev->message, sizeof(ev->message), "%s", msg ? msg : "");
	for (char *p = ev->message; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	return true;
}

bool
kobj_parse_event(const char *line, size_t len, struct kobj_event *ev, char *err, size_t errlen)
{
	json_t *root, *obj;
	const char *type;
	size_t t;

	memset(ev, 0, sizeof(*ev));
	if (len > KOBJ_MAX_EVENT) {
		snprintf(err, errlen, "a watch event of %zu bytes, more than %d", len, KOBJ_MAX_EVENT);
		return false;
	}
	/* The event wraps its object one level deeper. */
	if (!(root = kobj_load(line, len, "a watch event", err, errlen)))
		return false;
	type = json_string_value(json_object_get(root, "type"));
	obj = json_object_get(root, "object");
	for (t = 0; type && t < sizeof(kobj_types) / sizeof(kobj_types[0]); t++)
		if (!strcmp(type, kobj_types[t]))
			break;
	if (!type || t == sizeof(kobj_types) / sizeof(kobj_types[0]) || !json_is_object(obj)) {
		snprintf(err, errlen, "a watch event without a known type and an object");
		goto fail;
	}
	ev->type = (enum kobj_type)t;
	if (ev->type == KOBJ_ERROR) {
		if (!kobj_status(obj, ev, err, errlen))
			goto fail;
	} else if (!kobj_meta(obj, "resourceVersion", ev->rv, sizeof(ev->rv))) {
		snprintf(err, errlen, "a %s event with an invalid metadata.resourceVersion", type);
		goto fail;
	} else
		ev->object = json_incref(obj);
	json_decref(root);
	return true;
fail:
	json_decref(root);
	return false;
}

void
kobj_event_free(struct kobj_event *ev)
{
	if (!ev)
		return;
	json_decref(ev->object);
	ev->object = NULL;
}

/* The page's metadata: resourceVersion and continue. */
static bool
kobj_list_meta(const char *buf, size_t len, char rv[static KOBJ_RV_MAX],
	       char cont[static KOBJ_CONTINUE_MAX], char *err, size_t errlen)
{
	json_t *meta = kobj_load(buf, len, "the list's metadata", err, errlen);
	bool ok = false;

	if (!meta)
		return false;
	if (!kobj_meta_of(meta, "resourceVersion", rv, KOBJ_RV_MAX) || !rv[0])
		snprintf(err, errlen, "the list has no valid metadata.resourceVersion");
	else if (!kobj_meta_of(meta, "continue", cont, KOBJ_CONTINUE_MAX))
		snprintf(err, errlen, "the list has an invalid metadata.continue");
	else
		ok = true;
	json_decref(meta);
	return ok;
}

/* Counts items[] (at pos, its '['), each within an object's bounds. */
static bool
kobj_list_items(struct kobj_list *l, size_t pos, char *err, size_t errlen)
{
	size_t a, b;
	char c;

	l->next = ++pos;
	if (jscan_peek(l->body, l->len, &pos) == ']')
		return true;
	for (;; pos++) {
		if (!jscan_value(l->body, l->len, &pos, &a, &b)) {
			snprintf(err, errlen, "the list's items[%zu] is not JSON", l->n);
			return false;
		}
		if (!jscan_bounded(l->body + a, b - a, KOBJ_MAX_DEPTH, KOBJ_MAX_VALUES, "an item",
				   err, errlen))
			return false;
		l->n++;
		if ((c = jscan_peek(l->body, l->len, &pos)) == ']')
			break;
		if (c != ',') {
			snprintf(err, errlen, "the list's items[] is not JSON");
			return false;
		}
	}
	return true;
}

/* One member of the page's top level: metadata and items are read, the
 * rest skipped.  Keys are compared as sent: an escaped "items" is not items,
 * and the page is then refused for lacking them. */
static bool
kobj_list_member(struct kobj_list *l, const char *key, size_t klen, size_t va, size_t vb,
		 bool *meta, size_t *items, char rv[static KOBJ_RV_MAX],
		 char cont[static KOBJ_CONTINUE_MAX], char *err, size_t errlen)
{
	if (klen == 10 && !memcmp(key, "\"metadata\"", 10)) {
		if (*meta) {
			snprintf(err, errlen, "the list has a second metadata");
			return false;
		}
		*meta = true;
		return kobj_list_meta(l->body + va, vb - va, rv, cont, err, errlen);
	}
	if (klen == 7 && !memcmp(key, "\"items\"", 7)) {
		if (*items || l->body[va] != '[') {
			snprintf(err, errlen, "the list has a second items, or one not a list");
			return false;
		}
		*items = va;
	}
	return true;
}

bool
kobj_list_open(const char *body, size_t len, struct kobj_list *l, char rv[static KOBJ_RV_MAX],
	       char cont[static KOBJ_CONTINUE_MAX], char *err, size_t errlen)
{
	size_t pos = 0, ka, kb, va, vb, items = 0;
	bool meta = false;

	*l = (struct kobj_list){ .body = body, .len = len };
	if (len > KOBJ_MAX_PAGE) {
		snprintf(err, errlen, "a list page of %zu bytes, more than %d", len, KOBJ_MAX_PAGE);
		return false;
	}
	if (!jscan_bounded(body, len, KOBJ_MAX_DEPTH + 2, (size_t)-1, "the list", err, errlen))
		return false;
	snprintf(err, errlen, "the list is not a JSON object");
	if (jscan_peek(body, len, &pos) != '{')
		return false;
	/* c: the byte before the next member, '{' or ','; '}' ends. */
	for (char c = '{'; c != '}'; c = jscan_peek(body, len, &pos)) {
		if (c != '{' && c != ',')
			return false;
		pos++;
		if (c == '{' && jscan_peek(body, len, &pos) == '}')
			break;
		if (jscan_peek(body, len, &pos) != '"' || !jscan_value(body, len, &pos, &ka, &kb) ||
		    jscan_peek(body, len, &pos) != ':')
			return false;
		pos++;
		if (!jscan_value(body, len, &pos, &va, &vb))
			return false;
		if (!kobj_list_member(l, body + ka, kb - ka, va, vb, &meta, &items, rv, cont, err,
				      errlen))
			return false;
		snprintf(err, errlen, "the list is not a JSON object");
	}
	pos++;
	if ((jscan_peek(body, len, &pos), pos < len))
		return false;
	if (!items || !meta) {
		snprintf(err, errlen, "the list has no %s", !items ? "items[]" :
			 "valid metadata.resourceVersion");
		return false;
	}
	return kobj_list_items(l, items, err, errlen);
}

int
kobj_list_next(struct kobj_list *l, json_t **item, char *err, size_t errlen)
{
	size_t a, b;

	*item = NULL;
	if (jscan_peek(l->body, l->len, &l->next) == ']')
		return 0;
	if (!jscan_value(l->body, l->len, &l->next, &a, &b) ||
	    !(*item = kobj_load(l->body + a, b - a, "an item", err, errlen)))
		return -1;
	if (jscan_peek(l->body, l->len, &l->next) == ',')
		l->next++;
	return 1;
}

/* The first IPv4 InternalIP of status.addresses. */
static bool
kobj_node_ip(const json_t *obj, uint32_t *ip, char *err, size_t errlen)
{
	const json_t *addrs = json_object_get(json_object_get(obj, "status"), "addresses"), *a;
	size_t i;

	*ip = 0;
	if (addrs && !json_is_array(addrs)) {
		snprintf(err, errlen, "status.addresses is not a list");
		return false;
	}
	json_array_foreach(addrs, i, a) {
		const char *type = json_string_value(json_object_get(a, "type"));
		const char *s = json_string_value(json_object_get(a, "address"));

		if (!type || strcmp(type, "InternalIP") || (s && strchr(s, ':')))
			continue;
		if (!s || !cidr_parse_ip(s, ip) || *ip == 0) {
			snprintf(err, errlen, "status.addresses[%zu] (InternalIP) \"%.40s\" is not an "
				 "IPv4 address", i, s ? s : "");
			*ip = 0;
			return false;
		}
		return true;
	}
	return true;
}

static bool
kobj_node_cidrs(const json_t *obj, struct cidr_list *out, char *err, size_t errlen)
{
	const json_t *spec = json_object_get(obj, "spec"), *list, *v;
	const char *field = "spec.podCIDRs";
	char why[160];
	size_t i;

	out->n = 0;
	list = json_object_get(spec, "podCIDRs");
	if (!list && json_object_get(spec, "podCIDR")) {
		v = json_object_get(spec, "podCIDR");
		field = "spec.podCIDR";
		if (!json_is_string(v)) {
			snprintf(err, errlen, "spec.podCIDR is not a string");
			return false;
		}
		if (strchr(json_string_value(v), ':'))
			return true;
		if (!cidr_parse(json_string_value(v), &out->v[0], why, sizeof(why))) {
			snprintf(err, errlen, "%s: %s", field, why);
			return false;
		}
		out->n = 1;
		return true;
	}
	if (list && !json_is_array(list)) {
		snprintf(err, errlen, "spec.podCIDRs is not a list");
		return false;
	}
	json_array_foreach(list, i, v) {
		const char *s = json_string_value(v);

		if (s && strchr(s, ':'))	/* IPv6: podreach routes IPv4 */
			continue;
		if (!s || strchr(s, ',') || !cidr_parse_list(s, ',', out, why, sizeof(why))) {
			snprintf(err, errlen, "%s[%zu]: %s", field, i, s ? why : "not a string");
			out->n = 0;
			return false;
		}
	}
	return true;
}

bool
kobj_node(const json_t *obj, struct kobj_node *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (!kobj_meta(obj, "name", out->name, sizeof(out->name)) ||
	    !cfg_valid_name(out->name, 253)) {
		snprintf(err, errlen, "a Node without a valid metadata.name");
		return false;
	}
	if (!kobj_meta(obj, "resourceVersion", out->rv, sizeof(out->rv))) {
		snprintf(err, errlen, "Node %s: invalid metadata.resourceVersion", out->name);
		return false;
	}
	if (kobj_node_ip(obj, &out->ip, out->error, sizeof(out->error)) &&
	    kobj_node_cidrs(obj, &out->cidrs, out->error, sizeof(out->error)))
		return true;
	out->cidrs.n = 0;
	return true;
}

static void
kobj_entry(const char *key, const json_t *v, size_t maxval, struct kobj_secret_entry *e)
{
	const char *s = json_string_value(v);
	char why[160];

	snprintf(e->cluster, sizeof(e->cluster), "%.63s", key);
	if (!cfg_valid_name(key, 63))
		snprintf(e->error, sizeof(e->error), "data key \"%.63s\" is not a cluster name "
			 "(1-63 lower-case letters, digits, '-' or '.')", key);
	else if (!s)
		snprintf(e->error, sizeof(e->error), "data[%s] is not a string", key);
	else if (!b64_decode(s, strlen(s), maxval, &e->value, &e->len, why, sizeof(why)))
		snprintf(e->error, sizeof(e->error), "data[%s]: %s", key, why);
	else if (strlen(e->value) != e->len) {
		snprintf(e->error, sizeof(e->error), "data[%s] holds a NUL byte", key);
		free(e->value);
		e->value = NULL;
	}
}

bool
kobj_secret(const json_t *obj, size_t maxval, struct kobj_secret *out, char *err, size_t errlen)
{
	const json_t *labels = json_object_get(json_object_get(obj, "metadata"), "labels");
	const json_t *data = json_object_get(obj, "data"), *v;
	const char *key, *label;

	memset(out, 0, sizeof(*out));
	if (!kobj_meta(obj, "name", out->name, sizeof(out->name)) ||
	    !cfg_valid_name(out->name, 253) ||
	    !kobj_meta(obj, "namespace", out->ns, sizeof(out->ns)) ||
	    !kobj_meta(obj, "resourceVersion", out->rv, sizeof(out->rv))) {
		snprintf(err, errlen, "a Secret without valid metadata (name, namespace, "
			 "resourceVersion)");
		out->name[0] = out->ns[0] = '\0';
		return false;
	}
	label = json_string_value(json_object_get(labels, KOBJ_MULTICLUSTER_LABEL));
	out->labelled = label && !strcmp(label, "true");
	if (data && !json_is_object(data)) {
		snprintf(err, errlen, "Secret %s/%s: data is not a mapping", out->ns, out->name);
		return false;
	}
	if (json_object_size(data) > KOBJ_SECRET_KEYS) {
		snprintf(err, errlen, "Secret %s/%s: more than %d data keys", out->ns, out->name,
			 KOBJ_SECRET_KEYS);
		return false;
	}
	json_object_foreach((json_t *)data, key, v)
		kobj_entry(key, v, maxval, &out->data[out->n++]);
	return true;
}

void
kobj_secret_free(struct kobj_secret *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->data[i].value);
	s->n = 0;
}
