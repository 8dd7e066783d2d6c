#ifndef PODREACH_RESOLVE_H
#define PODREACH_RESOLVE_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/core/cfg.h"

struct kview;

/* Fills the defaults cfg_parse() left unset: node name from the hostname,
 * node IP from def_src (the default route's source, 0 if none), which must
 * be an address in kv, pod CIDRs from the CNI config or else the Node in
 * the Kubernetes API, the cluster CIDR from the pod CIDRs.  Returns false
 * with a message naming what is missing in err. */
bool resolve_defaults(struct cfg *c, const struct kview *kv, uint32_t def_src,
		      char err[static CFG_ERR_MAX]);

#endif
