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

#endif
