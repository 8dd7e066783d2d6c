/* The report rendered for people (text) and scripts (podreach(8)'s JSON).  Pure,
 * so golden files pin both formats. */
#ifndef PODREACH_RENDER_H
#define PODREACH_RENDER_H

#include <stdio.h>

struct report;
struct render_job;

/* Writes the text report. */
void render_text(const struct report *r, FILE *out);
/* Returns the JSON report as a malloc'd string, or NULL with errno set. */
char *render_json(const struct report *r);

/* The JSON report a few elements at a time, so that an agent's loop serves
 * requests between them (5,000 remote nodes: 85,000 elements).  The report
 * must not change until the job is done or freed; what the arrays' elements
 * point to is read at each step, the rest at the start.  Returns NULL with
 * errno set. */
struct render_job *render_json_start(const struct report *r);
/* Writes at most budget more elements: 1 when the JSON is complete (then
 * *out is the malloc'd string, the caller's), 0 when more is left, -ENOMEM
 * (the job is spent either way: free it). */
int render_json_step(struct render_job *j, const struct report *r, size_t budget, char **out);
/* NULL-safe. */
void render_job_free(struct render_job *j);

#endif
