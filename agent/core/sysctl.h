/* Node settings that decide whether forwarded pod traffic survives, as plain
 * values (agent/io/node.c reads them from /proc). */
#ifndef PODREACH_SYSCTL_H
#define PODREACH_SYSCTL_H

struct node_sysctl {
	int ip_forward;		/* -1 when unreadable */
	int rp_all;		/* net.ipv4.conf.all.rp_filter */
	int rp_dev;		/* net.ipv4.conf.<dev>.rp_filter */
	char legacy_tables[128];	/* /proc/net/ip_tables_names, joined by ' ' */
};

/* The rp_filter the kernel applies on the device: the larger of all and dev. */
static inline int
sysctl_rp_effective(const struct node_sysctl *s)
{
	return s->rp_all > s->rp_dev ? s->rp_all : s->rp_dev;
}

#endif
