/*
 * The kubeconfig parser (agent/core/kubeconfig.c, libyaml): any bytes.  What
 * it accepts has an https server, a PEM CA, and a token or a certificate with
 * its key; what it refuses, it says why in printable text and holds nothing.
 */
#include <ctype.h>
#include <stdlib.h>

#include "agent/core/kubeconfig.h"
#include "tests/fuzz/fuzz.h"

static void
check_text(const char *s)
{
	for (; *s; s++)
		if (iscntrl((unsigned char)*s))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kubeconfig k;
	char err[300], who[256], *doc;

	if (size > KUBECONFIG_MAX + 1)
		return 0;
	if (!(doc = malloc(size ? size : 1)))
		return 0;
	memcpy(doc, data, size);
	if (kubeconfig_parse(doc, size, &k, err, sizeof(err))) {
		if (strncmp(k.server, "https://", 8) || !k.ca || !strstr(k.ca, "-----BEGIN ") ||
		    (!k.token && (!k.cert || !k.key)) || k.ca_len > KUBECONFIG_MAX_PEM)
			abort();
		check_text(k.server);
		kubeconfig_identity(&k, who, sizeof(who));
		check_text(who);
		kubeconfig_free(&k);
		if (k.ca || k.token)
			abort();
	} else {
		if (!err[0] || k.ca || k.token || k.cert || k.key)
			abort();
		check_text(err);
	}
	free(doc);
	return 0;
}
