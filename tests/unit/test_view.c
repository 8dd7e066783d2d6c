/* The incremental kernel view against a naive model: random notifications
 * (adds, deletes, replaces, duplicates) must leave exactly the routes the
 * model holds; what the kernel flushes silently goes from the view too. */
#include <errno.h>
#include <net/if.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "agent/core/view.h"

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static struct route4
rt(uint32_t dst, uint8_t len, uint32_t gw, int oif, uint32_t prio)
{
	return (struct route4){ .dst = { dst, len }, .gw = gw, .oif = oif, .priority = prio,
				.table = 254, .protocol = 152, .type = 1 };
}

/* A view seeded with n routes 10.x.y.0/24 via 172.18.0.2 dev 2. */
static struct kview storage;

static void
seeded(struct view *v, size_t n)
{
	struct kview dump = { 0 };

	memset(v, 0, sizeof(*v));
	dump.routes = calloc(n ? n : 1, sizeof(*dump.routes));
	assert_non_null(dump.routes);
	for (size_t i = 0; i < n; i++)
		dump.routes[i] = rt(IP4(10, (i >> 8) & 255, i & 255, 0), 24, IP4(172, 18, 0, 2), 2, 0);
	dump.nroutes = n;
	assert_int_equal(view_seed(v, &storage, &dump), 0);
	assert_null(dump.routes);
}

static void
test_find_add_delete_replace(void **state)
{
	struct view v;
	struct route4 a = rt(IP4(10, 244, 0, 0), 24, IP4(172, 18, 0, 2), 2, 0);
	struct route4 b = a;

	seeded(&v, 1000);
	assert_int_equal(view_route(&v, &a, false, false), 1);
	assert_int_equal(view_route(&v, &a, false, false), 0);	/* told twice */
	assert_int_equal(view_find(&v, &a.dst)->gw, IP4(172, 18, 0, 2));
	b.gw = IP4(172, 18, 0, 9);
	assert_int_equal(view_route(&v, &b, false, true), 1);	/* replace */
	assert_int_equal(view_find(&v, &a.dst)->gw, IP4(172, 18, 0, 9));
	assert_int_equal(v.kv->nroutes, 1001);
	b.priority = 5;	/* a second metric: the lower one is the kernel's */
	b.gw = IP4(172, 18, 0, 7);
	assert_int_equal(view_route(&v, &b, false, false), 1);
	assert_int_equal(view_find(&v, &a.dst)->priority, 0);
	assert_int_equal(view_route(&v, &a, true, false), 1);	/* deletes metric 0 */
	assert_int_equal(view_find(&v, &a.dst)->gw, IP4(172, 18, 0, 7));
	assert_int_equal(view_route(&v, &b, true, false), 1);
	assert_null(view_find(&v, &a.dst));
	assert_int_equal(view_route(&v, &b, true, false), 0);	/* already gone */
	assert_int_equal(v.kv->nroutes, 1000);
	view_free(&v);
	view_free(&v);	/* NULL-safe twice */
}

/* 200,000 random notifications against a model; then view_diff says 0. */
/* Growth from every seed size, however small (a seed of one route once
 * grew by nothing and wrote past its array). */
static void
test_growth_from_small_seeds(void **state)
{
	for (size_t seed = 0; seed < 4; seed++) {
		struct view v;

		seeded(&v, seed);
		for (uint32_t i = 0; i < 600; i++) {
			struct route4 r = rt(IP4(10, 250, i >> 8, i & 255), 32, IP4(172, 18, 0, 2), 2, 0);

			assert_int_equal(view_route(&v, &r, false, false), 1);
		}
		assert_int_equal(v.kv->nroutes, seed + 600);
		assert_non_null(view_find(&v, &(struct prefix4){ IP4(10, 250, 2, 87), 32 }));
		view_free(&v);
	}
}

static void
test_random_against_model(void **state)
{
	enum { SLOTS = 4096 };
	static bool present[SLOTS];
	static uint32_t gw[SLOTS];
	struct kview model = { 0 };
	struct view v;
	size_t n = 0;

	srandom(7);
	memset(present, 0, sizeof(present));
	seeded(&v, 0);
	for (int step = 0; step < 200000; step++) {
		size_t s = (size_t)random() % SLOTS;
		struct route4 r = rt(IP4(10, 200 + (s >> 10), (s >> 2) & 255, (s & 3) << 6), 26,
				     IP4(172, 18, 0, 2 + random() % 3), 2, 0);
		int op = (int)(random() % 3);

		if (op == 0 || (op == 2 && !present[s])) {		/* add */
			if (present[s])
				continue;	/* the kernel refuses EEXIST: no notification */
			present[s] = true;
			gw[s] = r.gw;
			n++;
			assert_int_equal(view_route(&v, &r, false, false), 1);
		} else if (op == 1) {					/* delete */
			assert_int_equal(view_route(&v, &r, true, false), present[s]);
			n -= present[s];
			present[s] = false;
		} else {						/* replace */
			gw[s] = r.gw;
			view_route(&v, &r, false, true);
		}
	}
	assert_int_equal(v.kv->nroutes, n);
	model.routes = calloc(n + 1, sizeof(*model.routes));
	model.nroutes = 0;
	for (size_t s = 0; s < SLOTS; s++)
		if (present[s])
			model.routes[model.nroutes++] = rt(IP4(10, 200 + (s >> 10), (s >> 2) & 255,
							       (s & 3) << 6), 26, gw[s], 2, 0);
	assert_int_equal(view_diff(v.kv, &model), 0);
	model.routes[0].gw ^= 1;	/* and it does see a difference */
	assert_int_equal(view_diff(v.kv, &model), 2);
	model.routes[0].gw ^= 1;
	/* A route on one side only, sorting last: counted whichever side. */
	model.nroutes--;
	assert_int_equal(view_diff(v.kv, &model), 1);
	assert_int_equal(view_diff(&model, v.kv), 1);
	model.nroutes++;
	kview_free(&model);
	view_free(&v);
}

/* Links and addresses: added, changed, deleted; a deleted link takes its
 * addresses with it.  Routes stay: reseeding after such events is the
 * caller's job (the kernel flushes without telling). */
static void
test_links_and_addresses(void **state)
{
	struct link eth = { .index = 2, .name = "eth0", .flags = IFF_UP };
	struct link veth = { .index = 3, .name = "veth1", .flags = IFF_UP };
	struct addr4 gwaddr = { 3, IP4(10, 245, 0, 1), 32 };
	struct view v;

	seeded(&v, 3);
	assert_int_equal(view_link(&v, &eth, false), 1);
	assert_int_equal(view_link(&v, &veth, false), 1);
	assert_int_equal(view_addr(&v, &gwaddr, false), 1);
	assert_int_equal(view_addr(&v, &gwaddr, false), 0);
	assert_true(kview_is_local(v.kv, gwaddr.local));
	eth.flags = 0;
	assert_int_equal(view_link(&v, &eth, false), 1);
	assert_int_equal(v.kv->links[0].flags, 0);
	assert_int_equal(view_link(&v, &veth, true), 1);
	assert_int_equal(v.kv->nlinks, 1);
	assert_false(kview_is_local(v.kv, gwaddr.local));	/* went with its link */
	assert_int_equal(view_addr(&v, &gwaddr, true), 0);
	assert_int_equal(v.kv->nroutes, 3);
	view_free(&v);
}

/* Two routes for one destination and metric (ip route append): each is
 * deleted by its own notification, not the other. */
static void
test_appended_routes(void **state)
{
	struct route4 a = rt(IP4(10, 244, 0, 0), 24, IP4(172, 18, 0, 2), 2, 0);
	struct route4 b = a;
	struct view v;

	b.protocol = 4;	/* static, same gateway */
	seeded(&v, 0);
	assert_int_equal(view_route(&v, &a, false, false), 1);
	assert_int_equal(view_route(&v, &b, false, false), 1);
	assert_int_equal(v.kv->nroutes, 2);
	assert_int_equal(view_route(&v, &a, true, false), 1);
	assert_int_equal(v.kv->nroutes, 1);
	assert_int_equal(view_find(&v, &a.dst)->protocol, 4);
	view_free(&v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_add_delete_replace),
		cmocka_unit_test(test_growth_from_small_seeds),
		cmocka_unit_test(test_random_against_model),
		cmocka_unit_test(test_links_and_addresses),
		cmocka_unit_test(test_appended_routes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
