/* Node settings that decide whether forwarded pod traffic survives:
 * net.ipv4.ip_forward, rp_filter on the bridge side, and whether
 * iptables-legacy holds tables that nftables cannot see. */
#ifndef PODREACH_NODE_H
#define PODREACH_NODE_H

#include <stdbool.h>

struct node_sysctl {
	int ip_forward;		/* -1 when unreadable */
	int rp_all;		/* net.ipv4.conf.all.rp_filter */
	int rp_dev;		/* net.ipv4.conf.<dev>.rp_filter */
	char legacy_tables[128];	/* /proc/net/ip_tables_names, joined by ' ' */
};

/* Reads the settings under root ("/proc" normally; tests pass a directory
 * laid out the same way) for interface dev (may be NULL).  Never fails:
 * what cannot be read is -1 or empty. */
void node_read(const char *root, const char *dev, struct node_sysctl *out);

/* The rp_filter the kernel applies on dev: the larger of all and dev. */
int node_rp_effective(const struct node_sysctl *s);

#endif
