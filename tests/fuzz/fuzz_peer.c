/*
 * Peer JSON: the parsers of /v1/node and /v1/peers answers (agent/daemon/
 * peer.c), which take whatever an address on the bridge sends.  Whatever
 * they accept must hold what the struct promises.
 */
#include <stdlib.h>

#include "agent/daemon/peer.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct peer_info info;	/* 40 kB: not on the stack */
	uint32_t ips[8];
	uint16_t ports[8];
	char err[256];
	char *body;
	int n;

	if (size > PEER_MAX_BODY)
		return 0;
	/* Exactly the body, no NUL after it, as curl hands it over. */
	if (!(body = malloc(size ? size : 1)))
		return 0;
	memcpy(body, data, size);
	if (peer_parse_node(body, size, &info, err, sizeof(err))) {
		if (info.npod_ips > PEER_MAX_POD_IPS || info.nprobe_addrs > PEER_MAX_PROBE_ADDRS ||
		    !info.cluster[0] || !info.node[0] || info.pod_cidrs.n > CIDR_LIST_MAX)
			abort();
	} else if (!memchr(err, '\0', sizeof(err)) || !err[0]) {
		abort();	/* a refusal says why */
	}
	n = peer_parse_peers(body, size, ips, ports, 8, err, sizeof(err));
	if (n > 8 || n < -1)
		abort();
	for (int i = 0; i < n; i++)
		if (ports[i] == 0)
			abort();
	free(body);
	return 0;
}
