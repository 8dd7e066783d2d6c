/*
 * A kubeconfig, as `istioctl create-remote-secret` and kind write it: the
 * current context's cluster (server, certificate-authority-data) and user
 * (token, or client-certificate-data + client-key-data).  Parsed with libyaml,
 * bounded, validated; pure (no files are read: paths to files are refused).
 */
#ifndef PODREACH_KUBECONFIG_H
#define PODREACH_KUBECONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define KUBECONFIG_MAX (256 * 1024)	/* the whole document */
#define KUBECONFIG_MAX_PEM (64 * 1024)	/* each decoded CA, certificate, key */
#define KUBECONFIG_MAX_TOKEN 8192
/* Nesting of mappings and sequences: a kubeconfig's fields are 4 deep, an
 * exec plugin's env 6.  libyaml's time grows with the square of the nesting
 * (120,000 '[' took 64 s), so deeper documents are refused before loading. */
#define KUBECONFIG_MAX_DEPTH 16

struct kubeconfig {
	char context[254];	/* the context used */
	char cluster[254];	/* its cluster's name */
	char user[254];		/* its user's name: the identity the API sees */
	char server[512];	/* https://host[:port][/path], no trailing '/' */
	char *ca;		/* PEM, NUL-terminated */
	size_t ca_len;
	char *token;		/* NULL when a client certificate is used */
	char *cert, *key;	/* PEM; NULL when a token is used */
	size_t cert_len, key_len;
};

/* Parses len bytes of YAML into out (zeroed first).  Returns false with a
 * message naming the field in err; out then holds nothing to free.  The
 * caller frees with kubeconfig_free(). */
bool kubeconfig_parse(const char *yaml, size_t len, struct kubeconfig *out, char *err,
		      size_t errlen);

/* Who the API server sees: a service-account token's "sub" claim
 * (system:serviceaccount:NS:NAME) when the token is a JWT that says, else
 * the kubeconfig's user name; for messages only, nothing is verified. */
void kubeconfig_identity(const struct kubeconfig *k, char *out, size_t len);

/* NULL-safe; leaves k zeroed. */
void kubeconfig_free(struct kubeconfig *k);

#endif
