/* The report rendered for people (text) and scripts (SPEC's JSON).  Pure,
 * so golden files pin both formats. */
#ifndef PODREACH_RENDER_H
#define PODREACH_RENDER_H

#include <stdio.h>

struct report;

/* Writes the text report. */
void render_text(const struct report *r, FILE *out);
/* Returns the JSON report as a malloc'd string, or NULL with errno set. */
char *render_json(const struct report *r);

#endif
