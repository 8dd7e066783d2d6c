#ifndef PODREACH_RULES_H
#define PODREACH_RULES_H

#include <stdint.h>

struct agent;
struct ev_loop;

/* Re-reads the ruleset into a->rules when it changed (or never was read). */
void rules_refresh(struct agent *a);
/* t_rules expired: the ruleset is due (ev timer callback; arg is the agent). */
void rules_on_timer(struct ev_loop *loop, void *arg);
/* The nftables subscription is readable (ev_add callback; arg is the agent). */
void rules_on_nftwatch(struct ev_loop *loop, int fd, uint32_t events, void *arg);

#endif
