#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/core/jscan.h"
#include "agent/core/kobj.h"
#include "agent/io/curlev.h"
#include "agent/io/kube.h"

bool
kube_parse_node(const char *json, size_t len, struct cidr_list *out, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root, *spec, *list, *v;
	char why[160];
	bool ok = false;
	size_t i;

	out->n = 0;
	/* The same bounds as every Node the watches read (agent/core/kobj.h). */
	if (!jscan_bounded(json, len, KOBJ_MAX_DEPTH, KOBJ_MAX_VALUES, "the Node", err, errlen))
		return false;
	if (!(root = json_loadb(json, len, 0, &je))) {
		snprintf(err, errlen, "the Node is not JSON: %s", je.text);
		return false;
	}
	spec = json_object_get(root, "spec");
	list = json_object_get(spec, "podCIDRs");
	if (!json_is_array(list) && json_is_string(json_object_get(spec, "podCIDR"))) {
		list = json_array();
		json_array_append(list, json_object_get(spec, "podCIDR"));
	} else
		json_incref(list);
	json_array_foreach(list, i, v) {
		const char *s = json_string_value(v);

		if (!s || strchr(s, ':'))	/* IPv6: podreach routes IPv4 */
			continue;
		if (strchr(s, ',') || !cidr_parse_list(s, ',', out, why, sizeof(why))) {
			snprintf(err, errlen, "spec.podCIDRs[%zu]: %s", i, why);
			goto out;
		}
	}
	ok = out->n > 0;
	if (!ok)
		snprintf(err, errlen, "the Node has no IPv4 spec.podCIDRs (is the node IPAM on?)");
out:
	json_decref(list);
	json_decref(root);
	return ok;
}

static bool
read_token(const char *dir, char *hdr, size_t len, char *err, size_t errlen)
{
	char path[600], tok[4096];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/token", dir);
	if (!(f = fopen(path, "re"))) {
		snprintf(err, errlen, "no service account token at %s", path);
		return false;
	}
	n = fread(tok, 1, sizeof(tok) - 1, f);
	fclose(f);
	tok[n] = '\0';
	tok[strcspn(tok, "\r\n")] = '\0';
	snprintf(hdr, len, "Authorization: Bearer %s", tok);
	return true;
}

bool
kube_node_pod_cidrs(const struct kube_api *api, const char *node, double timeout,
		    struct cidr_list *out, char *err, size_t errlen)
{
	char url[600], ca[600], auth[4200], cerr[CURL_ERROR_SIZE] = "";
	struct curl_slist *h = NULL;
	struct curlev_body b = { .max = KUBE_MAX_BODY };
	CURL *e = NULL;
	long status = 0;
	bool ok = false;

	snprintf(url, sizeof(url), "https://%s:%s/api/v1/nodes/%s", api->host, api->port, node);
	snprintf(ca, sizeof(ca), "%s/ca.crt", api->sa_dir);
	if (!read_token(api->sa_dir, auth, sizeof(auth), err, errlen))
		return false;
	if (!(e = curl_easy_init()) || !(h = curl_slist_append(NULL, auth))) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (curlev_trust_only(e, NULL, 0, ca) != CURLE_OK) {
		snprintf(err, errlen, "libcurl cannot trust %s alone", ca);
		goto out;
	}
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, curlev_body_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(timeout * 1000) + 1);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, cerr);
	if (curl_easy_perform(e) != CURLE_OK)
		snprintf(err, errlen, "%s: %s", url, cerr[0] ? cerr : "request failed");
	else if (curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status), status != 200)
		snprintf(err, errlen, "%s: HTTP %ld (may the service account get nodes?)", url, status);
	else if (!(ok = kube_parse_node(b.buf ? b.buf : "", b.len, out, cerr, sizeof(cerr))))
		snprintf(err, errlen, "%s: %s", url, cerr);
out:
	curl_slist_free_all(h);
	if (e)
		curl_easy_cleanup(e);
	free(b.buf);
	return ok;
}
