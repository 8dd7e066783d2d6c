/*
 * What the agent's HTTP endpoint serves from its state: the report (text
 * and JSON, rendered once per reconcile), /v1/node, /v1/peers, /metrics.
 */
#ifndef PODREACH_API_H
#define PODREACH_API_H

#include "agent/io/httpd.h"

/* Answers one request (httpd's handler; arg is the agent). */
void api_handle(const struct httpd_req *req, struct httpd_reply *out, void *arg);


#endif
