#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "agent/core/view.h"

#define VIEW_MIN_BUCKETS 64

static int cmp_route(const void *a, const void *b);

static size_t
bucket(const struct view *v, const struct prefix4 *p)
{
	uint32_t h = p->addr * 2654435761u ^ (uint32_t)p->len * 40503u;

	return (h ^ h >> 16) & (v->nbuckets - 1);
}

static bool
same_dst(const struct prefix4 *a, const struct prefix4 *b)
{
	return a->addr == b->addr && a->len == b->len;
}

/* Removes route index i from its bucket's chain. */
static void
unlink_route(struct view *v, uint32_t i)
{
	uint32_t *slot = &v->head[bucket(v, &v->kv->routes[i].dst)];

	while (*slot && *slot != i + 1)
		slot = &v->next[*slot - 1];
	if (*slot)
		*slot = v->next[i];
}

static void
link_route(struct view *v, uint32_t i)
{
	size_t b = bucket(v, &v->kv->routes[i].dst);

	v->next[i] = v->head[b];
	v->head[b] = i + 1;
}

static int
rehash(struct view *v, size_t nbuckets)
{
	uint32_t *head = calloc(nbuckets, sizeof(*head));

	if (!head)
		return -ENOMEM;
	free(v->head);
	v->head = head;
	v->nbuckets = nbuckets;
	for (size_t i = 0; i < v->kv->nroutes; i++)
		link_route(v, (uint32_t)i);
	return 0;
}

/* Room for one more route: the arrays grow by half, the buckets double
 * when they hold more than one route each on average. */
static int
reserve(struct view *v)
{
	size_t cap = v->route_cap + v->route_cap / 2 + 256;
	struct route4 *r;
	uint32_t *nx;

	if (v->kv->nroutes >= UINT32_MAX - 1)
		return -ENOMEM;
	if (v->kv->nroutes < v->route_cap)
		return v->kv->nroutes < v->nbuckets ? 0 : rehash(v, v->nbuckets * 2);
	if (!(r = realloc(v->kv->routes, cap * sizeof(*r))))
		return -ENOMEM;
	v->kv->routes = r;
	if (!(nx = realloc(v->next, cap * sizeof(*nx))))
		return -ENOMEM;
	v->next = nx;
	v->route_cap = cap;
	return v->kv->nroutes < v->nbuckets ? 0 : rehash(v, v->nbuckets * 2);
}

int
view_seed(struct view *v, struct kview *kv, struct kview *dump)
{
	size_t nb = VIEW_MIN_BUCKETS;

	view_free(v);
	v->kv = kv;
	kview_free(kv);
	*kv = *dump;
	memset(dump, 0, sizeof(*dump));
	v->route_cap = v->kv->nroutes;
	while (nb < 2 * v->kv->nroutes)
		nb *= 2;
	v->next = malloc((v->route_cap ? v->route_cap : 1) * sizeof(*v->next));
	if (!v->next || rehash(v, nb) < 0) {
		view_free(v);
		return -ENOMEM;
	}
	return 0;
}

void
view_free(struct view *v)
{
	if (!v)
		return;
	kview_free(v->kv);	/* NULL-safe */
	free(v->head);
	free(v->next);
	memset(v, 0, sizeof(*v));
}

/* Removes route index i: the last route takes its place. */
static void
remove_route(struct view *v, uint32_t i)
{
	uint32_t last = (uint32_t)v->kv->nroutes - 1;

	unlink_route(v, i);
	if (i != last) {
		unlink_route(v, last);
		v->kv->routes[i] = v->kv->routes[last];
		link_route(v, i);
	}
	v->kv->nroutes--;
}

/* The route of r's destination and metric; with exact, the one equal to r
 * in every field (a second route appended to the same key differs). */
static long
find_key(const struct view *v, const struct route4 *r, bool exact)
{
	for (uint32_t i = v->head[bucket(v, &r->dst)]; i; i = v->next[i - 1]) {
		const struct route4 *o = &v->kv->routes[i - 1];

		if (same_dst(&o->dst, &r->dst) && o->priority == r->priority &&
		    (!exact || !cmp_route(o, r)))
			return (long)i - 1;
	}
	return -1;
}

int
view_route(struct view *v, const struct route4 *r, bool deleted, bool replace)
{
	long i = find_key(v, r, true);
	int err;

	if (deleted) {
		if (i < 0)
			i = find_key(v, r, false);
		if (i < 0)
			return 0;
		remove_route(v, (uint32_t)i);
		return 1;
	}
	if (i >= 0)
		return 0;	/* told twice */
	if (i < 0 && replace)
		i = find_key(v, r, false);
	if (i >= 0) {
		v->kv->routes[i] = *r;	/* same key: same bucket */
		return 1;
	}
	if ((err = reserve(v)) < 0)
		return err;
	v->kv->routes[v->kv->nroutes] = *r;
	link_route(v, (uint32_t)v->kv->nroutes++);
	return 1;
}

int
view_link(struct view *v, const struct link *l, bool deleted)
{
	struct kview *kv = v->kv;
	struct link *nl;
	size_t i = 0;

	while (i < kv->nlinks && kv->links[i].index != l->index)
		i++;
	if (deleted) {
		if (i < kv->nlinks)
			kv->links[i] = kv->links[--kv->nlinks];
		for (size_t k = kv->naddrs; k-- > 0;)
			if (kv->addrs[k].ifindex == l->index)
				kv->addrs[k] = kv->addrs[--kv->naddrs];
		return 1;
	}
	if (i == kv->nlinks) {
		if (!(nl = realloc(kv->links, (kv->nlinks + 1) * sizeof(*nl))))
			return -ENOMEM;
		kv->links = nl;
		kv->nlinks++;
	}
	kv->links[i] = *l;
	return 1;
}

int
view_addr(struct view *v, const struct addr4 *a, bool deleted)
{
	struct kview *kv = v->kv;
	struct addr4 *na;
	size_t i = 0;

	while (i < kv->naddrs && (kv->addrs[i].ifindex != a->ifindex ||
				  kv->addrs[i].local != a->local || kv->addrs[i].len != a->len))
		i++;
	if (deleted) {
		if (i == kv->naddrs)
			return 0;
		kv->addrs[i] = kv->addrs[--kv->naddrs];
		return 1;
	}
	if (i < kv->naddrs)
		return 0;
	if (!(na = realloc(kv->addrs, (kv->naddrs + 1) * sizeof(*na))))
		return -ENOMEM;
	kv->addrs = na;
	kv->addrs[kv->naddrs++] = *a;
	return 1;
}

const struct route4 *
view_find(const struct view *v, const struct prefix4 *dst)
{
	const struct route4 *best = NULL;

	if (!v->nbuckets)
		return NULL;	/* not seeded */
	for (uint32_t i = v->head[bucket(v, dst)]; i; i = v->next[i - 1]) {
		const struct route4 *r = &v->kv->routes[i - 1];

		if (same_dst(&r->dst, dst) && (!best || r->priority < best->priority))
			best = r;
	}
	return best;
}

#define CMP(x, y) do { if ((x) != (y)) return (x) < (y) ? -1 : 1; } while (0)

/* Field by field: struct padding is never compared. */
static int
cmp_route(const void *a, const void *b)
{
	const struct route4 *x = a, *y = b;

	CMP(x->dst.addr, y->dst.addr);
	CMP(x->dst.len, y->dst.len);
	CMP(x->priority, y->priority);
	CMP(x->gw, y->gw);
	CMP(x->oif, y->oif);
	CMP(x->prefsrc, y->prefsrc);
	CMP(x->table, y->table);
	CMP(x->protocol, y->protocol);
	CMP(x->scope, y->scope);
	CMP(x->type, y->type);
	return 0;
}

static int
cmp_addr(const void *a, const void *b)
{
	const struct addr4 *x = a, *y = b;

	CMP(x->ifindex, y->ifindex);
	CMP(x->local, y->local);
	CMP(x->len, y->len);
	return 0;
}

static int
cmp_link(const void *a, const void *b)
{
	const struct link *x = a, *y = b;

	if (x->index != y->index)
		return x->index < y->index ? -1 : 1;
	if (x->flags != y->flags)
		return x->flags < y->flags ? -1 : 1;
	return strncmp(x->name, y->name, sizeof(x->name));
}

/* Sorted copies of both arrays, then a merge: elements in one and not the other. */
static long
diff_sorted(const void *a, size_t na, const void *b, size_t nb, size_t sz,
	    int (*cmp)(const void *, const void *))
{
	char *x = malloc(na * sz + 1), *y = malloc(nb * sz + 1);
	size_t i = 0, j = 0;
	long d = 0;

	if (!x || !y) {
		free(x);
		free(y);
		return -ENOMEM;
	}
	if (na)
		memcpy(x, a, na * sz);
	if (nb)
		memcpy(y, b, nb * sz);
	qsort(x, na, sz, cmp);
	qsort(y, nb, sz, cmp);
	while (i < na && j < nb) {
		int c = cmp(x + i * sz, y + j * sz);

		d += c != 0;
		i += c <= 0;
		j += c >= 0;
	}
	free(x);
	free(y);
	return d + (long)(na - i) + (long)(nb - j);
}

long
view_diff(const struct kview *a, const struct kview *b)
{
	long d[3];

	d[0] = diff_sorted(a->routes, a->nroutes, b->routes, b->nroutes, sizeof(struct route4),
			   cmp_route);
	d[1] = diff_sorted(a->addrs, a->naddrs, b->addrs, b->naddrs, sizeof(struct addr4), cmp_addr);
	d[2] = diff_sorted(a->links, a->nlinks, b->links, b->nlinks, sizeof(struct link), cmp_link);
	if (d[0] < 0 || d[1] < 0 || d[2] < 0)
		return -ENOMEM;
	return d[0] + d[1] + d[2];
}
