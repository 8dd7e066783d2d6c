/* Standard base64 (RFC 4648 section 4), strict: what Kubernetes writes in
 * Secret data and kubeconfig *-data fields.  Pure. */
#ifndef PODREACH_B64_H
#define PODREACH_B64_H

#include <stdbool.h>
#include <stddef.h>

/* Decodes in (len bytes, '=' padding required, no whitespace) into a
 * malloc'd, NUL-terminated buffer of at most max bytes.  Returns false with
 * why in err (and *out NULL); the caller frees *out. */
bool b64_decode(const char *in, size_t len, size_t max, char **out, size_t *outlen, char *err,
		size_t errlen);

#endif
