/*
 * The rtnetlink parsers (netlink/route.c) over any message body.  The first
 * byte picks link, address or route; the rest follows an nlmsghdr whose
 * length is the input's, in a buffer of exactly that size so that ASan
 * sees any read past the message.
 */
#include <linux/rtnetlink.h>
#include <stdlib.h>

#include "netlink/route.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t types[] = { RTM_NEWLINK, RTM_NEWADDR, RTM_NEWROUTE, RTM_DELROUTE };
	struct nlmsghdr *nlh;
	size_t len;
	union {
		struct link l;
		struct addr4 a;
		struct route4 r;
	} out;

	if (size < 1 || size > 65536)
		return 0;
	len = NLMSG_HDRLEN + size - 1;
	if (!(nlh = malloc(len)))
		return 0;
	memset(nlh, 0, NLMSG_HDRLEN);
	nlh->nlmsg_len = (uint32_t)len;
	nlh->nlmsg_type = types[data[0] % 4];
	memcpy((char *)nlh + NLMSG_HDRLEN, data + 1, size - 1);
	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK: {
		int r = route_parse_link(nlh, &out.l);

		/* A parsed name is a C string within its buffer. */
		if (r == 1 && strnlen(out.l.name, sizeof(out.l.name)) == sizeof(out.l.name))
			abort();
		break;
	}
	case RTM_NEWADDR:
		if (route_parse_addr(nlh, &out.a) == 1 && out.a.len > 32)
			abort();
		break;
	default:
		if (route_parse_route(nlh, &out.r) == 1 && out.r.dst.len > 32)
			abort();
		break;
	}
	free(nlh);
	return 0;
}
