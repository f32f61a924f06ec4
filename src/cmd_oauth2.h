/* cmd_oauth2.h - `postern oauth2 authorize|status|forget [-C FILE] ACCOUNT`:
 * get a refresh token from the account's identity provider (the loopback
 * redirect with PKCE, the device flow, or the redirected URL pasted back),
 * show what is stored, or remove it. */
#ifndef POSTERN_CMD_OAUTH2_H
#define POSTERN_CMD_OAUTH2_H

/* argv[0] is "oauth2".  Returns a sysexits.h code: 0 done, 64 usage,
 * 77 the provider refused, 75 the provider could not be reached, 78 the
 * configuration is wrong.  Messages on stderr, results on stdout. */
int cmd_oauth2(int argc, char **argv);

#endif
