/*
 * When the agent reconciles: at once (0.5 ms, so that a burst of changes
 * coalesces into one), and no more than STORM_MAX times a second when
 * something fights over our routes.
 */
#include "agent/daemon/agent.h"
#include "agent/io/ev.h"
#include "agent/io/log.h"

#define STORM_WINDOW 1.0	/* seconds */
#define STORM_MAX 500		/* reconciles per window before slowing down */

void
agent_schedule(struct agent *a, const char *why)
{
	double now = ev_now(), delay = 0.0005;

	if (now - a->storm_start > STORM_WINDOW) {
		a->storm_start = now;
		a->storm_count = 0;
	}
	/* Something fighting over our routes must not spin us: past the limit,
	 * reconcile once a second. */
	if (++a->storm_count > STORM_MAX)
		delay = 1;
	if (a->storm_count == STORM_MAX + 1)
		log_warnx("more than %d changes within %gs (last: %s): slowing down", STORM_MAX,
			  STORM_WINDOW, why);
	if (!a->pending) {
		log_debug("reconcile scheduled: %s", why);
		a->pending = true;
		a->pending_since = now;
		ev_timer_arm(a->t_reconcile, delay);
	}
}
