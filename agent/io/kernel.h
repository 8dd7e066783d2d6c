/*
 * The real kernel behind the reconcile core's seam (struct rc_kernel):
 * rtnetlink through netlink/route.c, node settings from /proc.  Also what
 * both commands need from the kernel before a reconcile.
 */
#ifndef PODREACH_KERNEL_H
#define PODREACH_KERNEL_H

#include <stdint.h>

struct kview;
struct rc_kernel;
struct rc_result;
struct route_sock;

/* Fills *k with rs behind it (rs must outlive k). */
void kernel_seam(struct rc_kernel *k, struct route_sock *rs);

/* The source address the kernel would pick for the default route, 0 when
 * there is none. */
uint32_t kernel_default_source(struct route_sock *rs, const struct kview *kv);

/* Logs the routes res added, replaced or removed (stale) and the changes the kernel refused:
 * each on its own line when there are a few, one line per kind for a burst. */
void kernel_log_changes(const struct rc_result *res, const struct kview *kv);

#endif
