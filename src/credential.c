/* credential.c - the order in which the password sources are asked. */
#include "credential.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyring.h"
#include "netrc.h"
#include "oauth2.h"
#include "password_command.h"
#include "prompt.h"
#include "util.h"

int credential_lookup(const struct account *a, const struct credential_opts *o, struct secret *s,
		  struct error *e)
{
	struct buf why = BUF_INIT;
	int rc = -1, r;

	secret_release(s);
	/* The access token postern gets itself: no password source is asked. */
	if (a->oauth2)
		return oauth2_access_token(a, 0, s, e);
	if (a->password) {
		secret_set(s, a->password, strlen(a->password), SECRET_CONFIG);
		snprintf(s->desc, sizeof(s->desc), "the configuration (password, line %d)",
			 a->password_line);
		return 0;
	}
	if (a->password_command)
		return password_command_run(a, o && o->command_timeout ? o->command_timeout : 30,
				     !(o && o->allow_prompt), s, e);
	if (!a->user || !a->host)
		return error_set(e, ERR_CONFIG,
				 "no password for account [%s]: it has no user (or host) to look one up; "
				 "add user = ... to [%s]", a->name, a->name);

	if (keyring_lookup(a, s, &why)) {
		rc = 0;
		goto out;
	}
	buf_adds(&why, "; ");
	r = netrc_lookup(a, s, &why, e);
	if (r < 0)
		goto out;
	if (r > 0) {
		rc = 0;
		goto out;
	}
	if (o && o->allow_prompt) {
		char *prompt = xasprintf("Password for %s at %s: ", a->user, a->host);
		struct error pe;

		error_clear(&pe);
		r = prompt_ask(prompt, s, &pe);
		free(prompt);
		if (r == 0) {
			s->source = SECRET_PROMPT;
			snprintf(s->desc, sizeof(s->desc), "the terminal");
			rc = 0;
			goto out;
		}
		buf_addf(&why, "; the terminal: %s", pe.msg);
	} else {
		buf_adds(&why, "; no terminal to ask on");
	}
	error_set(e, ERR_CONFIG,
		  "no password for account [%s] (%s at %s): %s.  Store one with: postern password set %s "
		  "(or set password_command, or password in a config file only you can read)",
		  a->name, a->user, a->host, why.data, a->name);
out:
	buf_release(&why);
	return rc;
}
