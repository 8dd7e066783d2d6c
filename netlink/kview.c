#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netlink/kview.h"

void
kview_free(struct kview *kv)
{
	if (!kv)
		return;
	free(kv->links);
	free(kv->addrs);
	free(kv->routes);
	memset(kv, 0, sizeof(*kv));
}

const struct link *
kview_link(const struct kview *kv, int ifindex)
{
	for (size_t i = 0; i < kv->nlinks; i++)
		if (kv->links[i].index == ifindex)
			return &kv->links[i];
	return NULL;
}

const char *
kview_ifname(const struct kview *kv, int ifindex, char buf[static IF_NAMESIZE + 8])
{
	const struct link *l = kview_link(kv, ifindex);

	if (l)
		snprintf(buf, IF_NAMESIZE + 8, "%s", l->name);
	else
		snprintf(buf, IF_NAMESIZE + 8, "if%d", ifindex);
	return buf;
}

const struct addr4 *
kview_onlink(const struct kview *kv, uint32_t ip)
{
	const struct addr4 *best = NULL;

	for (size_t i = 0; i < kv->naddrs; i++) {
		const struct addr4 *a = &kv->addrs[i];
		uint32_t mask;

		/* A /32 holds only itself: pod gateways on veths are /32. */
		if (a->len >= 32 || a->local == ip)
			continue;
		mask = a->len ? ~(0xffffffffu >> a->len) : 0;
		if ((a->local & mask) != (ip & mask))
			continue;
		if (!best || a->len > best->len)
			best = a;
	}
	return best;
}

bool
kview_is_local(const struct kview *kv, uint32_t ip)
{
	for (size_t i = 0; i < kv->naddrs; i++)
		if (kv->addrs[i].local == ip)
			return true;
	return false;
}
