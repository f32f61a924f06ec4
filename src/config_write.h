/* config_write.h - adding an account to a configuration file without
 * disturbing what is there: every byte of the existing file (comments,
 * blank lines, other sections) is kept, the new section goes at the end,
 * and the file is replaced atomically (a temporary file in the same
 * directory, fsync, rename), keeping its mode.  A new file is created 0600
 * in directories created 0700. */
#ifndef POSTERN_CONFIG_WRITE_H
#define POSTERN_CONFIG_WRITE_H

#include "config.h"
#include "error.h"
#include "util.h"

/* Whether value can be written as "key = value" and read back unchanged by
 * config.c: not empty, no control characters, no blank at either end
 * (inih strips them), no " ;" or " #" (an inline comment would cut it), and
 * the line at most 199 octets.  Returns 1 or 0; *why (may be NULL) gets a
 * static sentence.  value is untrusted (the command line, autoconfig). */
int config_value_ok(const char *key, const char *value, const char **why);

/* Whether name can be a section header [name] that config.c accepts
 * (printable ASCII, no blank, no brackets, not "defaults").  name is
 * untrusted. */
int config_section_name_ok(const char *name);

/* Append "key = value" to section text (checked with config_value_ok).
 * Returns 0, or -1 with ERR_USAGE naming the key and why. */
int config_section_add(struct buf *section, const char *key, const char *value,
		       struct error *e);

/* Add section (the text of one section, starting with its "[name]" line,
 * each line ending in "\n") to the file at path, named name.
 *
 * An existing file is read (at most 256 KiB) and parsed together with the
 * new section.  Refusals, with the file left untouched: a section of that
 * name already there (ERR_IO, "already has [name]"); a file postern
 * cannot parse (ERR_CONFIG naming file:line); with holds_password set, a
 * file its group or others may read, or another user's (ERR_CONFIG,
 * naming the chmod).  A missing file is created 0600, its missing
 * directories 0700.  Returns 0, or -1 with e (ERR_IO for a write that
 * failed: nothing changed, the temporary file removed). */
int config_append_section(const char *path, const char *name, const char *section,
			  int holds_password, struct error *e);

/* Create path holding text[0..len), mode 0600, only if no file of that
 * name exists: written to a temporary file beside it, synced, then linked
 * to its name, so that it appears whole or not at all and an existing file
 * is never replaced.  Missing directories are created 0700.  Returns 0, 1
 * when path exists (nothing changed), or -1 with ERR_IO. */
int config_create_file(const char *path, const char *text, size_t len, struct error *e);

/* The checks config_append_section() makes before it writes, without
 * writing: the configuration the file would hold with the section added
 * goes into c (config_init'ed; the caller releases it), so that the new
 * account can be used (a login) before anything is written.  Errors as
 * config_append_section(); a missing file is no error. */
int config_preview_section(const char *path, const char *name, const char *section,
			   int holds_password, struct config *c, struct error *e);

#endif
