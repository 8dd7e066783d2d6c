/*
 * /v1/why on the agent (agent/daemon/whyd.c): the trace `podreach why`
 * prints, worked out here and at the node that owns the destination.
 */
#ifndef PODREACH_WHYD_H
#define PODREACH_WHYD_H

#include "agent/io/httpd.h"

struct agent;
struct whyd;

/* Returns NULL with errno set.  a must outlive it. */
struct whyd *whyd_new(struct agent *a);
/* Answers the traces still running (503) and frees; before httpd_stop.  NULL-safe. */
void whyd_free(struct whyd *w);

/* Answers GET /v1/why?dst=IP[:PORT][&src=IP][&inbound=1], now or (a trace
 * waiting for the owner's agent and the probe) later through httpd_defer. */
void whyd_handle(struct whyd *w, const struct httpd_req *req, struct httpd_reply *out);

#endif
