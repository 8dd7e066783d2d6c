#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/io/log.h"

static enum log_level threshold = LOG_INFO;

void
log_set_level(enum log_level lvl)
{
	threshold = lvl;
}

void
log_stamp(const struct timespec *ts, char buf[static LOG_STAMP_LEN])
{
	struct tm tm;

	/* UTC, so lines from agents on nodes in other zones sort together. */
	if (!gmtime_r(&ts->tv_sec, &tm) || !strftime(buf, LOG_STAMP_LEN, "%Y-%m-%dT%H:%M:%S", &tm)) {
		snprintf(buf, LOG_STAMP_LEN, "%s", "0000-00-00T00:00:00.000Z");
		return;
	}
	snprintf(buf + strlen(buf), LOG_STAMP_LEN - strlen(buf), ".%03ldZ",
		 (long)(ts->tv_nsec / 1000000) % 1000);
}

void
log_msg(enum log_level lvl, int err, const char *fmt, ...)
{
	static const char *names[] = { "error", "warning", "info", "debug" };
	char msg[1024], stamp[LOG_STAMP_LEN];
	struct timespec ts;
	va_list ap;

	if (lvl > threshold)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	clock_gettime(CLOCK_REALTIME, &ts);
	log_stamp(&ts, stamp);
	if (err)
		fprintf(stderr, "%s podreach: %s: %s: %s\n", stamp, names[lvl], msg, strerror(abs(err)));
	else
		fprintf(stderr, "%s podreach: %s: %s\n", stamp, names[lvl], msg);
}
