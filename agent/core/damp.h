/*
 * Damping of a Node whose address keeps changing: its routes follow a new
 * InternalIP at once, but at most once per hold time; a newer address
 * waits until the hold ends (the latest one then wins).  A flapping Node
 * costs one route move per hold, not one per API event.  Pure.
 */
#ifndef PODREACH_DAMP_H
#define PODREACH_DAMP_H

#include <stdbool.h>
#include <stdint.h>

#define DAMP_HOLD 10.0		/* seconds between two moves of a Node's routes */

struct damp {
	uint32_t routed;	/* the address its routes go via; 0 before the first sight */
	uint32_t prev;		/* the one before the last move; 0 when it never moved */
	double moved_at;	/* when routed last changed by a move; 0: never */
	bool held;		/* a newer address waits for the hold to end */
	bool warned;		/* the caller said so, this hold (reset by a move) */
};

/* The Node's address is ip at time now.  Returns true when routed moved to
 * ip; false when it stays (the same address, or held: *due is then when to
 * look again). */
bool damp_see(struct damp *d, uint32_t ip, double now, double hold, double *due);

#endif
