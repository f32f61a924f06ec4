/* cmd_password.h - `postern password set|forget|check [-C FILE] [ACCOUNT]`:
 * store the account's password in the keyring (read without echo from the
 * terminal, or from stdin when it is not one), remove it, or say which
 * source answers and authenticate against the server without sending mail. */
#ifndef POSTERN_CMD_PASSWORD_H
#define POSTERN_CMD_PASSWORD_H

/* argv[0] is "password".  Returns a sysexits.h code; messages on stderr,
 * results on stdout. */
int cmd_password(int argc, char **argv);

#endif
