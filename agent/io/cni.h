/* The pod CIDR of this node from the CNI config kindnet writes
 * (/etc/cni/net.d/10-kindnet.conflist, host-local "ranges"). */
#ifndef PODREACH_CNI_H
#define PODREACH_CNI_H

#include <stdbool.h>
#include <stddef.h>

#include "agent/core/cidr.h"

#define CNI_MAX_BYTES (1 << 20)

/* Parses one .conf or .conflist document: the IPv4 subnets of its first
 * host-local IPAM ("ranges", or the older "subnet").  IPv6 ranges are
 * skipped.  Returns false and says why in err. */
bool cni_parse(const char *json, size_t len, struct cidr_list *out, char *err, size_t errlen);

/* Reads the files of dir in name order, as the kubelet does, and parses the
 * first *.conflist / *.conf / *.json file.  Returns false and says why. */
bool cni_read_dir(const char *dir, struct cidr_list *out, char *err, size_t errlen);

#endif
