/* autoport.h - port = auto: the order in which the ports are tried, and
 * the memory of the port that worked for each account, a small file in
 * the state directory (auto-ports: "account host port" lines), rewritten
 * atomically.  The order and the file's text are pure functions. */
#ifndef POSTERN_AUTOPORT_H
#define POSTERN_AUTOPORT_H

#include <stddef.h>

#include "config.h"

#define AUTOPORT_N 3

/* The ports to race, in order, into out[AUTOPORT_N]: 465 (implicit TLS),
 * 587, 2525 (STARTTLS); the remembered one (0: none) first when it is one
 * of them (any other value is ignored).  Never 25. */
void autoport_order(unsigned remembered, unsigned out[AUTOPORT_N]);

/* The TLS that a port of the race speaks: implicit on 465, else STARTTLS. */
enum account_tls autoport_tls(unsigned port);

/* The port remembered for account at host in text (the file's contents,
 * which anyone with the user's rights may have written: lines that do not
 * parse are ignored), or 0. */
unsigned autoport_lookup(const char *text, const char *account, const char *host);

/* text with the line for account set to host and port (added, or
 * replacing the old one; other lines kept).  Caller frees. */
char *autoport_update(const char *text, const char *account, const char *host, unsigned port);

/* The remembered port for a from the state file, or 0 (no file, no line,
 * no state directory: not an error). */
unsigned autoport_load(const struct account *a);

/* Remember port for a: the file rewritten through a temporary file and
 * rename(), in a state directory made private (mkdir_private).  Returns 0,
 * or -1 with a sentence in e (ERR_IO); callers only report it with -v: a
 * lost memory costs a race next time, nothing more. */
int autoport_save(const struct account *a, unsigned port, struct error *e);

#endif
