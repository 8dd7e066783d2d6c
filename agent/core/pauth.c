#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/core/pauth.h"

static void
hex(const unsigned char *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	out[2 * n] = '\0';
}

/* HMAC-SHA256 of msg under token, as hex. */
static void
mac_hex(const char *token, const char *msg, char out[static PAUTH_MAC_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!HMAC(EVP_sha256(), token, (int)strlen(token), (const unsigned char *)msg, strlen(msg),
		  md, &mdlen) || mdlen != PAUTH_MAC_LEN / 2) {
		/* Never equal to a real mac: a libcrypto failure authenticates nothing. */
		memset(out, 'x', PAUTH_MAC_LEN);
		out[PAUTH_MAC_LEN] = '\0';
		return;
	}
	hex(md, mdlen, out);
}

static bool
hex_only(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return true;
}

void
pauth_request(const char *token, const char *path, const char *nonce, unsigned port,
	      char out[static PAUTH_HDR_MAX])
{
	char msg[256], mac[PAUTH_MAC_LEN + 1];

	snprintf(msg, sizeof(msg), "podreach-request\n%.64s\n%.32s\n%u", path, nonce, port);
	mac_hex(token, msg, mac);
	snprintf(out, PAUTH_HDR_MAX, PAUTH_SCHEME " nonce=%.32s, mac=%s", nonce, mac);
}

bool
pauth_check_request(const char *token, const char *path, const char *port_hdr,
		    const char *auth, char nonce[static PAUTH_NONCE_LEN + 1])
{
	static const char pre[] = PAUTH_SCHEME " nonce=";
	char want[PAUTH_HDR_MAX];
	const char *n;
	unsigned long port = 0;

	if (!auth)
		return false;
	n = auth + sizeof(pre) - 1;
	if ( strlen(auth) != sizeof(pre) - 1 + PAUTH_NONCE_LEN + 6 + PAUTH_MAC_LEN ||
	    strncmp(auth, pre, sizeof(pre) - 1) || !hex_only(n, PAUTH_NONCE_LEN))
		return false;
	/* The port is covered by the mac as the asker sent it; a header that is
	 * not plain digits was refused before we get here. */
	if (port_hdr)
		port = strtoul(port_hdr, NULL, 10);
	memcpy(nonce, n, PAUTH_NONCE_LEN);
	nonce[PAUTH_NONCE_LEN] = '\0';
	pauth_request(token, path, nonce, (unsigned)port, want);
	return CRYPTO_memcmp(want, auth, strlen(want)) == 0 && strlen(want) == strlen(auth);
}

void
pauth_answer(const char *token, const char *path, const char *nonce, const char *body,
	     size_t len, char out[static PAUTH_MAC_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char msg[256], bh[2 * EVP_MAX_MD_SIZE + 1];

	if (!EVP_Digest(body ? body : "", len, md, &mdlen, EVP_sha256(), NULL))
		mdlen = 0;
	hex(md, mdlen, bh);
	snprintf(msg, sizeof(msg), "podreach-answer\n%.64s\n%.32s\n%s", path, nonce, bh);
	mac_hex(token, msg, out);
}

bool
pauth_check_answer(const char *token, const char *path, const char *nonce, const char *body,
		   size_t len, const char *got)
{
	char want[PAUTH_MAC_LEN + 1];

	if (!got || strlen(got) != PAUTH_MAC_LEN)
		return false;
	pauth_answer(token, path, nonce, body, len, want);
	return CRYPTO_memcmp(want, got, PAUTH_MAC_LEN) == 0;
}
