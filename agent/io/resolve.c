/*
 * The defaults that read the world: the node name from the hostname, the
 * node IP from the kernel view, the pod CIDRs from the CNI config or the
 * Kubernetes API.  Option parsing (agent/core/cfg.c) reads nothing.
 */
#include <stdio.h>
#include <unistd.h>

#include "agent/core/cfg.h"
#include "agent/io/cni.h"
#include "agent/io/kube.h"
#include "agent/io/resolve.h"

bool
resolve_defaults(struct cfg *c, const struct kview *kv, uint32_t def_src,
	    char err[static CFG_ERR_MAX])
{
	char why[400], b[CIDR_STRLEN];

	if (!c->node_name[0]) {
		char host[CFG_NAME_MAX] = "";

		if (gethostname(host, sizeof(host) - 1) < 0 || !cfg_valid_name(host, 253)) {
			snprintf(err, CFG_ERR_MAX, "the hostname \"%s\" is not a node name: give --node-name",
				 host);
			return false;
		}
		snprintf(c->node_name, sizeof(c->node_name), "%s", host);
	}
	if (!c->node_ip)
		c->node_ip = def_src;
	if (!c->node_ip) {
		snprintf(err, CFG_ERR_MAX, "no default route to take the node IP from: give --node-ip");
		return false;
	}
	if (!kview_is_local(kv, c->node_ip)) {
		snprintf(err, CFG_ERR_MAX, "--node-ip %s is not an address of this node",
			 cidr_fmt_ip(c->node_ip, b));
		return false;
	}
	if (c->pod_cidrs.n == 0 && !cni_read_dir(c->cni_conf_dir, &c->pod_cidrs, why, sizeof(why))) {
		char kwhy[400];

		/* With --kubeconfig, discovery takes it from this node's Node. */
		if (c->discovery == CFG_DISC_KUBERNETES && c->kubeconfig[0])
			return true;
		if (!c->kube.host[0]) {
			snprintf(err, CFG_ERR_MAX, "no --pod-cidr given and %s", why);
			return false;
		}
		if (!kube_node_pod_cidrs(&c->kube, c->node_name, c->timeout * 5, &c->pod_cidrs, kwhy,
					 sizeof(kwhy))) {
			snprintf(err, CFG_ERR_MAX, "no --pod-cidr given, %.200s, and the Kubernetes API: %.250s",
				 why, kwhy);
			return false;
		}
	}
	if (c->cluster_cidrs.n == 0)
		c->cluster_cidrs = c->pod_cidrs;
	return true;
}
