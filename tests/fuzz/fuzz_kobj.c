/*
 * The Kubernetes object decoders (agent/core/kobj.c): one watch event line of
 * any bytes, its object decoded as a Node and as a Secret, and the same bytes
 * as a list page.  Accepted data is bounded and valid; refusals say why in
 * printable text.
 */
#include <ctype.h>
#include <stdlib.h>

#include "agent/core/kobj.h"
#include "tests/fuzz/fuzz.h"

static void
check_text(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20)
			abort();
}

static void
check_node(const json_t *obj)
{
	struct kobj_node n;
	char err[200];

	if (!kobj_node(obj, &n, err, sizeof(err))) {
		check_text(err);
		return;
	}
	if (!n.name[0] || n.cidrs.n > CIDR_LIST_MAX || (n.error[0] && n.cidrs.n))
		abort();
	for (size_t i = 0; i < n.cidrs.n; i++)
		if (n.cidrs.v[i].len > 32 || (n.cidrs.v[i].len < 32 && (n.cidrs.v[i].addr << n.cidrs.v[i].len)))
			abort();
}

static void
check_secret(const json_t *obj)
{
	struct kobj_secret s;
	char err[200];

	if (!kobj_secret(obj, 4096, &s, err, sizeof(err))) {
		check_text(err);
		return;
	}
	for (size_t i = 0; i < s.n; i++)
		if ((s.data[i].value != NULL) == (s.data[i].error[0] != '\0') ||
		    (s.data[i].value && (s.data[i].len > 4096 || strlen(s.data[i].value) != s.data[i].len)))
			abort();
	kobj_secret_free(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[200], rv[KOBJ_RV_MAX], cont[KOBJ_CONTINUE_MAX];
	struct kobj_event ev;
	json_t *items;

	if (kobj_parse_event((const char *)data, size, &ev, err, sizeof(err))) {
		if ((ev.type == KOBJ_ERROR) != (ev.object == NULL))
			abort();
		check_text(ev.message);
		if (ev.object) {
			check_node(ev.object);
			check_secret(ev.object);
		}
		kobj_event_free(&ev);
	} else
		check_text(err);
	if (kobj_parse_list((const char *)data, size, &items, rv, cont, err, sizeof(err))) {
		if (!json_is_array(items) || !rv[0])
			abort();
		json_decref(items);
	}
	return 0;
}
