/*
 * List and watch one kind of object on one Kubernetes API server, in the
 * event loop (libcurl multi, no threads): list in pages, then watch from the
 * list's resourceVersion with bookmarks, each watch ended by the server after
 * 20 s and resumed from the last version seen, as is a dropped stream; "410
 * Gone" relists; failures retry with jittered backoff (capped at 30 s),
 * which only a watch that delivered something (or lived a while) resets.
 * The state is synced as soon as a watch answers 200, unreachable when the
 * API stays silent past a watch's end.  Every event and page is bounded;
 * every object is handed over as JSON for the caller to decode
 * (agent/core/kobj.h).
 */
#ifndef PODREACH_KWATCH_H
#define PODREACH_KWATCH_H

#include <jansson.h>
#include <stddef.h>

#include "agent/core/kobj.h"

struct ev_loop;
struct kubeconfig;
struct kwatch;

enum kwatch_state { KW_SYNCING, KW_SYNCED, KW_UNREACHABLE, KW_FORBIDDEN, KW_INVALID };

struct kwatch_cbs {
	/* A full list begins: what it brings replaces everything seen before. */
	void (*relist)(void *arg);
	/* An object: list items come as KOBJ_ADDED.  obj is borrowed. */
	void (*object)(enum kobj_type t, const json_t *obj, void *arg);
	/* The list is complete: objects not brought since relist() are gone. */
	void (*listed)(void *arg);
	/* The state changed, or its error did; err is "" when none. */
	void (*state)(enum kwatch_state st, const char *err, void *arg);
	void *arg;
};

struct kwatch_opts {
	const char *path;		/* "/api/v1/nodes", "/api/v1/namespaces/NS/secrets" */
	const char *selector;		/* a labelSelector, or NULL */
	size_t max_objects;		/* more in one list: KW_INVALID */
	const char *token_file;		/* re-read before each request (a projected
					 * service-account token rotates); NULL: kc's */
	int watch_seconds;		/* a watch's timeoutSeconds; 0: 20.  An API
					 * silent for 5/4 of it is unreachable. */
};

/* Copies what it needs of kc and o and starts listing at once.  Returns NULL
 * with errno set. */
struct kwatch *kwatch_new(struct ev_loop *loop, const struct kubeconfig *kc,
			  const struct kwatch_opts *o, const struct kwatch_cbs *cbs);
/* Cancels the transfer and frees; NULL-safe.  Not from its own callbacks. */
void kwatch_free(struct kwatch *w);

const char *kwatch_state_name(enum kwatch_state st);
/* Requests sent so far (lists pages and watches), for the idle-cost bench. */
unsigned long kwatch_requests(const struct kwatch *w);

#endif
