/*
 * A cluster as the report shows it (SPEC's clusters[]): where its nodes come
 * from and whether that source answers.  Filled by the daemon's discovery;
 * read by the diagnosis (api-unreachable, api-forbidden) and the renderers.
 */
#ifndef PODREACH_CLUSTERS_H
#define PODREACH_CLUSTERS_H

#include <stdbool.h>
#include <stddef.h>

struct report_cluster {
	char name[64];
	const char *source;	/* "kubernetes", "peers", "static" */
	char api[512];		/* the API server; "" for peers and static */
	const char *state;	/* "synced", "syncing", "unreachable", "forbidden", "invalid" */
	size_t nodes;
	char error[512];	/* "" when none */
	bool local;		/* this node's own cluster */
	char origin[320];	/* where its kubeconfig came from: a flag, a file, a Secret */
	char identity[256];	/* who the API sees */
};

struct cfg;

/* The --remote nodes as one clusters[] entry (source "static", no name: the
 * flag does not say), into out when max allows and there are any.  Returns
 * 0 or 1. */
size_t clusters_static(const struct cfg *c, struct report_cluster *out, size_t max);

#endif
