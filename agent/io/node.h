/* Node settings that decide whether forwarded pod traffic survives:
 * net.ipv4.ip_forward, rp_filter on the bridge side, and whether
 * iptables-legacy holds tables that nftables cannot see. */
#ifndef PODREACH_NODE_H
#define PODREACH_NODE_H

#include <stdbool.h>

#include "agent/core/sysctl.h"


/* Reads the settings under root ("/proc" normally; tests pass a directory
 * laid out the same way) for interface dev (may be NULL).  Never fails:
 * what cannot be read is -1 or empty. */
void node_read(const char *root, const char *dev, struct node_sysctl *out);


#endif
