#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/core/b64.h"
#include "agent/core/cfg.h"
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

/* metadata.<key> as a bounded string; "" when absent. */
static bool
kobj_meta(const json_t *obj, const char *key, char *out, size_t outlen)
{
	const json_t *v = json_object_get(json_object_get(obj, "metadata"), key);
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
	json_error_t je;
	json_t *root, *obj;
	const char *type;
	size_t t;

	memset(ev, 0, sizeof(*ev));
	if (len > KOBJ_MAX_EVENT) {
		snprintf(err, errlen, "a watch event of %zu bytes, more than %d", len, KOBJ_MAX_EVENT);
		return false;
	}
	if (!(root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je))) {
		snprintf(err, errlen, "a watch event is not JSON: %s", je.text);
		kobj_clean(err);
		return false;
	}
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

bool
kobj_parse_list(const char *body, size_t len, json_t **items, char rv[static KOBJ_RV_MAX],
		char cont[static KOBJ_CONTINUE_MAX], char *err, size_t errlen)
{
	json_error_t je;
	json_t *root;
	bool ok = false;

	*items = NULL;
	if (len > KOBJ_MAX_PAGE) {
		snprintf(err, errlen, "a list page of %zu bytes, more than %d", len, KOBJ_MAX_PAGE);
		return false;
	}
	if (!(root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je))) {
		snprintf(err, errlen, "the list is not JSON: %s", je.text);
		kobj_clean(err);
		return false;
	}
	if (!json_is_array(json_object_get(root, "items")))
		snprintf(err, errlen, "the list has no items[]");
	else if (!kobj_meta(root, "resourceVersion", rv, KOBJ_RV_MAX) || !rv[0])
		snprintf(err, errlen, "the list has no valid metadata.resourceVersion");
	else if (!kobj_meta(root, "continue", cont, KOBJ_CONTINUE_MAX))
		snprintf(err, errlen, "the list has an invalid metadata.continue");
	else {
		*items = json_incref(json_object_get(root, "items"));
		ok = true;
	}
	json_decref(root);
	return ok;
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
