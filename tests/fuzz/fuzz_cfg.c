/*
 * Option parsing (agent/core/cfg.c) with an argv and an environment built
 * from the input: NUL-separated words; a word of the form PODREACH_X=... (or
 * KUBERNETES_SERVICE_...) goes into the environment, any other into argv
 * after the command word (NODE_NAME and HOST_IP too).  What cfg_parse() accepts stays within its bounds;
 * what it refuses, it names.
 */
#include <stdlib.h>

#include "agent/core/cfg.h"
#include "tests/fuzz/fuzz.h"

#define MAX_WORDS 64

static bool is_env(const char *w)
{
	return (!strncmp(w, "PODREACH_", 9) || !strncmp(w, "KUBERNETES_", 11) ||
		!strncmp(w, "NODE_NAME", 9) || !strncmp(w, "HOST_IP", 7)) && strchr(w, '=');
}

static void check(const struct cfg *c, bool ok, const char *err)
{
	if (!ok) {
		if (!err[0] || !memchr(err, '\0', CFG_ERR_MAX))
			abort();
		return;
	}
	if (c->npeers > CFG_MAX_PEERS || c->nremotes > CFG_MAX_REMOTES ||
	    c->nprobe_ports > CFG_MAX_PORTS || c->nprobes > CFG_MAX_PROBES ||
	    c->pod_cidrs.n > CIDR_LIST_MAX || c->allow_cidrs.n > CIDR_LIST_MAX ||
	    !memchr(c->cluster, '\0', sizeof(c->cluster)) ||
	    !memchr(c->cni_conf_dir, '\0', sizeof(c->cni_conf_dir)))
		abort();
	for (size_t i = 0; i < c->nremotes; i++)
		if (c->remotes[i].cidrs.n == 0 || c->remotes[i].cidrs.n > CIDR_LIST_MAX)
			abort();
	if (!(c->interval > 0) || !(c->timeout > 0))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cfg c;		/* large: not on the stack */
	char *argv[MAX_WORDS + 2], *env[MAX_WORDS + 1], *copy, *w, err[CFG_ERR_MAX];
	int argc = 1, nenv = 0;

	if (size > 16384 || !(copy = malloc(size + 1)))
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	argv[0] = (char *)"check";
	for (w = copy; w < copy + size && argc + nenv < MAX_WORDS; w += strlen(w) + 1) {
		if (is_env(w))
			env[nenv++] = w;
		else
			argv[argc++] = w;
	}
	argv[argc] = NULL;
	env[nenv] = NULL;
	memset(&c, 0, sizeof(c));
	err[0] = '\0';
	check(&c, cfg_parse(&c, argc, argv, env, err), err);
	free(copy);
	return 0;
}
