/*
 * The last resort for this node's pod CIDR, as podreach(8) says: in a pod without a
 * CNI config, the Node's spec.podCIDRs from the Kubernetes API, read once at
 * start with the pod's service account (libcurl, HTTPS, the cluster's CA).
 */
#ifndef PODREACH_KUBE_H
#define PODREACH_KUBE_H

#include <stdbool.h>
#include <stddef.h>

#include "agent/core/cfg.h"

#define KUBE_MAX_BODY (256 * 1024)

/* Parses a Node object: spec.podCIDRs (or the older spec.podCIDR), IPv4 only.
 * Returns false and says why in err. */
bool kube_parse_node(const char *json, size_t len, struct cidr_list *out, char *err, size_t errlen);

/* GET /api/v1/nodes/<node>, bounded in size and time.  Returns false and says
 * why (naming the URL) in err. */
bool kube_node_pod_cidrs(const struct kube_api *api, const char *node, double timeout,
			 struct cidr_list *out, char *err, size_t errlen);

#endif
