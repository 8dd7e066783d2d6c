/*
 * `podreach why`: the command line around the agent's /v1/why.  The agent
 * does the work (it holds the kernel view, the ruleset and the other
 * agents); this asks it once, validates the answer as it would another
 * agent's, and prints it.
 */
#include <curl/curl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cli/why.h"
#include "agent/core/cfg.h"
#include "agent/core/why.h"
#include "agent/io/curlev.h"

#define WHY_AGENT_DEFAULT "http://127.0.0.1:9750"
#define WHY_WAIT_S 30L		/* the agent answers within its --timeout twice */

struct why_args {
	const char *dst, *src, *agent;
	bool json;
};

static void
usage(FILE *out)
{
	fprintf(out, "usage: podreach why DST-IP[:PORT] [--src IP] [--agent URL] "
		"[--output text|json]\n"
		"  traces one flow hop by hop across both clusters; asks the local agent\n"
		"  (--agent, default " WHY_AGENT_DEFAULT "), which does the work.\n"
		"  PORT defaults to the agent's first --probe-port; --src to a pod of this node.\n"
		"  exit: 0 open, 1 blocked or failing, 2 usage, 3 runtime\n");
}

/* Every input checked before anything is asked. */
static int
parse_args(int argc, char *argv[], struct why_args *w)
{
	static const struct option opts[] = {
		{ "src", required_argument, NULL, 's' }, { "agent", required_argument, NULL, 'a' },
		{ "output", required_argument, NULL, 'o' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char err[160];
	uint32_t ip;
	uint16_t port;
	int c;

	*w = (struct why_args){ .agent = WHY_AGENT_DEFAULT };
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': w->src = optarg; break;
		case 'a': w->agent = optarg; break;
		case 'o':
			if (strcmp(optarg, "text") && strcmp(optarg, "json")) {
				fprintf(stderr, "podreach why: --output \"%s\": want text or json\n", optarg);
				return EXIT_USAGE;
			}
			w->json = !strcmp(optarg, "json");
			break;
		case 'h': usage(stdout); return -1;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	w->dst = argv[optind];
	if (!why_parse_target(w->dst, 1, &ip, &port, err, sizeof(err))) {
		fprintf(stderr, "podreach why: \"%.60s\": %s\n", w->dst, err);
		return EXIT_USAGE;
	}
	if (w->src && !cidr_parse_ip(w->src, &ip)) {
		fprintf(stderr, "podreach why: --src \"%.60s\": want an IPv4 address\n", w->src);
		return EXIT_USAGE;
	}
	if (strncmp(w->agent, "http://", 7) || strlen(w->agent) > 200 ||
	    strpbrk(w->agent + 7, "?#@ \t\r\n")) {
		fprintf(stderr, "podreach why: --agent \"%.60s\": want http://HOST:PORT\n", w->agent);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* GETs url into body; returns the HTTP status, or -1 with err filled. */
static long
fetch(const char *url, struct curlev_body *body, char *err, size_t errlen)
{
	CURL *e = curl_easy_init();
	long status = -1;
	CURLcode rc;

	if (!e) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, curlev_body_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, WHY_WAIT_S);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE, (long)WHY_MAX_BODY);
	if ((rc = curl_easy_perform(e)) != CURLE_OK)
		snprintf(err, errlen, "%s", body->too_big ? "answer too large" : curl_easy_strerror(rc));
	else
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(e);
	return status;
}

static int
show(const struct why_args *w, const struct curlev_body *body)
{
	struct why_trace *t = calloc(1, sizeof(*t));
	char err[200], *s;
	int rc = EXIT_RUNTIME;

	if (!t)
		return EXIT_RUNTIME;
	if (!why_parse(body->buf ? body->buf : "", body->len, t, err, sizeof(err)))
		fprintf(stderr, "podreach why: the agent at %s answered something invalid: %s\n",
			w->agent, err);
	else if (w->json && (s = why_json(t))) {
		printf("%s\n", s);
		free(s);
		rc = why_exit(t);
	} else if (!w->json) {
		why_text(t, stdout);
		rc = why_exit(t);
	}
	free(t);
	return rc;
}

int
why_main(int argc, char *argv[])
{
	struct why_args w;
	struct curlev_body body = { .max = WHY_MAX_BODY };
	char url[512], err[200];
	long status;
	int rc;

	if ((rc = parse_args(argc, argv, &w)) != EXIT_OK)
		return rc < 0 ? EXIT_OK : rc;
	snprintf(url, sizeof(url), "%s/v1/why?dst=%s%s%s", w.agent, w.dst, w.src ? "&src=" : "",
		 w.src ? w.src : "");
	status = fetch(url, &body, err, sizeof(err));
	if (status < 0) {
		fprintf(stderr, "podreach why: asking the agent at %s: %s\n", w.agent, err);
		rc = EXIT_RUNTIME;
	} else if (status != 200) {
		fprintf(stderr, "podreach why: the agent at %s says HTTP %ld: %.300s", w.agent, status,
			body.buf ? body.buf : "\n");
		rc = status == 400 ? EXIT_USAGE : EXIT_RUNTIME;
	} else
		rc = show(&w, &body);
	free(body.buf);
	return rc;
}
