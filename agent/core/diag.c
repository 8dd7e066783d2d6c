/*
 * Diagnosis: each problem names what is wrong and what fixes it.  Pure: it
 * reads the report's inputs and fills r->problems.
 */
#include <linux/rtnetlink.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/core/diag.h"
#include "agent/core/report.h"

/* Adds one problem (deduplicated on code and message); false when full. */
static bool __attribute__((format(printf, 6, 7)))
report_add(struct report *r, enum problem_code code, enum severity sev, int route,
	   const char *fix, const char *fmt, ...)
{
	struct problem *p;
	char msg[sizeof(p->message)];
	va_list ap;

	/* Full: nothing more fits, duplicate or not (and thousands of failed
	 * probes must not each be compared with every problem). */
	if (r->nproblems == REPORT_MAX_PROBLEMS)
		return false;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < r->nproblems; i++)
		if (r->problems[i].code == code && !strcmp(r->problems[i].message, msg))
			return true;
	p = &r->problems[r->nproblems++];
	p->code = code;
	p->sev = sev;
	p->route = route;
	snprintf(p->message, sizeof(p->message), "%s", msg);
	snprintf(p->fix, sizeof(p->fix), "%s", fix ? fix : "");
	return true;
}


/* "node 172.18.0.2" or "node c1n1 (172.18.0.2) of cluster1" */
static void
who(const struct report *r, const struct plan_route *pr, char *buf, size_t len)
{
	const struct plan_remote *rm = &r->remotes[pr->remote];
	char ip[CIDR_STRLEN];

	cidr_fmt_ip(rm->node_ip, ip);
	if (rm->node && rm->cluster)
		snprintf(buf, len, "node %s (%s) of %s", rm->node, ip, rm->cluster);
	else
		snprintf(buf, len, "node %s", ip);
}

/* Where packets for dst go now, from the FIB lookup: "; packets for X now go ...". */
static void
where_now(const struct report *r, const struct plan_route *pr, char *buf, size_t len)
{
	char ip[CIDR_STRLEN], gw[CIDR_STRLEN], dev[IF_NAMESIZE + 8];
	const struct route4 *f = &pr->fib;

	buf[0] = '\0';
	if (!pr->has_fib)
		return;
	cidr_fmt_ip(pr->dst.addr + (pr->dst.len < 31), ip);
	if (pr->fib_err)
		snprintf(buf, len, "; packets for %s are refused here: %s", ip, strerror(-pr->fib_err));
	else if (f->type != RTN_UNICAST)
		snprintf(buf, len, "; packets for %s are %s here", ip,
			 f->type == RTN_LOCAL ? "delivered locally" : "dropped (blackhole/unreachable)");
	else if (f->gw)
		snprintf(buf, len, "; packets for %s now go via %s dev %s", ip, cidr_fmt_ip(f->gw, gw),
			 kview_ifname(r->kv, f->oif, dev));
	else
		snprintf(buf, len, "; packets for %s now go out dev %s as if on-link", ip,
			 kview_ifname(r->kv, f->oif, dev));
}

#define KIND_FIX "give each kind cluster its own range: networking.podSubnet in the kind config " \
		 "(e.g. 10.244.0.0/16 and 10.245.0.0/16), then recreate the cluster"

static void
diag_rejected(struct report *r, int i, const struct plan_route *pr, const char *by)
{
	char d[CIDR_STRLEN], c[CIDR_STRLEN], dev[IF_NAMESIZE + 8], o[CIDR_STRLEN];

	cidr_fmt(&pr->dst, d);
	cidr_fmt(&pr->clash, c);
	switch (pr->why) {
	case WHY_DEFAULT:
		report_add(r, PC_CIDR_REJECTED, SEV_ERROR, i, "a remote node must advertise only its pod CIDRs",
			   "%s advertises %s, a default route: refused", by, d);
		break;
	case WHY_NOT_ALLOWED:
		report_add(r, PC_CIDR_REJECTED, SEV_ERROR, i,
			   "if it really is a pod range, allow it with --allow-cidr",
			   "%s advertises %s, outside --allow-cidr: refused", by, d);
		break;
	case WHY_POD_OVERLAP:
		report_add(r, PC_POD_CIDR_OVERLAP, SEV_ERROR, i, KIND_FIX,
			   "%s has pod CIDR %s, which overlaps this cluster's %s: those pod IPs are "
			   "local here, so no route can reach them", by, d, c);
		break;
	case WHY_SERVICE_OVERLAP:
		report_add(r, PC_CIDR_REJECTED, SEV_ERROR, i,
			   "give the clusters distinct networking.serviceSubnet values",
			   "%s advertises %s, which overlaps this cluster's service CIDR %s%s: refused",
			   by, d, c, pr->clash_assumed ? " (kind's default serviceSubnet, assumed: "
			   "give --service-cidr if this cluster uses another)" : "");
		break;
	case WHY_GW_SPECIAL:
		report_add(r, PC_PEER_INVALID, SEV_ERROR, i,
			   "check the Node's InternalIP: no node can hold its subnet's network or "
			   "broadcast address",
			   "%s is the network or broadcast address of its subnet; %s refused", by, d);
		break;
	case WHY_IFACE_OVERLAP:
		report_add(r, PC_CIDR_REJECTED, SEV_ERROR, i,
			   "a pod range must not overlap the node's networks; check the remote's podSubnet",
			   "%s advertises %s, which overlaps %s on %s, a network of this node: refused",
			   by, d, c, kview_ifname(r->kv, pr->clash_ifindex, dev));
		break;
	case WHY_REMOTE_OVERLAP:
		report_add(r, PC_POD_CIDR_OVERLAP, SEV_ERROR, i, KIND_FIX,
			   "%s has pod CIDR %s, which overlaps %s of node %s: two remote clusters share "
			   "pod IPs, so neither can be routed", by, d, c, cidr_fmt_ip(pr->clash_node, o));
		break;
	case WHY_SELF:
		report_add(r, PC_PEER_INVALID, SEV_ERROR, i,
			   "list only other nodes in --remote / --peers",
			   "%s is this node's own address; %s refused", by, d);
		break;
	case WHY_NOT_ONLINK:
		report_add(r, PC_PEER_NOT_ON_LINK, SEV_ERROR, i,
			   "podreach routes only to nodes on a network shared with this node "
			   "(the docker bridge of kind): check the node IP",
			   "%s is on no network of this node, so %s cannot be routed via it", by, d);
		break;
	case WHY_NONE:
		break;
	}
}

static void
diag_route(struct report *r, int i, const struct plan_route *pr)
{
	char d[CIDR_STRLEN], v[CIDR_STRLEN], dev[IF_NAMESIZE + 8], by[96], now[160], fix[384];
	char seen[160], err[96] = "";

	cidr_fmt(&pr->dst, d);
	cidr_fmt_ip(pr->via, v);
	kview_ifname(r->kv, pr->oif, dev);
	who(r, pr, by, sizeof(by));
	where_now(r, pr, now, sizeof(now));
	if (pr->apply_err)
		snprintf(err, sizeof(err), "; enforce failed: %s", strerror(-pr->apply_err));
	if (pr->has_observed)
		report_fmt_route(r->kv, &pr->observed, seen, sizeof(seen));
	switch (pr->state) {
	case PLAN_MISSING:
		snprintf(fix, sizeof(fix), "podreach check --mode enforce, or: ip route add %s via %s "
			 "dev %s proto %d", d, v, dev, PODREACH_RTPROT);
		report_add(r, PC_ROUTE_MISSING, SEV_ERROR, i, fix, "no route to %s (pods of %s)%s%s",
			   d, by, now, err);
		break;
	case PLAN_WRONG_GW:
		snprintf(fix, sizeof(fix), "podreach check --mode enforce, or: ip route replace %s via "
			 "%s dev %s proto %d", d, v, dev, PODREACH_RTPROT);
		report_add(r, PC_ROUTE_WRONG_GATEWAY, SEV_ERROR, i, fix,
			   "podreach's route \"%s\" should go via %s dev %s (pods of %s)%s", seen, v,
			   dev, by, err);
		break;
	case PLAN_CONFLICT:
		snprintf(fix, sizeof(fix), "find out who added it; if it is stale: ip route del %s "
			 "(podreach never changes a route it does not own)", seen);
		report_add(r, PC_ROUTE_CONFLICT, SEV_ERROR, i, fix,
			   "\"%s\" is in the way of %s via %s (pods of %s) and is not podreach's",
			   seen, d, v, by);
		break;
	case PLAN_REJECTED:
		diag_rejected(r, i, pr, by);
		break;
	default:
		break;
	}
}

/* The rp_filter the kernel applies to what arrives on ifindex: the larger
 * of all and the device's own, which was read for the bridge only (for
 * another device, all is what is known: at least that). */
static int
rp_on(const struct report *r, int ifindex)
{
	char dev[IF_NAMESIZE + 8];

	if (!strcmp(kview_ifname(r->kv, ifindex, dev), r->bridge_dev))
		return sysctl_rp_effective(&r->sysctl);
	return r->sysctl.rp_all;
}

/* The main table's most specific route holding ip, or NULL. */
static const struct route4 *
route_to(const struct kview *kv, uint32_t ip)
{
	const struct route4 *best = NULL;

	for (size_t i = 0; i < kv->nroutes; i++)
		if (cidr_contains_ip(&kv->routes[i].dst, ip) &&
		    (!best || kv->routes[i].dst.len > best->dst.len))
			best = &kv->routes[i];
	return best;
}

/* The routes that could take a way back off the device oif: those of
 * other devices, and blackholes and the like.  A table of 65,536 remote
 * CIDRs holds a handful; walking it whole for each source would not do. */
struct back_ix {
	const struct kview *kv;
	int oif;		/* what idx is for; 0: not built */
	size_t *idx, n;
	bool full;		/* out of memory: walk the table */
};

/* The way back to ip when it may leave other than through oif, else NULL
 * (through oif, or no route at all: nothing to say).  A route of oif with
 * prefix length floor holds ip: only what is more specific can take it. */
static const struct route4 *
back_route(struct back_ix *x, int oif, uint32_t ip, int floor)
{
	const struct kview *kv = x->kv;
	bool other = false;

	if (!x->full && x->oif != oif) {
		x->n = 0;
		x->oif = oif;
		for (size_t i = 0; i < kv->nroutes; i++)
			if (kv->routes[i].type != RTN_UNICAST || kv->routes[i].oif != oif)
				x->idx[x->n++] = i;
	}
	for (size_t k = 0; !x->full && k < x->n && !other; k++)
		other = kv->routes[x->idx[k]].dst.len > floor &&
			cidr_contains_ip(&kv->routes[x->idx[k]].dst, ip);
	return x->full || other ? route_to(kv, ip) : NULL;
}

/* Notes for the matrix and the probes that rp_filter on dev drops what
 * node ip sends from src (odev: where the way back leaves; NULL: there is
 * none). */
static void
back_cause(struct report *r, uint32_t ip, const struct prefix4 *src, int rp, const char *dev,
	   const char *odev)
{
	struct report_back *b;

	if (r->nback == REPORT_MAX_BACK)
		return;
	b = &r->back[r->nback++];
	b->from_ip = ip;
	b->src = *src;
	snprintf(b->cause, sizeof(b->cause), "%s on %s drops it (%s%s)", rp == 1 ?
		 "strict rp_filter" : "rp_filter 2", dev, odev ? "the way back leaves through " :
		 "no route back", odev ? odev : "");
}

/* What arrives from src on pr's device, and the way back to it (back NULL:
 * none): rp_filter drops it when strict and the way back leaves through
 * another device, or when there is no way back at all.  Under a lenient
 * rp_filter a way back through another device is a foreign route in the
 * way (foreign), unless it is pr's own problem, already reported. */
static bool
diag_back_one(struct report *r, const struct plan_route *pr, const char *src, bool node,
	      bool foreign, int back_err, const struct route4 *back)
{
	char by[96], dev[IF_NAMESIZE + 8], odev[IF_NAMESIZE + 8], fix[384], line[160];
	const char *self = r->cfg->node_name[0] ? r->cfg->node_name : "this node";
	bool none = back_err || !back || back->type != RTN_UNICAST;
	bool asym = !none && back->oif != pr->oif;
	int rp = rp_on(r, pr->oif);

	who(r, pr, by, sizeof(by));
	kview_ifname(r->kv, pr->oif, dev);
	if (!none)
		kview_ifname(r->kv, back->oif, odev);
	if (rp > 0 && (none || (rp == 1 && asym))) {
		back_cause(r, pr->via, node ? &(struct prefix4){ pr->via, 32 } : &pr->dst, rp, dev,
			   none ? NULL : odev);
		snprintf(fix, sizeof(fix), none ? "give it a route back (for pods: podreach check --mode "
			 "enforce), or sysctl -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.%s.rp_filter=0"
			 : "sysctl -w net.ipv4.conf.all.rp_filter=2 net.ipv4.conf.%s.rp_filter=2 (loose), "
			 "or route it back through the device it arrives on", dev);
		return report_add(r, PC_RP_FILTER_STRICT, SEV_ERROR, -1, fix, "on %.80s: %s rp_filter%s "
				  "on %s drops what arrives from %s (%s%s): %s%s", self, rp == 1 ? "strict" :
				  "loose", rp == 1 ? "" : " 2", dev, src, node ? "" : "pods of ", by,
				  none ? "there is no route back to it" : "the route back to it leaves "
				  "through ", none ? "" : odev);
	}
	if (!foreign || !asym)
		return false;
	report_fmt_route(r->kv, back, line, sizeof(line));
	snprintf(fix, sizeof(fix), "find out who added \"%s\"; if it is stale: ip route del %s",
		 line, line);
	report_add(r, PC_ROUTE_CONFLICT, SEV_WARNING, -1, fix, "on %.80s: replies to %s leave through "
		   "%s (\"%s\"), not %s where its packets arrive: an asymmetric path (conntrack and "
		   "firewalls on either way see half the connection)", self, src, odev, line, dev);
	return false;
}

/* Each remote node's pods and node IP, as they arrive; true when an
 * rp_filter drop was reported. */
static bool
diag_back(struct report *r)
{
	struct back_ix x = { .kv = r->kv };
	char src[CIDR_STRLEN];
	bool dropped = false;

	if (!r->has_sysctl || !r->plan || !r->kv || !r->cfg)
		return false;
	x.idx = malloc((r->kv->nroutes ? r->kv->nroutes : 1) * sizeof(*x.idx));
	x.full = !x.idx;
	for (size_t i = 0; i < r->plan->n; i++) {
		const struct plan_route *pr = &r->plan->routes[i];
		const struct route4 *back;
		const struct addr4 *on;

		if (pr->state == PLAN_REJECTED || !pr->oif)
			continue;
		/* Not right: where `ip route get` sends it.  Right (or just
		 * made so): our route is the way back unless a more specific
		 * one steals the pods (the address flows.c evaluates). */
		if (pr->has_fib && pr->state != PLAN_OK && pr->state != PLAN_INSTALLED &&
		    pr->state != PLAN_REPAIRED)
			dropped |= diag_back_one(r, pr, cidr_fmt(&pr->dst, src), false, false,
						 pr->fib_err, &pr->fib);
		else if ((back = back_route(&x, pr->oif, pr->dst.addr + (pr->dst.len < 31 ? 2 : 0),
					    pr->dst.len)) &&
			 back->dst.len > pr->dst.len)
			dropped |= diag_back_one(r, pr, cidr_fmt(&pr->dst, src), false, true, 0, back);
		if (i > 0 && r->plan->routes[i - 1].via == pr->via)
			continue;	/* one node, several CIDRs: its IP once */
		/* The subnet pr->via is on-link in is a route of pr->oif. */
		on = kview_onlink(r->kv, pr->via);
		if ((back = back_route(&x, pr->oif, pr->via, on && on->ifindex == pr->oif ? on->len : -1)))
			dropped |= diag_back_one(r, pr, cidr_fmt_ip(pr->via, src), true, true, 0, back);
	}
	free(x.idx);
	return dropped;
}

static void
diag_node(struct report *r, bool rp_said)
{
	const struct node_sysctl *s = &r->sysctl;
	const char *dev = r->bridge_dev[0] ? r->bridge_dev : "all";
	char fix[160];

	if (!r->has_sysctl)
		return;
	if (s->ip_forward == 0)
		report_add(r, PC_IP_FORWARD_DISABLED, SEV_ERROR, -1, "sysctl -w net.ipv4.ip_forward=1",
			   "net.ipv4.ip_forward is 0: this node does not forward pod traffic");
	if (sysctl_rp_effective(s) == 1 && !rp_said) {
		snprintf(fix, sizeof(fix), "sysctl -w net.ipv4.conf.all.rp_filter=2 "
			 "net.ipv4.conf.%s.rp_filter=2 (loose)", dev);
		report_add(r, PC_RP_FILTER_STRICT, SEV_WARNING, -1, fix,
			   "strict rp_filter on %s: packets from remote pods are dropped unless the "
			   "route back to them leaves through %s", dev, dev);
	}
	if (s->legacy_tables[0])
		report_add(r, PC_IPTABLES_LEGACY_RULES, SEV_WARNING, -1,
			   "inspect them with iptables-legacy-save; move them to iptables-nft",
			   "iptables-legacy has tables (%s): their rules are invisible to nftables "
			   "and were not evaluated", s->legacy_tables);
}

int
diag_fw_code(const char *verdict, bool from_node)
{
	if (!strcmp(verdict, "drop") || !strcmp(verdict, "reject"))
		return PC_FIREWALL_DROP;
	/* Only pods lose their identity; the node's own probe being
	 * masqueraded is shown in the report but is no problem. */
	if ((!strcmp(verdict, "masquerade") || !strcmp(verdict, "snat")) && !from_node)
		return PC_FIREWALL_MASQUERADE;
	return -1;
}

/* "node c2n1 of cluster2" or "node 172.18.0.4": whom an inbound source stands for. */
static void
who_ip(const struct report *r, uint32_t ip, char *buf, size_t len)
{
	char s[CIDR_STRLEN];

	for (size_t i = 0; i < r->nremotes; i++)
		if (r->remotes[i].node_ip == ip && r->remotes[i].node && r->remotes[i].cluster) {
			snprintf(buf, len, "node %.80s of %.60s", r->remotes[i].node,
				 r->remotes[i].cluster);
			return;
		}
	snprintf(buf, len, "node %s", cidr_fmt_ip(ip, s));
}

/* A drop of what arrives here: the receiving side names itself, the port
 * and whom the source stands for, so the sender's "check the remote side"
 * has an answer. */
static void
diag_fw_in(struct report *r, const struct report_fw *f, const char *where, const char *fix)
{
	char from[160];
	const char *self = r->cfg && r->cfg->node_name[0] ? r->cfg->node_name : "this node";

	who_ip(r, f->from_ip, from, sizeof(from));
	report_add(r, PC_FIREWALL_DROP, SEV_ERROR, -1, fix,
		   "on %.80s: %s -> %s port %u (from %s) is %sed at %s by %s: %.200s", self,
		   f->src, f->dst, f->dport, from, !strcmp(f->verdict, "drop") ? "dropp" : "reject",
		   f->hook, where, f->rule);
}

/* The fix names the rule by table, chain and handle (its text is on the
 * report's firewall lines) and says where the command runs: nft is neither in
 * podreach's image nor in kind's node image, so a node debug pod with nftables
 * (it shares the node's network namespace); kind nodes do have iptables. The
 * command comes first: it is what a user copies. */
static void
diag_fw(struct report *r, const struct report_fw *f)
{
	char fix[512], cmd[200], where[600];
	const char *node = r->cfg && r->cfg->node_name[0] ? r->cfg->node_name : "NODE";
	int code = diag_fw_code(f->verdict, f->from_node || f->inbound);

	snprintf(where, sizeof(where), "%.60s %.60s handle %llu", f->table, f->chain,
		 (unsigned long long)f->handle);
	if (code == PC_FIREWALL_DROP) {
		/* Handle 0 is the chain's policy: no rule to delete, one to add. */
		if (f->handle)
			snprintf(cmd, sizeof(cmd), "nft delete rule %.60s %.60s handle %llu (or narrow it)",
				 f->table, f->chain, (unsigned long long)f->handle);
		else
			snprintf(cmd, sizeof(cmd), "nft insert rule %.60s %.60s ip daddr %s accept",
				 f->table, f->chain, f->dst);
		snprintf(fix, sizeof(fix), "%s, where nft sees the node's network (the rule in full is "
			 "on the firewall lines): not in podreach's image nor kind's node image; e.g. "
			 "kubectl debug node/%.64s with an nftables image", cmd, node);
		if (f->inbound)
			diag_fw_in(r, f, where, fix);
		else
			report_add(r, PC_FIREWALL_DROP, SEV_ERROR, -1, fix,
				   "%s -> %s is %sed at %s by %s: %.200s", f->src, f->dst,
				   !strcmp(f->verdict, "drop") ? "dropp" : "reject", f->hook, where,
				   f->rule);
	} else if (code == PC_FIREWALL_MASQUERADE) {
		snprintf(fix, sizeof(fix), "exempt the remote pod range before that rule (in full on the "
			 "firewall lines); kindnet, on the node (kind's node image has iptables): "
			 "iptables -t nat -I KIND-MASQ-AGENT -d %s -j RETURN", f->dst);
		report_add(r, PC_FIREWALL_MASQUERADE, SEV_WARNING, -1, fix,
			   "%s -> %s is %s at %s by %s: remote pods see the node IP, so NetworkPolicies "
			   "and logs keyed on pod IPs break", f->src, f->dst,
			   !strcmp(f->verdict, "snat") ? "SNATed" : "masqueraded", f->hook, where);
	}
}

/* A flow of ours that the firewall drops on its way out, and where to. */
static bool
outbound_drop(const struct report_fw *f, struct prefix4 *dst)
{
	char why[CFG_ERR_MAX];

	return !f->inbound && diag_fw_code(f->verdict, f->from_node) == PC_FIREWALL_DROP &&
	       cidr_parse(f->dst, dst, why, sizeof(why));
}

static void
drop_cause(const struct report_fw *f, char *buf, size_t len)
{
	snprintf(buf, len, "%.60s %.60s handle %llu %ss it", f->table, f->chain,
		 (unsigned long long)f->handle, f->verdict);
}

void
diag_probe_cause(const struct report *r, uint32_t ip, char *buf, size_t len)
{
	struct prefix4 dst;
	const struct plan_route *best = NULL;

	buf[0] = '\0';
	/* The most specific remote CIDR holding ip is the one its packets use. */
	for (size_t i = 0; ip && r->plan && i < r->plan->n; i++) {
		const struct plan_route *pr = &r->plan->routes[i];

		if (cidr_contains_ip(&pr->dst, ip) && (!best || pr->dst.len > best->dst.len))
			best = pr;
	}
	if (best && best->state != PLAN_OK && best->state != PLAN_INSTALLED &&
	    best->state != PLAN_REPAIRED) {
		snprintf(buf, len, "the route to it is %s", plan_state_name(best->state));
		return;
	}
	if (r->drops_indexed && !r->drops_many) {
		for (size_t i = 0; ip && i < r->ndrops; i++)
			if (cidr_contains_ip(&r->drop_dst[i], ip)) {
				drop_cause(&r->fw[r->drop_fw[i]], buf, len);
				return;
			}
	} else {
		for (size_t i = 0; ip && i < r->nfw; i++)
			if (outbound_drop(&r->fw[i], &dst) && cidr_contains_ip(&dst, ip)) {
				drop_cause(&r->fw[i], buf, len);
				return;
			}
	}
	/* Its answers come from ip: our rp_filter may drop them (masquerade
	 * makes the probe leave as the node IP, the answer comes from ip). */
	for (size_t i = 0; ip && i < r->nback; i++)
		if (cidr_contains_ip(&r->back[i].src, ip)) {
			snprintf(buf, len, "its answers: %s", r->back[i].cause);
			return;
		}
}

/* The outbound drops, in flow order, for diag_probe_cause. */
static void
diag_index_drops(struct report *r)
{
	struct prefix4 dst;

	r->ndrops = 0;
	r->drops_many = false;
	for (size_t i = 0; i < r->nfw && !r->drops_many; i++) {
		if (!outbound_drop(&r->fw[i], &dst))
			continue;
		if (r->ndrops == REPORT_MAX_DROPS)
			r->drops_many = true;	/* the walk of every flow, as before */
		else {
			r->drop_fw[r->ndrops] = i;
			r->drop_dst[r->ndrops++] = dst;
		}
	}
	r->drops_indexed = true;
}

static void
diag_probe(struct report *r, const struct report_probe *p)
{
	char cause[200];

	if (!strcmp(p->result, "open") || !strcmp(p->result, "ok") || !strcmp(p->result, "refused") ||
	    r->nproblems == REPORT_MAX_PROBLEMS)
		return;
	diag_probe_cause(r, p->ip, cause, sizeof(cause));
	report_add(r, PC_PROBE_FAILED, SEV_ERROR, -1,
		   cause[0] ? "fix that cause first (see above)" :
		   "routes and firewall here look right: check the remote side (its route back to "
		   "our pod CIDR, its firewall) with podreach there",
		   "%s probe of %s: %s%s%s%s%s", p->kind, p->target, p->result,
		   p->detail[0] ? ", " : "", p->detail, cause[0] ? "; likely cause: " : "", cause);
}

/* Nothing probed is no proof that anything works: said, not left as a
 * silent all-clear. */
static void
diag_no_probes(struct report *r)
{
	bool kube = r->cfg && r->cfg->discovery == CFG_DISC_KUBERNETES;

	if (!r->no_probe_targets)
		return;
	if (r->probe_nodes == 0)
		report_add(r, PC_NO_PROBE_TARGETS, SEV_WARNING, -1,
			   kube ? "give the other clusters' APIs (a remote secret, or "
				  "--remote-kubeconfig), or --probe IP:PORT" :
				  "give --peers (one agent of each other cluster), or --probe IP:PORT",
			   "nothing probed: no node of another cluster is known here%s",
			   kube ? " (no remote cluster's Nodes listed)" : " (no peer of another cluster routed)");
	else
		report_add(r, PC_NO_PROBE_TARGETS, SEV_WARNING, -1,
			   "check --allow-cidr and the remote nodes' addresses",
			   "nothing probed: %zu node(s) of other clusters known, but no address of "
			   "theirs may be probed", r->probe_nodes);
}

static const struct link *
link_of(const struct kview *kv, int index)
{
	for (size_t i = 0; i < kv->nlinks; i++)
		if (kv->links[i].index == index)
			return &kv->links[i];
	return NULL;
}

/* A pod whose interface carries more than the bridge: its full-size packets
 * (DF set, as TCP's are) cannot leave the node, and where the node's ICMP
 * "fragmentation needed" is dropped on the way back the connection hangs
 * after its handshake — a PMTU black hole.  The pod side of a veth has the
 * MTU of its node side (the CNI sets both). */
static void
diag_mtu(struct report *r)
{
	const struct kview *kv = r->kv;
	const struct link *br = NULL, *pod = NULL, *l;

	if (!kv || !r->cfg || !r->cfg->pod_cidrs.n)
		return;
	for (size_t i = 0; i < kv->naddrs && !br; i++)
		if (kv->addrs[i].local == r->cfg->node_ip)
			br = link_of(kv, kv->addrs[i].ifindex);
	for (size_t i = 0; br && br->mtu && i < kv->nroutes; i++) {
		const struct route4 *rt = &kv->routes[i];

		if (rt->dst.len == 32 && !rt->gw && rt->oif != br->index &&
		    cidr_contains_ip(&r->cfg->pod_cidrs.v[0], rt->dst.addr) &&
		    (l = link_of(kv, rt->oif)) && l->mtu > br->mtu && (!pod || l->mtu > pod->mtu))
			pod = l;
	}
	if (pod)
		report_add(r, PC_MTU_MISMATCH, SEV_WARNING, -1,
			   "give the pods the bridge's MTU (kindnet takes the node's eth0 MTU; a docker "
			   "network made with com.docker.network.driver.mtu sets it for kind), or raise "
			   "the bridge's",
			   "pods here have MTU %u (%s), the bridge %s only %u: packets of the pod MTU "
			   "cannot cross, and where ICMP \"fragmentation needed\" is dropped connections "
			   "hang after the handshake", pod->mtu, pod->name, br->name, br->mtu);
}

/* A small datagram crosses, one of the pod MTU does not: a link on the way
 * carries less than the pods send (a PMTU black hole when nothing says so,
 * "fragmentation needed" when a router does). */
static void
diag_mtu_path(struct report *r, const struct report_mtu *m)
{
	char who[160];

	if (!m->small || !m->big || strcmp(m->small, "arrived") ||
	    (strcmp(m->big, "lost") && strcmp(m->big, "too-big")))
		return;
	who_ip(r, m->node_ip, who, sizeof(who));
	report_add(r, PC_MTU_MISMATCH, SEV_WARNING, -1,
		   "give every node and pod of both clusters the MTU of the narrowest link between "
		   "them (kind: one docker network MTU for all), or raise that link's",
		   "packets of the pod MTU (%u bytes, DF set) to %s %s, smaller ones arrive: a link "
		   "on the way carries less%s", m->size, who,
		   !strcmp(m->big, "lost") ? "are lost" : "are refused as too big",
		   !strcmp(m->big, "lost") ? " and nothing says so (a PMTU black hole: connections "
		   "hang after the handshake)" : "");
}

/* A peer whose claim the trust rules refused (README, "Trust model"). */
static void
diag_refused(struct report *r, const struct report_peer *p)
{
	static const char *fix[PC_COUNT] = {
		[PC_PEER_CONFLICT] = "if that node really moved, stop the agent at the old address: "
				     "the claim passes once the old one has been silent long enough",
		[PC_POD_CIDR_OVERLAP] = "give each node its own range: a distinct podSubnet per cluster",
		[PC_CIDR_REJECTED] = "a node advertises only its own share of the podSubnet (a /24 by default)",
		[PC_PEER_INVALID] = "an agent answers for its own address only: check --node-ip there",
	};

	report_add(r, p->refused_code, SEV_ERROR, -1,
		   fix[p->refused_code] ? fix[p->refused_code] : "check the agent on that node",
		   "%s", p->refused);
}

/* Nodes a bound left unrouted (agent/core/clusters.h): one problem per
 * cluster, however many Nodes, so a hostile cluster costs one line. */
static void
diag_unrouted(struct report *r, const struct report_cluster *c)
{
	char why[200] = "";
	size_t n = 0, off = 0;

	for (int b = BOUND_NODE; b < BOUND_COUNT; b++) {
		if (!c->unrouted[b])
			continue;
		n += c->unrouted[b];
		off += (size_t)snprintf(why + off, off < sizeof(why) ? sizeof(why) - off : 0,
					"%s%zu %s", off ? ", " : "", c->unrouted[b],
					clusters_bound_name((enum clusters_bound)b));
		if (off >= sizeof(why))
			off = sizeof(why) - 1;
	}
	if (n)
		report_add(r, PC_CIDR_REJECTED, SEV_ERROR, -1,
			   "a Kubernetes Node has one IPv4 pod CIDR: find out what writes these Nodes; "
			   "podreach routes at most " CLUSTERS_STR(CLUSTERS_NODE_CIDRS) " per Node, "
			   CLUSTERS_STR(CLUSTERS_ROUTES) " per cluster, " CLUSTERS_STR(CLUSTERS_ROUTES_TOTAL)
			   " in all",
			   "cluster %s: %zu Nodes (%zu pod CIDRs) not routed: %s", c->name, n,
			   c->unrouted_cidrs, why);
}

/* An owned route nothing stands behind that is still there: report mode,
 * or the kernel refused its removal. */
static void
diag_stale(struct report *r, const struct plan_stale *s)
{
	char line[160], fix[384], err[96] = "";

	if (s->removed)
		return;
	report_fmt_route(r->kv, &s->route, line, sizeof(line));
	snprintf(fix, sizeof(fix), "podreach check --mode enforce, or: ip route del %s", line);
	if (s->apply_err)
		snprintf(err, sizeof(err), "; removing it failed: %s", strerror(-s->apply_err));
	if (s->why)
		report_add(r, PC_ROUTE_STALE, s->apply_err ? SEV_ERROR : SEV_WARNING, -1, fix,
			   "podreach's route \"%s\" is stale: %s is deleted%s", line, s->why, err);
	else
		report_add(r, PC_ROUTE_STALE, s->apply_err ? SEV_ERROR : SEV_WARNING, -1, fix,
			   "podreach's route \"%s\" is stale: no remote node claims it (every "
			   "cluster listed)%s", line, err);
}

/* `podreach check` with no remote node: nothing was routed or probed, which
 * must not read as all clear. */
static void
diag_no_remote(struct report *r)
{
	const struct cfg *c = r->cfg;

	if (!r->once || r->nremotes)
		return;
	if (c->discovery == CFG_DISC_KUBERNETES)
		report_add(r, PC_NO_PROBE_TARGETS, SEV_ERROR, -1,
			   "give each remote cluster a remote secret (manifests/create-remote-secret.sh) "
			   "or --remote-kubeconfig, and check that its API lists Nodes with an "
			   "InternalIP and spec.podCIDRs",
			   "no remote node: the Kubernetes APIs (%zu cluster(s) in clusters[]) list none, "
			   "so nothing was routed or probed", r->nclusters);
	else
		report_add(r, PC_NO_PROBE_TARGETS, SEV_ERROR, -1,
			   "give --remote NODEIP=CIDR, or --discovery kubernetes with the clusters' "
			   "kubeconfigs (check does not ask --peers)",
			   "no remote node known, so nothing was routed or probed");
}

/* A cluster's API: routes from it stay whatever happens, so unreachable is a
 * warning to the agent; to check, which looks once, it means that cluster
 * went unchecked.  Forbidden or an unusable kubeconfig needs someone to
 * act: errors. */
static void
diag_cluster(struct report *r, const struct report_cluster *c)
{
	if (strcmp(c->source, "kubernetes"))
		return;		/* peers speak for themselves (peer-unreachable) */
	diag_unrouted(r, c);
	if (!strcmp(c->state, "unreachable"))
		report_add(r, PC_API_UNREACHABLE, r->once ? SEV_ERROR : SEV_WARNING, -1,
			   "check that the API server answers from this node; routes stay meanwhile "
			   "and the watch is retried",
			   "cluster %s: the API server %s does not answer (%s): %s", c->name, c->api,
			   c->origin, c->error);
	else if (!strcmp(c->state, "forbidden"))
		report_add(r, PC_API_FORBIDDEN, SEV_ERROR, -1,
			   "grant get/list/watch on nodes (and on secrets in the agent's namespace) "
			   "to that identity, or renew the token in its kubeconfig",
			   "cluster %s: %s refuses %s (%s): %s", c->name, c->api, c->identity,
			   c->origin, c->error);
	else if (!strcmp(c->state, "invalid"))
		report_add(r, PC_API_UNREACHABLE, SEV_ERROR, -1,
			   "fix the kubeconfig (istioctl create-remote-secret writes a valid one)",
			   "cluster %s cannot be watched: %s", c->name, c->error);
}

void
diag_run(struct report *r)
{
	r->nproblems = 0;
	r->nback = 0;
	for (size_t i = 0; r->plan && i < r->plan->n; i++)
		diag_route(r, (int)i, &r->plan->routes[i]);
	for (size_t i = 0; r->plan && i < r->plan->nstale; i++)
		diag_stale(r, &r->plan->stale[i]);
	diag_no_remote(r);
	diag_node(r, diag_back(r));
	for (size_t i = 0; i < r->npeers; i++) {
		const struct report_peer *p = &r->peers[i];

		if (!strcmp(p->state, "unreachable"))
			report_add(r, PC_PEER_UNREACHABLE, SEV_WARNING, -1,
				   "check the agent on that node (kubectl logs); its routes stay meanwhile",
				   "peer %s does not answer: %s", p->address, p->error);
		else if (!strcmp(p->state, "invalid"))
			report_add(r, PC_PEER_INVALID, SEV_ERROR, -1,
				   "check the agent on that node; nothing it said was used",
				   "peer %s answered something invalid: %s", p->address, p->error);
		else if (!strcmp(p->state, "refused"))
			diag_refused(r, p);
	}
	for (size_t i = 0; i < r->nclusters; i++)
		diag_cluster(r, &r->clusters[i]);
	for (size_t i = 0; i < r->nfw; i++)
		diag_fw(r, &r->fw[i]);
	diag_index_drops(r);
	for (size_t i = 0; i < r->nprobes; i++)
		diag_probe(r, &r->probes[i]);
	diag_no_probes(r);
	diag_mtu(r);
	for (size_t i = 0; i < r->nmtu; i++)
		diag_mtu_path(r, &r->mtu[i]);
}
