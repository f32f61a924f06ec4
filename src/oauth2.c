/* oauth2.c - see oauth2.h.  Stubs for now: the API the other modules
 * build against. */
#include <stdlib.h>
#include <string.h>

#include "oauth2.h"

int oauth2_endpoints_get(const struct account *a, struct oauth2_endpoints *out, struct error *e)
{
	(void)a;
	memset(out, 0, sizeof(*out));
	return error_set(e, ERR_INTERNAL, "oauth2: not implemented yet");
}

void oauth2_endpoints_release(struct oauth2_endpoints *ep)
{
	free(ep->authorize);
	free(ep->token);
	free(ep->device);
	free(ep->scope);
	memset(ep, 0, sizeof(*ep));
}

void oauth2_grant_init(struct oauth2_grant *g)
{
	memset(g, 0, sizeof(*g));
	buf_init_secret(&g->access);
	buf_init_secret(&g->refresh);
}

void oauth2_grant_release(struct oauth2_grant *g)
{
	buf_release(&g->access);
	buf_release(&g->refresh);
	free(g->scope);
	free(g->error);
	free(g->error_description);
	oauth2_grant_init(g);
}

int oauth2_token_post(const struct account *a, const char *url, const struct buf *form,
		      struct oauth2_grant *g, struct error *e)
{
	(void)a, (void)url, (void)form, (void)g;
	return error_set(e, ERR_INTERNAL, "oauth2: not implemented yet");
}

int oauth2_device_start(const struct account *a, struct oauth2_device *d, struct error *e)
{
	(void)a;
	memset(d, 0, sizeof(*d));
	buf_init_secret(&d->device_code);
	return error_set(e, ERR_INTERNAL, "oauth2: not implemented yet");
}

void oauth2_device_release(struct oauth2_device *d)
{
	buf_release(&d->device_code);
	free(d->user_code);
	free(d->verification_uri);
	free(d->verification_uri_complete);
	memset(d, 0, sizeof(*d));
	buf_init_secret(&d->device_code);
}

int oauth2_store_grant(const struct account *a, const struct oauth2_grant *g, char **where,
		       struct error *e)
{
	(void)a, (void)g;
	*where = NULL;
	return error_set(e, ERR_INTERNAL, "oauth2: not implemented yet");
}

int oauth2_access_token(const struct account *a, int force_refresh, struct secret *out,
			struct error *e)
{
	(void)a, (void)force_refresh, (void)out;
	return error_set(e, ERR_INTERNAL, "oauth2: not implemented yet");
}

void oauth2_drop_cached(const struct account *a)
{
	(void)a;
}

int oauth2_cmd_status(const struct account *a, FILE *out, struct error *e)
{
	(void)a, (void)out;
	return error_set(e, ERR_INTERNAL, "oauth2: not implemented yet");
}

int oauth2_cmd_forget(const struct account *a, FILE *out, struct error *e)
{
	(void)a, (void)out;
	return error_set(e, ERR_INTERNAL, "oauth2: not implemented yet");
}
