/* podreach: one binary, a table of commands (wireguard-tools' manner). */
#include <stdio.h>
#include <string.h>

#include "agent/daemon/agentd.h"
#include "agent/core/cfg.h"
#include "agent/cli/check.h"
#include "agent/cli/why.h"
#include "agent/core/version.h"

static int
version_main(int argc, char *argv[])
{
	printf("podreach %s\n", PODREACH_VERSION);
	return EXIT_OK;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char *argv[]);
	const char *help;
} commands[] = {
	{ "agent", agent_main, "the per-node daemon: watch, reconcile, probe, serve HTTP" },
	{ "check", check_main, "gather, evaluate and probe once, print the report, exit" },
	{ "why", why_main, "trace one flow hop by hop across both clusters (asks the local agent)" },
	{ "version", version_main, "print the version" },
};

static void
usage(FILE *out)
{
	fprintf(out, "usage: podreach <command> [options]\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].help);
	fprintf(out, "`podreach check --help` lists the options.\n");
}

int
main(int argc, char *argv[])
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "podreach: unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
