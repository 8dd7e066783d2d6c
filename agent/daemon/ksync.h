#ifndef PODREACH_KSYNC_H
#define PODREACH_KSYNC_H

#include <stdint.h>

struct agent;
struct ev_loop;
struct prefix4;
struct route4;

/* The monitor socket is readable: applies what it holds (ev_add callback;
 * arg is the agent). */
void ksync_on_watch(struct ev_loop *loop, int fd, uint32_t events, void *arg);
/* Applies every notification queued on the monitor socket (bounded), so the
 * view holds what the kernel did before the planner reads it: changes made by
 * the last reconcile are then seen, not added again.  Returns how many. */
int ksync_drain(struct agent *a);
/* Re-seeds the view from a full dump, comparing first when a->self_check
 * is set.  Returns 0 or -errno (a->need_dump then stays set). */
int ksync_redump(struct agent *a);
/* The route the kernel uses for exactly dst, from the view's index (ctx is
 * the struct view): rc_input.find. */
const struct route4 *ksync_find(const void *ctx, const struct prefix4 *dst);

#endif
