/*
 * The kernel's view of one node, as plain values: links, IPv4 addresses and
 * the IPv4 routes of the main table.  netlink/ fills these; everything else
 * only reads them, so a test can build one by hand.
 */
#ifndef PODREACH_KVIEW_H
#define PODREACH_KVIEW_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* podreach's own rtm_protocol: `ip route show proto 152` lists exactly the
 * routes it owns.  Unassigned in iproute2's rt_protos and not used by the CNIs
 * we know of (Calico uses 80, BIRD 12, zebra 11). */
#define PODREACH_RTPROT 152

/* An IPv4 prefix; addr is in host byte order with the host bits cleared. */
struct prefix4 {
	uint32_t addr;
	uint8_t len;
};

struct link {
	int index;
	char name[IF_NAMESIZE];
	char kind[16];		/* "veth", "bridge", ... or "" */
	unsigned int flags;	/* IFF_* */
	unsigned int mtu;
	int master;		/* ifindex of the bridge it is enslaved to, or 0 */
};

struct addr4 {
	int ifindex;
	uint32_t local;		/* host order */
	uint8_t len;		/* prefix length */
};

struct route4 {
	struct prefix4 dst;
	uint32_t gw;		/* host order, 0 when none */
	uint32_t prefsrc;	/* host order, 0 when none */
	uint32_t priority;
	uint32_t table;
	int oif;
	uint8_t protocol;	/* RTPROT_* */
	uint8_t scope;		/* RT_SCOPE_* */
	uint8_t type;		/* RTN_* */
};

struct kview {
	struct link *links;
	size_t nlinks;
	struct addr4 *addrs;
	size_t naddrs;
	struct route4 *routes;	/* main table only */
	size_t nroutes;
};

/* Frees what kv holds (not kv itself); NULL-safe. */
void kview_free(struct kview *kv);

/* Returns the link name for ifindex into buf ("if<N>" when unknown). */
const char *kview_ifname(const struct kview *kv, int ifindex, char buf[static IF_NAMESIZE + 8]);

/* Returns the address whose subnet (len < 32) holds ip, longest prefix first,
 * or NULL: that is the interface a gateway at ip is reached on. */
const struct addr4 *kview_onlink(const struct kview *kv, uint32_t ip);

/* Returns true when ip is one of the node's own addresses. */
bool kview_is_local(const struct kview *kv, uint32_t ip);

/* Returns the first of the node's own addresses inside one of the n
 * prefixes (the pod gateway, for the pod CIDRs), or 0. */
uint32_t kview_local_in(const struct kview *kv, const struct prefix4 *p, size_t n);

#endif
