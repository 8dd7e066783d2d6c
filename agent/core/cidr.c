#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/core/cidr.h"

/* Reads a decimal 0..max with no sign, no leading zero (unless "0") and at
 * most 3 digits; advances *s. */
static bool
read_dec(const char **s, unsigned int max, unsigned int *out)
{
	const char *p = *s;
	unsigned int v = 0;
	int n = 0;

	while (*p >= '0' && *p <= '9' && n < 4) {
		v = v * 10 + (unsigned int)(*p - '0');
		p++;
		n++;
	}
	if (n == 0 || n > 3 || (n > 1 && **s == '0') || v > max)
		return false;
	*s = p;
	*out = v;
	return true;
}

static bool
parse_ip_prefix(const char **s, uint32_t *ip)
{
	uint32_t v = 0;
	unsigned int octet;

	for (int i = 0; i < 4; i++) {
		if (i > 0 && *(*s)++ != '.')
			return false;
		if (!read_dec(s, 255, &octet))
			return false;
		v = v << 8 | octet;
	}
	*ip = v;
	return true;
}

bool
cidr_parse_ip(const char *s, uint32_t *ip)
{
	if (!s || !parse_ip_prefix(&s, ip))
		return false;
	return *s == '\0';
}

uint32_t
cidr_mask(uint8_t len)
{
	return len == 0 ? 0 : len >= 32 ? 0xffffffffu : ~(0xffffffffu >> len);
}

bool
cidr_parse(const char *s, struct prefix4 *p, char *err, size_t errlen)
{
	const char *c = s;
	uint32_t ip;
	unsigned int len;
	char buf[CIDR_STRLEN];

	if (!s || !*s) {
		snprintf(err, errlen, "empty CIDR");
		return false;
	}
	if (!parse_ip_prefix(&c, &ip)) {
		snprintf(err, errlen, "\"%s\" is not an IPv4 CIDR (want a.b.c.d/len)", s);
		return false;
	}
	if (*c != '/') {
		snprintf(err, errlen, "\"%s\" has no prefix length (want a.b.c.d/len)", s);
		return false;
	}
	c++;
	if (!read_dec(&c, 99, &len) || *c != '\0') {
		snprintf(err, errlen, "\"%s\" has a bad prefix length", s);
		return false;
	}
	if (len > 32) {
		snprintf(err, errlen, "\"%s\": prefix length %u is more than 32", s, len);
		return false;
	}
	p->len = (uint8_t)len;
	p->addr = ip & cidr_mask(p->len);
	if (p->addr != ip) {
		snprintf(err, errlen, "\"%s\" has host bits set (did you mean %s?)", s,
			 cidr_fmt(p, buf));
		return false;
	}
	return true;
}

char *
cidr_fmt_ip(uint32_t ip, char buf[static CIDR_STRLEN])
{
	snprintf(buf, CIDR_STRLEN, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff,
		 (ip >> 8) & 0xff, ip & 0xff);
	return buf;
}

char *
cidr_fmt(const struct prefix4 *p, char buf[static CIDR_STRLEN])
{
	uint32_t ip = p->addr;

	snprintf(buf, CIDR_STRLEN, "%u.%u.%u.%u/%u", ip >> 24, (ip >> 16) & 0xff,
		 (ip >> 8) & 0xff, ip & 0xff, p->len);
	return buf;
}

bool
cidr_contains_ip(const struct prefix4 *p, uint32_t ip)
{
	return (ip & cidr_mask(p->len)) == p->addr;
}

bool
cidr_contains(const struct prefix4 *outer, const struct prefix4 *inner)
{
	return outer->len <= inner->len && cidr_contains_ip(outer, inner->addr);
}

bool
cidr_overlaps(const struct prefix4 *a, const struct prefix4 *b)
{
	return cidr_contains(a, b) || cidr_contains(b, a);
}

bool
cidr_equal(const struct prefix4 *a, const struct prefix4 *b)
{
	return a->len == b->len && a->addr == b->addr;
}

bool
cidr_parse_list(const char *s, char sep, struct cidr_list *l, char *err, size_t errlen)
{
	char item[64];
	const char *p = s, *end;
	char buf[CIDR_STRLEN];

	if (!s || !*s) {
		snprintf(err, errlen, "empty list");
		return false;
	}
	for (;;) {
		struct prefix4 v;
		size_t len;

		end = strchr(p, sep);
		len = end ? (size_t)(end - p) : strlen(p);
		if (len == 0 || len >= sizeof(item)) {
			snprintf(err, errlen, len ? "\"%.40s...\" is too long" : "empty item in \"%s\"",
				 len ? p : s);
			return false;
		}
		memcpy(item, p, len);
		item[len] = '\0';
		if (!cidr_parse(item, &v, err, errlen))
			return false;
		for (size_t i = 0; i < l->n; i++) {
			if (cidr_equal(&l->v[i], &v)) {
				snprintf(err, errlen, "%s is listed twice", cidr_fmt(&v, buf));
				return false;
			}
		}
		if (l->n == CIDR_LIST_MAX) {
			snprintf(err, errlen, "more than %d CIDRs", CIDR_LIST_MAX);
			return false;
		}
		l->v[l->n++] = v;
		if (!end)
			return true;
		p = end + 1;
	}
}

int
cidr_cmp(const void *a, const void *b)
{
	const struct prefix4 *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return (int)x->len - (int)y->len;
}

size_t
cidr_aggregate(struct prefix4 *v, size_t n)
{
	bool again = true;

	while (again && n > 1) {
		size_t o = 0;

		again = false;
		qsort(v, n, sizeof(*v), cidr_cmp);
		for (size_t i = 0; i < n; i++) {
			if (o && cidr_contains(&v[o - 1], &v[i])) {
				again = true;
				continue;
			}
			if (o && v[o - 1].len == v[i].len && v[i].len > 0 &&
			    (v[o - 1].addr & cidr_mask((uint8_t)(v[i].len - 1))) ==
			    (v[i].addr & cidr_mask((uint8_t)(v[i].len - 1)))) {
				v[o - 1].len--;
				v[o - 1].addr &= cidr_mask(v[o - 1].len);
				again = true;
				continue;
			}
			v[o++] = v[i];
		}
		n = o;
	}
	return n;
}

static int
span_cmp(const void *a, const void *b)
{
	const struct cidr_span *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

size_t
cidr_spans(const struct prefix4 *v, size_t n, struct cidr_span *out)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		out[i] = (struct cidr_span){ v[i].addr & cidr_mask(v[i].len),
					     v[i].addr | ~cidr_mask(v[i].len) };
	qsort(out, n, sizeof(*out), span_cmp);
	for (size_t i = 0; i < n; i++) {
		if (k && out[i].lo <= out[k - 1].hi) {	/* overlapping: one span */
			if (out[i].hi > out[k - 1].hi)
				out[k - 1].hi = out[i].hi;
			continue;
		}
		out[k++] = out[i];
	}
	return k;
}

bool
cidr_spans_overlap(const struct cidr_span *s, size_t n, const struct prefix4 *p)
{
	uint32_t lo = p->addr & cidr_mask(p->len), hi = p->addr | ~cidr_mask(p->len);
	size_t a = 0, b = n;

	while (a < b) {		/* the first span that ends at lo or later */
		size_t m = a + (b - a) / 2;

		if (s[m].hi < lo)
			a = m + 1;
		else
			b = m;
	}
	return a < n && s[a].lo <= hi;
}
