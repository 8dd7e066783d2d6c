#ifndef PODREACH_CLI_WHY_H
#define PODREACH_CLI_WHY_H

/* `podreach why DST-IP[:PORT] [--src IP] [--agent URL] [--output text|json]`:
 * asks the local agent's /v1/why and prints the trace.  argv[0] is the
 * command word.  Returns 0 open, 1 blocked or failing, 2 usage, 3 runtime. */
int why_main(int argc, char *argv[]);

#endif
