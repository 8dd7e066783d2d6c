#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netlink/kview.h"

static uint32_t
mask(uint8_t len)
{
	return len == 0 ? 0 : len >= 32 ? 0xffffffffu : ~(0xffffffffu >> len);
}

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

static const struct link *
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
		uint32_t m;

		/* A /32 holds only itself: pod gateways on veths are /32. */
		if (a->len >= 32 || a->local == ip)
			continue;
		m = mask(a->len);
		if ((a->local & m) != (ip & m))
			continue;
		if (!best || a->len > best->len)
			best = a;
	}
	return best;
}

uint32_t
kview_local_in(const struct kview *kv, const struct prefix4 *p, size_t n)
{
	for (size_t i = 0; i < kv->naddrs; i++)
		for (size_t k = 0; k < n; k++)
			if ((kv->addrs[i].local & mask(p[k].len)) == p[k].addr)
				return kv->addrs[i].local;
	return 0;
}

bool
kview_is_local(const struct kview *kv, uint32_t ip)
{
	for (size_t i = 0; i < kv->naddrs; i++)
		if (kv->addrs[i].local == ip)
			return true;
	return false;
}
