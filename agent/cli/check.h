#ifndef PODREACH_CHECK_H
#define PODREACH_CHECK_H

/* Exit statuses of SPEC. */
enum { EXIT_OK = 0, EXIT_PROBLEM = 1, EXIT_USAGE = 2, EXIT_RUNTIME = 3 };

/* `podreach check`: gather, evaluate (and in enforce mode fix) once, print
 * the report.  argv[0] is the command word.  Returns the exit status. */
int check_main(int argc, char *argv[]);

#endif
