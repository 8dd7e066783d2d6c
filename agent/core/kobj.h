/*
 * Kubernetes API objects podreach reads, decoded and validated: Nodes (from a
 * NodeList page or a watch event), Secrets holding remote clusters'
 * kubeconfigs, and the watch event envelope with its resourceVersion and
 * "410 Gone".  Pure: bytes in, plain structs out; fuzzed and unit-tested.
 */
#ifndef PODREACH_KOBJ_H
#define PODREACH_KOBJ_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/core/cidr.h"

#define KOBJ_MAX_EVENT (1024 * 1024)	/* one watch line */
/* One list page: the server pages at 500 objects, and a Node is 5-20 KB. */
#define KOBJ_MAX_PAGE (16 * 1024 * 1024)
/* One object (a Node, a Secret) as JSON: nesting (a Node's managedFields go
 * about 10 deep) and values (about 500 in a kind Node); what decoding one
 * may cost, whatever its bytes.  A page is decoded one item at a time. */
#define KOBJ_MAX_DEPTH 32
#define KOBJ_MAX_VALUES 20000
#define KOBJ_RV_MAX 64
#define KOBJ_CONTINUE_MAX 1024
#define KOBJ_SECRET_KEYS 32
#define KOBJ_MULTICLUSTER_LABEL "istio/multiCluster"

/* A Node as routing needs it.  A node whose data is refused keeps its name,
 * no CIDRs, and says why in error. */
struct kobj_node {
	char name[254];
	char rv[KOBJ_RV_MAX];
	uint32_t ip;			/* the InternalIP (IPv4); 0 when none */
	struct cidr_list cidrs;		/* spec.podCIDRs, else spec.podCIDR; IPv4 only */
	char error[200];		/* "" when valid */
};

/* One data key of a remote secret: a cluster name and its kubeconfig. */
struct kobj_secret_entry {
	char cluster[64];
	char *value;			/* decoded, NUL-terminated; NULL if error */
	size_t len;
	char error[200];
};

struct kobj_secret {
	char ns[64];
	char name[254];
	char rv[KOBJ_RV_MAX];
	bool labelled;			/* istio/multiCluster: "true" */
	struct kobj_secret_entry data[KOBJ_SECRET_KEYS];
	size_t n;
};

enum kobj_type { KOBJ_ADDED, KOBJ_MODIFIED, KOBJ_DELETED, KOBJ_BOOKMARK, KOBJ_ERROR };

struct kobj_event {
	enum kobj_type type;
	char rv[KOBJ_RV_MAX];		/* the object's metadata.resourceVersion */
	int code;			/* ERROR: the Status code; 410 means relist */
	char message[200];		/* ERROR: the Status message */
	json_t *object;			/* owned; NULL for ERROR */
};

/* One watch line.  Returns false with why in err (ev then holds nothing). */
bool kobj_parse_event(const char *line, size_t len, struct kobj_event *ev, char *err,
		      size_t errlen);
/* NULL-safe. */
void kobj_event_free(struct kobj_event *ev);

/* One list page, read in place (body must outlive it): its items, decoded
 * one at a time so that a page costs its bytes and one object's tree. */
struct kobj_list {
	const char *body;
	size_t len;
	size_t next;			/* where the next item begins */
	size_t n;			/* how many items the page holds */
};

/* Checks the whole page (its shape, every item's bounds) and reads its
 * metadata.resourceVersion and metadata.continue ("" on the last page).
 * Returns false with why in err. */
bool kobj_list_open(const char *body, size_t len, struct kobj_list *l,
		    char rv[static KOBJ_RV_MAX], char cont[static KOBJ_CONTINUE_MAX], char *err,
		    size_t errlen);
/* The next item as a new reference in *item: 1; 0 after the last; -1 with
 * why in err when it is not JSON (items before it were handed out). */
int kobj_list_next(struct kobj_list *l, json_t **item, char *err, size_t errlen);

/* A Node object.  Returns false (why in err) only when it has no valid
 * metadata.name; refused data is in out->error. */
bool kobj_node(const json_t *obj, struct kobj_node *out, char *err, size_t errlen);

/* A Secret object: data values base64-decoded (each at most maxval bytes).
 * Returns false (why in err) when its metadata is invalid, or its data (not
 * a mapping, too many keys): then out->name and out->ns are still the
 * Secret's when its metadata was valid, else "".  A bad data entry says why
 * in its error.  Free with kobj_secret_free() either way. */
bool kobj_secret(const json_t *obj, size_t maxval, struct kobj_secret *out, char *err,
		 size_t errlen);
/* NULL-safe; leaves s empty. */
void kobj_secret_free(struct kobj_secret *s);

const char *kobj_type_name(enum kobj_type t);

#endif
