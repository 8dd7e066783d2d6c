/*
 * The nftables ruleset the firewall evaluation reads: re-read when
 * nftables announces a change, coalesced over RULES_SETTLE so that a large
 * rewrite costs one read; every --interval where the subscription failed.
 */
#include "agent/core/cfg.h"
#include "agent/daemon/agent.h"
#include "agent/daemon/rules.h"
#include "agent/io/ev.h"
#include "agent/io/log.h"
#include "netlink/nft.h"
#include "netlink/nftwatch.h"

#define RULES_SETTLE 0.05	/* seconds: nftables events coalesced into one read */

/* The ruleset is re-read when nftables announces a change (coalesced over
 * RULES_SETTLE, so that kube-proxy rewriting thousands of rules costs one
 * read), or, without that subscription, at most once per --interval. */
void
rules_refresh(struct agent *a)
{
	struct nft_ruleset *rs = NULL;
	double now = ev_now();
	int err;

	if (a->rules_at && !a->rules_dirty)
		return;
	a->rules_at = now;
	a->rules_dirty = false;
	err = nft_ruleset_read(&rs);
	if (err < 0 && !a->fw_warned)
		log_errc(err, "reading the nftables ruleset; the firewall is not evaluated");
	a->fw_warned = err < 0;
	if (err < 0 && a->nftw && !a->rules_pending) {
		a->rules_pending = true;	/* retried, not left until the next commit */
		ev_timer_arm(a->t_rules, a->cfg->interval);
	}
	nft_ruleset_free(a->rules);
	a->rules = rs;
}

void
rules_on_timer(struct ev_loop *loop, void *arg)
{
	struct agent *a = arg;

	a->rules_pending = false;
	a->rules_dirty = true;
	agent_schedule(a, "nftables change");
	if (!a->nftw) {	/* no notifications: look again every --interval */
		a->rules_pending = true;
		ev_timer_arm(a->t_rules, a->cfg->interval);
	}
}

void
rules_on_nftwatch(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct agent *a = arg;
	int n = nftwatch_read(a->nftw);

	if (n < 0)
		log_errc(n, "reading nftables notifications");
	else if (n > 0 && !a->rules_pending) {
		a->rules_pending = true;
		ev_timer_arm(a->t_rules, RULES_SETTLE);
	}
	a->m.nft_events += n > 0 ? (uint64_t)n : 0;
}
