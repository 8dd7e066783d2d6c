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
	struct kobj_list l;
	json_t *it;
	size_t n = 0;
	int r;

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
	/* A page: every item it counted is handed out, each a bounded value. */
	if (kobj_list_open((const char *)data, size, &l, rv, cont, err, sizeof(err))) {
		if (!rv[0])
			abort();
		while ((r = kobj_list_next(&l, &it, err, sizeof(err))) > 0) {
			n++;
			check_node(it);
			json_decref(it);
		}
		if (r < 0)
			check_text(err);
		else if (n != l.n)
			abort();
	} else
		check_text(err);
	return 0;
}
