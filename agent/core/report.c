/*
 * The report's shared pieces: the one list of problem codes, severities,
 * and how a route is written, for diagnosis (diag.c) and rendering (render.c).
 */
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>

#include "agent/core/report.h"

static const char *const code_names[PC_COUNT] = {
	[PC_ROUTE_MISSING] = "route-missing",
	[PC_ROUTE_WRONG_GATEWAY] = "route-wrong-gateway",
	[PC_ROUTE_CONFLICT] = "route-conflict",
	[PC_POD_CIDR_OVERLAP] = "pod-cidr-overlap",
	[PC_CIDR_REJECTED] = "cidr-rejected",
	[PC_PEER_NOT_ON_LINK] = "peer-not-on-link",
	[PC_PEER_UNREACHABLE] = "peer-unreachable",
	[PC_PEER_INVALID] = "peer-invalid",
	[PC_FIREWALL_DROP] = "firewall-drop",
	[PC_FIREWALL_MASQUERADE] = "firewall-masquerade",
	[PC_IP_FORWARD_DISABLED] = "ip-forward-disabled",
	[PC_RP_FILTER_STRICT] = "rp-filter-strict",
	[PC_IPTABLES_LEGACY_RULES] = "iptables-legacy-rules",
	[PC_PROBE_FAILED] = "probe-failed",
	[PC_API_UNREACHABLE] = "api-unreachable",
	[PC_API_FORBIDDEN] = "api-forbidden",
	[PC_PEER_CONFLICT] = "peer-conflict",
	[PC_NO_PROBE_TARGETS] = "no-probe-targets",
	[PC_MTU_MISMATCH] = "mtu-mismatch",
	[PC_ROUTE_STALE] = "route-stale",
};

const char *
report_code_name(enum problem_code c)
{
	return (unsigned)c < PC_COUNT && code_names[c] ? code_names[c] : "unknown";
}

const char *
report_sev_name(enum severity sev)
{
	return sev == SEV_ERROR ? "error" : sev == SEV_WARNING ? "warning" : "info";
}

size_t
report_count(const struct report *r, enum severity sev)
{
	size_t n = 0;

	for (size_t i = 0; i < r->nproblems; i++)
		n += r->problems[i].sev == sev;
	return n;
}

static const char *
proto_name(uint8_t p, char buf[static 8])
{
	switch (p) {
	case RTPROT_REDIRECT: return "redirect";
	case RTPROT_KERNEL: return "kernel";
	case RTPROT_BOOT: return "boot";
	case RTPROT_STATIC: return "static";
	case RTPROT_DHCP: return "dhcp";
	case 11: return "zebra";
	case 12: return "bird";
	}
	snprintf(buf, 8, "%u", p);
	return buf;
}

void
report_fmt_route(const struct kview *kv, const struct route4 *rt, char *buf, size_t len)
{
	static const char *types[] = {
		[RTN_BLACKHOLE] = "blackhole ", [RTN_UNREACHABLE] = "unreachable ",
		[RTN_PROHIBIT] = "prohibit ", [RTN_THROW] = "throw ", [RTN_LOCAL] = "local ",
	};
	char d[CIDR_STRLEN], g[CIDR_STRLEN], dev[IF_NAMESIZE + 8], pb[8];
	const char *type = rt->type < sizeof(types) / sizeof(types[0]) && types[rt->type]
			   ? types[rt->type] : "";
	int n;

	n = snprintf(buf, len, "%s%s", type, rt->dst.len ? cidr_fmt(&rt->dst, d) : "default");
	if (rt->gw && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, " via %s", cidr_fmt_ip(rt->gw, g));
	if (rt->oif && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, " dev %s", kview_ifname(kv, rt->oif, dev));
	if (rt->protocol && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, " proto %s", proto_name(rt->protocol, pb));
	if (rt->priority && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " metric %u", rt->priority);
}
