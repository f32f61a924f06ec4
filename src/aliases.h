/* aliases.h - the local aliases file (the /etc/aliases syntax) that maps a
 * bare local recipient (root, a cron user, www-data) to real addresses in
 * the envelope.  Only addresses come out of it: the |command, /file and
 * :include: targets of a local delivery agent are skipped with a warning
 * and never run, written or read. */
#ifndef POSTERN_ALIASES_H
#define POSTERN_ALIASES_H

#include <stddef.h>

#include "error.h"
#include "util.h"

/* Longest chain of aliases followed (root -> admin -> ops -> ...). */
#define ALIASES_DEPTH_MAX 8
/* Most addresses one name may expand to. */
#define ALIASES_EXPAND_MAX 1000
/* Largest file read (a real one is a few KiB). */
#define ALIASES_FILE_MAX (1024 * 1024)

struct alias {
	char *name;		/* lower case, as written before ':' */
	struct strvec to;	/* the address targets, bare addr-specs */
	int line;
};

struct aliases {
	char *label;		/* the file, for messages */
	struct alias *a;
	size_t n;
	const struct alias *fallback;	/* the "default:" entry, or NULL */
};

void aliases_init(struct aliases *al);
void aliases_release(struct aliases *al);

/* Parse text (label names it in messages) into al, which must be freshly
 * initialised.  Syntax: "name: target, target" per entry; a line that
 * starts with a blank continues the entry before it; '#' starts a comment
 * line; empty lines are ignored.  A target is an address ("a@b", "<a@b>",
 * "\"a b\"@c") or a bare local name (followed through the file).
 * "|command", "/file" and ":include:" targets are skipped; each skip and
 * each duplicate name (the first one counts) appends a "label:line: ..."
 * line to warn (may be NULL).  Returns 0, or -1 with ERR_CONFIG naming
 * "label:line" for a line that is no entry (no ':', an empty or blank
 * name, a continuation with nothing to continue, a NUL byte) or a target
 * that is no address.  text is untrusted (a fuzz target). */
int aliases_parse(struct aliases *al, const char *label, const char *text, size_t len,
		  struct buf *warn, struct error *e);

/* Read and parse the file at path.  Returns 0, or -1 with ERR_CONFIG when
 * it cannot be read, is not a regular file, is larger than
 * ALIASES_FILE_MAX, or does not parse. */
int aliases_load(struct aliases *al, const char *path, struct buf *warn, struct error *e);

/* Expand a bare local name (no '@'): its entry's targets, each bare target
 * that has an entry of its own followed in turn (up to ALIASES_DEPTH_MAX
 * deep), without duplicates, appended to out.  A name with no entry takes
 * the "default:" entry when there is one.  A bare name that maps to
 * itself ("root: root, a@b") or has no entry and no default stays as it is
 * in out: the caller qualifies it or refuses it.  Returns 1 when name had
 * an entry (or the default), 0 when it had none (out unchanged), -1 with
 * ERR_CONFIG on a loop deeper than ALIASES_DEPTH_MAX or more than
 * ALIASES_EXPAND_MAX addresses.  name is untrusted. */
int aliases_expand(const struct aliases *al, const char *name, struct strvec *out,
		   struct error *e);

#endif
