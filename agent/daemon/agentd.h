#ifndef PODREACH_AGENTD_H
#define PODREACH_AGENTD_H

/* `podreach agent`: the per-node daemon.  argv[0] is the command word.
 * Returns the exit status (0 after SIGTERM/SIGINT). */
int agent_main(int argc, char *argv[]);

#endif
