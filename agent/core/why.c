/*
 * One flow, both ends (agent/core/why.h).  The sender asks its own kernel
 * and ruleset; the receiver its own; each hop names the node, the stage and,
 * where a rule decides, its table, chain and handle as `nft -a` shows them.
 */
#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "agent/core/cidr.h"
#include "agent/core/why.h"

bool
why_parse_target(const char *s, uint16_t defport, uint32_t *ip, uint16_t *port, char *err,
		 size_t errlen)
{
	char host[CIDR_STRLEN], *end;
	const char *colon = s ? strchr(s, ':') : NULL;
	size_t hl = colon ? (size_t)(colon - s) : (s ? strlen(s) : 0);
	unsigned long p = defport;

	if (!s || hl == 0 || hl >= sizeof(host)) {
		snprintf(err, errlen, "want IP[:PORT], e.g. 10.244.1.5:5000");
		return false;
	}
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (!cidr_parse_ip(host, ip)) {
		snprintf(err, errlen, "\"%.40s\" is not an IPv4 address", host);
		return false;
	}
	if (colon) {
		errno = 0;
		p = strtoul(colon + 1, &end, 10);
		if (colon[1] < '0' || colon[1] > '9' || *end || errno || p == 0 || p > 65535) {
			snprintf(err, errlen, "port \"%.20s\": want 1 to 65535", colon + 1);
			return false;
		}
	}
	*port = (uint16_t)p;
	return true;
}

static struct why_hop *
add_hop(struct why_trace *t, const struct cfg *c, const char *stage)
{
	struct why_hop *h;

	if (t->nhops == WHY_MAX_HOPS)
		return NULL;
	h = &t->hops[t->nhops++];
	memset(h, 0, sizeof(*h));
	snprintf(h->node, sizeof(h->node), "%s", c->node_name);
	snprintf(h->cluster, sizeof(h->cluster), "%s", c->cluster);
	snprintf(h->stage, sizeof(h->stage), "%s", stage);
	return h;
}

void
why_note(struct why_trace *t, const char *node, const char *cluster, const char *stage,
	 const char *verdict, const char *fmt, ...)
{
	struct why_hop *h;
	va_list ap;

	if (t->nhops == WHY_MAX_HOPS)
		return;
	h = &t->hops[t->nhops++];
	memset(h, 0, sizeof(*h));
	snprintf(h->node, sizeof(h->node), "%s", node ? node : "");
	snprintf(h->cluster, sizeof(h->cluster), "%s", cluster ? cluster : "");
	snprintf(h->stage, sizeof(h->stage), "%s", stage);
	snprintf(h->verdict, sizeof(h->verdict), "%s", verdict);
	va_start(ap, fmt);
	vsnprintf(h->message, sizeof(h->message), fmt, ap);
	va_end(ap);
}

/* The address masquerade picks: the route's preferred source, else the
 * first address of the outgoing interface. */
static uint32_t
masq_addr(const struct kview *kv, const struct route4 *r)
{
	if (r->prefsrc)
		return r->prefsrc;
	for (size_t i = 0; i < kv->naddrs; i++)
		if (kv->addrs[i].ifindex == r->oif)
			return kv->addrs[i].local;
	return 0;
}

/* One hop per hook where a chain ran or the flow did not simply pass; a
 * path no chain touched is one accept hop.  Returns false when it blocks. */
static bool
fw_hops(struct why_trace *t, const struct cfg *c, const struct fw_result *res, size_t n,
	const char *stage, const char *quiet)
{
	size_t shown = 0;

	for (size_t k = 0; k < n; k++) {
		const struct fw_result *r = &res[k];
		bool nat = r->verdict == FW_MASQUERADE || r->verdict == FW_SNAT ||
			   r->verdict == FW_DNAT;
		struct why_hop *h;

		if (!r->table[0] && r->verdict == FW_ACCEPT)
			continue;
		if (!(h = add_hop(t, c, nat && !strcmp(stage, "firewall") ? "nat" : stage)))
			return false;
		shown++;
		snprintf(h->hook, sizeof(h->hook), "%s", fw_hook_name(r->hook));
		snprintf(h->verdict, sizeof(h->verdict), "%s", fw_verdict_name(r->verdict));
		snprintf(h->table, sizeof(h->table), "%s", r->table);
		snprintf(h->chain, sizeof(h->chain), "%s", r->chain);
		h->handle = r->handle;
		snprintf(h->message, sizeof(h->message), "%.200s%s%.100s", r->rule,
			 r->reason[0] ? "; not understood: " : "", r->reason);
		if (r->verdict == FW_DROP || r->verdict == FW_REJECT)
			return false;
	}
	if (!shown)
		why_note(t, c->node_name, c->cluster, stage, "accept", "%s", quiet);
	return true;
}

static void
route_hop(struct why_trace *t, const struct why_out *in)
{
	const struct route4 *r = &in->route;
	struct why_hop *h = add_hop(t, in->n.cfg, "route");
	char d[CIDR_STRLEN], g[CIDR_STRLEN], dev[IF_NAMESIZE + 8];

	if (!h)
		return;
	cidr_fmt_ip(in->dst, d);
	snprintf(h->verdict, sizeof(h->verdict), "drop");
	if (in->route_err)
		snprintf(h->message, sizeof(h->message), "no route to %s: %s", d,
			 strerror(-in->route_err));
	else if (r->type == RTN_LOCAL)
		snprintf(h->message, sizeof(h->message), "%s is an address of this node", d);
	else if (r->type != RTN_UNICAST)
		snprintf(h->message, sizeof(h->message), "packets for %s are dropped here "
			 "(blackhole, unreachable or prohibit route)", d);
	else {
		snprintf(h->verdict, sizeof(h->verdict), "accept");
		snprintf(h->message, sizeof(h->message), "%s goes %s%s dev %s", d, r->gw ? "via " : "",
			 r->gw ? cidr_fmt_ip(r->gw, g) : "on-link", kview_ifname(in->n.kv, r->oif, dev));
	}
	if (r->type == RTN_LOCAL && !in->route_err)
		snprintf(h->verdict, sizeof(h->verdict), "accept");
}

void
why_sender(const struct why_out *in, struct why_trace *t, uint32_t *leaves_as)
{
	struct fw_ctx ctx = { in->n.kv->addrs, in->n.kv->naddrs, NULL };
	struct fw_result res[3];
	struct fw_flow f;
	char dev[IF_NAMESIZE + 8], a[CIDR_STRLEN];
	size_t n;

	*leaves_as = in->src;
	route_hop(t, in);
	if (in->route_err || in->route.type != RTN_UNICAST)
		return;
	if (!in->n.rs) {
		why_note(t, in->n.cfg->node_name, in->n.cfg->cluster, "firewall", "unknown",
			 "the ruleset could not be read here");
		return;
	}
	fw_flow_init(&f, in->src, in->dst, in->port);
	f.oif = in->route.oif;
	snprintf(f.oifname, sizeof(f.oifname), "%s", kview_ifname(in->n.kv, f.oif, dev));
	if (in->src_iif) {
		f.iif = in->src_iif;
		snprintf(f.iifname, sizeof(f.iifname), "%s", kview_ifname(in->n.kv, f.iif, dev));
		n = fw_eval_forward(in->n.rs, &ctx, &f, res);
	} else
		n = fw_eval_local(in->n.rs, &ctx, &f, res);
	if (!fw_hops(t, in->n.cfg, res, n, "firewall", "no rule here stops it"))
		return;
	for (size_t k = 0; k < n; k++)
		if (res[k].verdict == FW_MASQUERADE)
			*leaves_as = masq_addr(in->n.kv, &in->route);
		else if (res[k].verdict == FW_SNAT)
			*leaves_as = 0;
	if (*leaves_as && *leaves_as != in->src && t->nhops)
		snprintf(t->hops[t->nhops - 1].message + strlen(t->hops[t->nhops - 1].message),
			 WHY_MSG_LEN - strlen(t->hops[t->nhops - 1].message), "; leaves as %s",
			 cidr_fmt_ip(*leaves_as, a));
}

/* rp_filter for src arriving on iif, and the route back to it. */
static void
back_hops(struct why_trace *t, const struct why_in *in)
{
	const struct cfg *c = in->n.cfg;
	char s[CIDR_STRLEN], dev[IF_NAMESIZE + 8], odev[IF_NAMESIZE + 8], g[CIDR_STRLEN];
	bool none = in->back_err || in->back.type != RTN_UNICAST;
	bool asym = !none && in->back.oif != in->iif;

	cidr_fmt_ip(in->src, s);
	kview_ifname(in->n.kv, in->iif, dev);
	if (!none)
		kview_ifname(in->n.kv, in->back.oif, odev);
	if (in->rp && none)
		why_note(t, c->node_name, c->cluster, "rp_filter", "drop", "rp_filter %d on %s drops "
			 "packets from %s: there is no route back to it", in->rp, dev, s);
	else if (in->rp == 1 && asym)
		why_note(t, c->node_name, c->cluster, "rp_filter", "drop", "strict rp_filter on %s drops "
			 "packets from %s: the route back leaves through %s (fix: sysctl -w "
			 "net.ipv4.conf.all.rp_filter=2 net.ipv4.conf.%s.rp_filter=2)", dev, s, odev, dev);
	else
		why_note(t, c->node_name, c->cluster, "rp_filter", "accept", "rp_filter %d on %s "
			 "lets packets from %s in", in->rp, dev, s);
	if (none)
		why_note(t, c->node_name, c->cluster, "route-back", "drop", "no route back to %s%s%s: "
			 "replies are lost", s, in->back_err ? ": " : "",
			 in->back_err ? strerror(-in->back_err) : "");
	else
		why_note(t, c->node_name, c->cluster, "route-back", "accept", "replies to %s go %s%s "
			 "dev %s%s", s, in->back.gw ? "via " : "", in->back.gw ? cidr_fmt_ip(in->back.gw, g)
			 : "on-link", odev, asym ? ": not the way they came (asymmetric: conntrack on "
			 "the other path sees half the connection)" : "");
}

/* The reply through this node's firewall: established as conntrack sees a
 * symmetric path, invalid when the way back differs from the way in. */
static void
return_hops(struct why_trace *t, const struct why_in *in, bool local)
{
	struct fw_ctx ctx = { in->n.kv->addrs, in->n.kv->naddrs, NULL };
	struct fw_result res[3];
	struct fw_flow f;
	char dev[IF_NAMESIZE + 8];
	size_t n;

	fw_flow_init(&f, in->dst, in->src, 32768);
	f.sport = in->port;
	f.ctstate = in->back.oif == in->iif ? FW_CT_ESTABLISHED : FW_CT_INVALID;
	f.oif = in->back.oif;
	snprintf(f.oifname, sizeof(f.oifname), "%s", kview_ifname(in->n.kv, f.oif, dev));
	if (local)
		n = fw_eval_local(in->n.rs, &ctx, &f, res);
	else {
		f.iif = in->to_dst.oif;
		snprintf(f.iifname, sizeof(f.iifname), "%s", kview_ifname(in->n.kv, f.iif, dev));
		n = fw_eval_forward(in->n.rs, &ctx, &f, res);
	}
	fw_hops(t, in->n.cfg, res, n, "return", "no rule stops the replies");
}

void
why_receiver(const struct why_in *in, struct why_trace *t)
{
	const struct cfg *c = in->n.cfg;
	struct fw_ctx ctx = { in->n.kv->addrs, in->n.kv->naddrs, NULL };
	struct fw_result res[3];
	struct fw_flow f;
	char dev[IF_NAMESIZE + 8], d[CIDR_STRLEN];
	bool local = !in->dst_err && in->to_dst.type == RTN_LOCAL;
	bool ok;
	size_t n;

	cidr_fmt_ip(in->dst, d);
	if (!local && (in->dst_err || in->to_dst.type != RTN_UNICAST || in->to_dst.gw)) {
		why_note(t, c->node_name, c->cluster, "route", "drop", "%s is not delivered here: %s", d,
			 in->dst_err ? strerror(-in->dst_err) : in->to_dst.gw ? "it is routed on via a "
			 "gateway" : "no unicast route");
		return;
	}
	if (!in->n.rs)
		why_note(t, c->node_name, c->cluster, "firewall", "unknown",
			 "the ruleset could not be read here");
	else {
		fw_flow_init(&f, in->src, in->dst, in->port);
		f.iif = in->iif;
		snprintf(f.iifname, sizeof(f.iifname), "%s", kview_ifname(in->n.kv, f.iif, dev));
		if (!local) {
			f.oif = in->to_dst.oif;
			snprintf(f.oifname, sizeof(f.oifname), "%s", kview_ifname(in->n.kv, f.oif, dev));
		}
		n = local ? fw_eval_input(in->n.rs, &ctx, &f, res) : fw_eval_forward(in->n.rs, &ctx, &f, res);
		ok = fw_hops(t, c, res, n, "firewall", "no rule here stops it");
		if (!ok)
			return;
	}
	back_hops(t, in);
	if (in->n.rs && !in->back_err && in->back.type == RTN_UNICAST)
		return_hops(t, in, local);
}

static bool
blocks(const struct why_hop *h)
{
	return !strcmp(h->verdict, "drop") || !strcmp(h->verdict, "reject");
}

const struct why_hop *
why_blocker(const struct why_trace *t)
{
	for (size_t i = 0; i < t->nhops; i++)
		if (blocks(&t->hops[i]))
			return &t->hops[i];
	return NULL;
}

void
why_finish(struct why_trace *t)
{
	bool unknown = !t->probe.done || strcmp(t->probe.result, "open");

	for (size_t i = 0; i < t->nhops; i++)
		unknown = unknown || !strcmp(t->hops[i].verdict, "unknown");
	snprintf(t->verdict, sizeof(t->verdict), "%s",
		 why_blocker(t) ? "blocked" : unknown ? "unknown" : "open");
}

int
why_exit(const struct why_trace *t)
{
	return strcmp(t->verdict, "open") ? 1 : 0;
}
