/* cmd_import.h - `postern import-msmtprc [-C FILE] [--dry-run] [MSMTPRC]`:
 * turn msmtp's configuration into postern's, each account with the
 * settings it had in msmtp (msmtp's inheritance flattened, msmtp's own
 * defaults written out where postern's differ), and every value that has
 * no postern equivalent named in a warning with the reason.  Passwords
 * msmtp keeps in the keyring keep working: host and user are copied as
 * they are, and postern looks entries up under msmtp's attributes. */
#ifndef POSTERN_CMD_IMPORT_H
#define POSTERN_CMD_IMPORT_H

#include "error.h"
#include "msmtprc.h"
#include "util.h"

/* Convert the accounts of m (msmtprc_parse()) into postern's INI text,
 * appended to ini (make it a secret buffer: passwords go there).  label
 * names the msmtprc in the warnings; home replaces a leading ~ in file
 * names (NULL: left as is, which postern then refuses for log and
 * aliases).  Every value not converted adds one line "LABEL:LINE: KEY:
 * not converted: REASON\n" to warnings (sorted by line, each (line, key)
 * once; the reason may quote the msmtprc, which is untrusted: escape it
 * when shown).  An account postern could not use (no host, for one) is
 * left out with such a warning.  Every account written is checked with
 * config_parse_string().  Returns the number of accounts written, or -1
 * with ERR_CONFIG when there is none. */
int import_convert(const struct msmtprc *m, const char *label, const char *home,
		   struct buf *ini, struct buf *warnings, struct error *e);

/* 1 when the conversion table has one entry for every msmtp key (enum
 * msmtprc_key), in order, each with its converter or reason; for the unit
 * test, so that a key added to the reader cannot be dropped silently. */
int import_rules_complete(void);

/* argv[0] is "import-msmtprc".  Returns a sysexits.h code: 0 written (or
 * printed with --dry-run), 64 usage, 66 no msmtprc found, 73 the target
 * exists or cannot be created, 78 the msmtprc is malformed or has no
 * account.  Warnings and errors on stderr, the INI (--dry-run) and "wrote
 * N accounts to FILE" on stdout. */
int cmd_import(int argc, char **argv);

#endif
