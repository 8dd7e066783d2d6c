/*
 * The nftables ruleset the firewall evaluation reads, kept from the
 * notifications themselves: each commit's messages applied to the view
 * (netlink/nft_apply.c) when their generation is the next one, so that a
 * rule added costs what it is, not what the ruleset holds.  A dump re-seeds
 * the view at start, after lost notifications or a missed generation, and
 * checks it at every --resync.  Where the subscription failed, the ruleset
 * is re-read every --interval instead.
 */
#include <linux/netfilter.h>

#include "agent/core/cfg.h"
#include "agent/daemon/agent.h"
#include "agent/daemon/rules.h"
#include "agent/io/ev.h"
#include "agent/io/log.h"
#include "netlink/nft.h"
#include "netlink/nftwatch.h"

/* The families the evaluator reads: a change elsewhere re-evaluates nothing. */
#define RULES_FAMILIES ((1u << NFPROTO_IPV4) | (1u << NFPROTO_INET))
#define RULES_RETRY 1.0	/* seconds before a failed read is tried again */

static void
reseed(struct agent *a, const char *why)
{
	a->m.nft_resyncs++;
	a->rules_dirty = true;
	agent_schedule(a, why);
}

/* Whether the last evaluation read what chg touched: a chain a flow entered
 * or jumped to, a set it looked up, a base chain or table anywhere.  kube-
 * proxy rewriting a service's chains touches none of them: no evaluation. */
static bool
reads(const struct agent *a, const struct nft_change *chg)
{
	if (!(chg->families & RULES_FAMILIES))
		return false;
	if (chg->all || !a->ready)
		return true;
	for (size_t i = 0; i < chg->nkeys; i++)
		if (fw_trace_has(&a->res.fw_trace, chg->keys[i]))
			return true;
	return false;
}

/* One commit: the next generation is applied; one the view already holds
 * (it was in the dump) is skipped; a gap means commits were missed. */
static void
on_commit(const struct nftwatch_commit *c, void *arg)
{
	struct agent *a = arg;
	struct nft_change chg = { 0 };
	int err;

	if (c->lost) {
		reseed(a, "lost nftables notifications");
		return;
	}
	if (!a->rules || a->rules_dirty || (int32_t)(c->genid - a->rules->genid) <= 0)
		return;
	if (c->genid != a->rules->genid + 1) {
		log_warnx("nftables generation %u after %u: re-reading the ruleset", c->genid,
			  a->rules->genid);
		reseed(a, "nftables generation missed");
		return;
	}
	err = nft_ruleset_apply(a->rules, c->msgs, c->len, &chg);
	a->rules->genid = c->genid;
	a->m.nft_events += chg.msgs;
	a->m.nft_commits++;
	if (err < 0) {
		log_errc(err, "applying nftables generation %u; re-reading the ruleset", c->genid);
		reseed(a, "nftables notification not applied");
	} else if (reads(a, &chg)) {
		agent_schedule(a, "nftables change");
	}
}

static void
drain(struct agent *a)
{
	for (int i = 0; i < 64 && nftwatch_read(a->nftw, on_commit, a) > 0; i++)
		;
}

/* --resync: the view, caught up with what was queued, against the dump
 * when both are of one generation (else a commit came in between: put off,
 * the dump replaces the view all the same). */
static void
self_check(struct agent *a, const struct nft_ruleset *fresh, uint32_t view_gen)
{
	size_t d;

	if (!a->rules || view_gen != fresh->genid) {
		a->m.nft_checks_skipped++;
		return;
	}
	a->m.nft_checks++;
	if ((d = nft_ruleset_diff(a->rules, fresh)) != 0) {
		a->m.nft_divergences += d;
		log_warnx("the nftables view differed from the kernel in %zu entries: replaced", d);
	}
}

/* Reads the ruleset when the view is not there or not trusted, or is due
 * for its check; otherwise the view is current and this costs nothing. */
void
rules_refresh(struct agent *a)
{
	struct nft_ruleset *rs = NULL;
	bool check = a->rules_check && a->nftw && a->rules && !a->rules_dirty;
	uint32_t view_gen;
	int err;

	if (a->rules && !a->rules_dirty && !a->rules_check)
		return;
	if (!a->nftw && a->rules_at && !a->rules_dirty)
		return;
	if (check) {
		drain(a);
		check = !a->rules_dirty;	/* a loss: the view is not trusted */
	}
	view_gen = a->rules ? a->rules->genid : 0;
	a->rules_at = ev_now();
	a->rules_dirty = a->rules_check = false;
	err = nft_ruleset_read(&rs);
	if (err < 0 && check) {
		/* Only the check failed (a ruleset changing all the time): the
		 * view is current, kept, and checked next time. */
		a->m.nft_checks_skipped++;
		return;
	}
	if (err < 0 && !a->fw_warned)
		log_errc(err, "reading the nftables ruleset; the firewall is not evaluated");
	a->fw_warned = err < 0;
	if (err < 0 && a->nftw && !a->rules_pending) {
		a->rules_pending = true;	/* retried, not left until the next commit */
		ev_timer_arm(a->t_rules, RULES_RETRY < a->cfg->interval ? RULES_RETRY : a->cfg->interval);
	}
	if (rs && check)
		self_check(a, rs, view_gen);
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
	int n = nftwatch_read(a->nftw, on_commit, a);

	if (n < 0)
		log_errc(n, "reading nftables notifications");
}
