#include "agent/core/damp.h"

bool
damp_see(struct damp *d, uint32_t ip, double now, double hold, double *due)
{
	if (!d->routed || ip == d->routed) {
		d->routed = ip;		/* first sight, or back where it is routed */
		d->held = false;
		return false;
	}
	if (d->moved_at > 0 && now - d->moved_at < hold) {
		d->held = true;
		*due = d->moved_at + hold;
		return false;
	}
	d->prev = d->routed;
	d->routed = ip;
	d->moved_at = now;
	d->held = false;
	d->warned = false;
	return true;
}
