/* One line per event on stderr: "<RFC 3339 UTC time> podreach: <level>: message",
 * e.g. "2026-12-03T00:17:15.123Z podreach: info: ...".  log_warn appends
 * strerror(errno); log_warnx does not (OpenBSD's convention). */
#ifndef PODREACH_LOG_H
#define PODREACH_LOG_H

#include <time.h>

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

#define LOG_STAMP_LEN 32

void log_set_level(enum log_level lvl);
void log_msg(enum log_level lvl, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* ts (CLOCK_REALTIME) as RFC 3339 in UTC with milliseconds: "2026-12-03T00:17:15.123Z". */
void log_stamp(const struct timespec *ts, char buf[static LOG_STAMP_LEN]);

#define log_warnx(...) log_msg(LOG_WARN, 0, __VA_ARGS__)
#define log_errx(...) log_msg(LOG_ERR, 0, __VA_ARGS__)
/* err is a positive errno or a -errno return value. */
#define log_errc(err, ...) log_msg(LOG_ERR, (err), __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, 0, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, 0, __VA_ARGS__)

#endif
