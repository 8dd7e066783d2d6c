#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/io/log.h"

static enum log_level threshold = LOG_INFO;

void
log_set_level(enum log_level lvl)
{
	threshold = lvl;
}

void
log_msg(enum log_level lvl, int err, const char *fmt, ...)
{
	static const char *names[] = { "error", "warning", "info", "debug" };
	char msg[1024];
	va_list ap;

	if (lvl > threshold)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (err)
		fprintf(stderr, "podreach: %s: %s: %s\n", names[lvl], msg, strerror(abs(err)));
	else
		fprintf(stderr, "podreach: %s: %s\n", names[lvl], msg);
}
