/*
 * The last resort for this node's pod CIDR, as SPEC says: in a pod without a
 * CNI config, the Node's spec.podCIDRs from the Kubernetes API, read once at
 * start with the pod's service account (libcurl, HTTPS, the cluster's CA).
 */
#ifndef PODREACH_KUBE_H
#define PODREACH_KUBE_H

#include <stdbool.h>
#include <stddef.h>

#include "agent/core/cidr.h"

#define KUBE_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
#define KUBE_MAX_BODY (256 * 1024)

/* Where the API is and how to authenticate: host and port from
 * KUBERNETES_SERVICE_HOST/_PORT, token and ca.crt under sa_dir. */
struct kube_api {
	char host[256];
	char port[8];
	char sa_dir[512];
};

/* Parses a Node object: spec.podCIDRs (or the older spec.podCIDR), IPv4 only.
 * Returns false and says why in err. */
bool kube_parse_node(const char *json, size_t len, struct cidr_list *out, char *err, size_t errlen);

/* GET /api/v1/nodes/<node>, bounded in size and time.  Returns false and says
 * why (naming the URL) in err. */
bool kube_node_pod_cidrs(const struct kube_api *api, const char *node, double timeout,
			 struct cidr_list *out, char *err, size_t errlen);

#endif
