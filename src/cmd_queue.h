/* cmd_queue.h - `postern queue list|run|show|drop|retry`, and the sendmail
 * spellings: mailq and -bp (list), -q (run). */
#ifndef POSTERN_CMD_QUEUE_H
#define POSTERN_CMD_QUEUE_H

/* argv[0] is "queue".  Returns a sysexits.h code (see postern(1), QUEUE);
 * messages on stderr, listings on stdout. */
int cmd_queue(int argc, char **argv);

/* mailq / -bp, and -q, with -C FILE (NULL: the usual places).  -q sends
 * every queued message that is not held, due or not.  They return a
 * sysexits code. */
int cmd_queue_list(const char *config);
int cmd_queue_run(const char *config);

#endif
