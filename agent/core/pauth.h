/*
 * Peer authentication with the shared --peer-token-file secret, which never
 * crosses the wire: each side proves it holds the token with an HMAC-SHA256
 * over a nonce the other side chose (or, for a request, over its own nonce,
 * which the answer must then be bound to).
 *
 *   request   Authorization: Podreach-HMAC nonce=<32 hex>, mac=<64 hex>
 *             mac = HMAC(token, "podreach-request\n" path "\n" nonce "\n" port)
 *   answer    X-Podreach-Mac: <64 hex>
 *             mac = HMAC(token, "podreach-answer\n" path "\n" nonce "\n" SHA256(body))
 *
 * A replayed request gets its replayer only an answer it could have read on
 * the wire, and learns no secret; an answer is bound to the asker's fresh
 * nonce and to its body, so it can be neither replayed nor altered.  Pure
 * apart from libcrypto's arithmetic.
 */
#ifndef PODREACH_PAUTH_H
#define PODREACH_PAUTH_H

#include <stdbool.h>
#include <stddef.h>

#define PAUTH_SCHEME "Podreach-HMAC"
#define PAUTH_NONCE_LEN 32	/* hex digits */
#define PAUTH_MAC_LEN 64	/* hex digits of SHA-256 */
#define PAUTH_HDR_MAX 160	/* the Authorization value */
#define PAUTH_ANSWER_HDR "X-Podreach-Mac"

/* Writes the Authorization value for a request of path from an agent
 * listening on port, with nonce (PAUTH_NONCE_LEN hex digits). */
void pauth_request(const char *token, const char *path, const char *nonce, unsigned port,
		   char out[static PAUTH_HDR_MAX]);

/* Checks an Authorization value against token; on success copies the nonce
 * out.  port_hdr is the X-Podreach-Peer header as received (NULL: none). */
bool pauth_check_request(const char *token, const char *path, const char *port_hdr,
			 const char *auth, char nonce[static PAUTH_NONCE_LEN + 1]);

/* The answer's mac (hex) for body, bound to the request's nonce. */
void pauth_answer(const char *token, const char *path, const char *nonce, const char *body,
		  size_t len, char out[static PAUTH_MAC_LEN + 1]);

/* Whether got (an X-Podreach-Mac value, NULL: none) proves body. */
bool pauth_check_answer(const char *token, const char *path, const char *nonce, const char *body,
			size_t len, const char *got);

#endif
