#ifndef PODREACH_CHECK_H
#define PODREACH_CHECK_H

/* `podreach check`: gather, evaluate (and in enforce mode fix) once, print
 * the report.  argv[0] is the command word.  Returns the exit status. */
int check_main(int argc, char *argv[]);

#endif
