/* One line per event on stderr: "podreach: <level>: message".  log_warn
 * appends strerror(errno); log_warnx does not (OpenBSD's convention). */
#ifndef PODREACH_LOG_H
#define PODREACH_LOG_H

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level lvl);
void log_msg(enum log_level lvl, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define log_warnx(...) log_msg(LOG_WARN, 0, __VA_ARGS__)
#define log_errx(...) log_msg(LOG_ERR, 0, __VA_ARGS__)
/* err is a positive errno or a -errno return value. */
#define log_errc(err, ...) log_msg(LOG_ERR, (err), __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, 0, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, 0, __VA_ARGS__)

#endif
