/*
 * libcurl's multi socket interface driven by our event loop: curl says which
 * sockets and which timeout it wants watched, the loop tells curl when they
 * are ready, and each finished transfer is handed to done().  Shared by the
 * peer fetches and the HTTP probes.
 */
#ifndef PODREACH_CURLEV_H
#define PODREACH_CURLEV_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

struct ev_loop;
struct curlev;

/* Called once per finished transfer; the callee removes and cleans up easy. */
typedef void (*curlev_done_cb)(CURL *easy, CURLcode res, void *arg);

/* A response body kept in memory, bounded: past max bytes the transfer is
 * ended and too_big set.  buf is NUL-terminated once anything arrived; the
 * owner frees it. */
struct curlev_body {
	char *buf;
	size_t len, max;
	bool too_big;
};

/* Makes e trust only the CA given: ca (PEM, len bytes), else the file
 * ca_file.  libcurl's defaults (CURLOPT_CAINFO, CURLOPT_CAPATH: the system's
 * /etc/ssl/certs) are cleared, or every public CA could answer for a
 * Kubernetes API and receive its token.  Returns curl's first refusal. */
CURLcode curlev_trust_only(CURL *e, const char *ca, size_t len, const char *ca_file);

/* CURLOPT_WRITEFUNCTION for a struct curlev_body given as CURLOPT_WRITEDATA. */
size_t curlev_body_write(char *data, size_t size, size_t nmemb, void *arg);

/* Returns NULL with errno set. */
struct curlev *curlev_new(struct ev_loop *loop, curlev_done_cb done, void *arg);
/* The multi handle, for curl_multi_add_handle / _remove_handle. */
CURLM *curlev_multi(struct curlev *c);
/* NULL-safe; the caller has removed its easy handles first. */
void curlev_free(struct curlev *c);

#endif
