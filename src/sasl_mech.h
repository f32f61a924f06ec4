/* sasl_mech.h - private to the SASL modules: the mechanisms that live in
 * files of their own (sasl_scram.c, sasl_oauth.c), called by sasl.c's
 * step functions, and what they share. */
#ifndef POSTERN_SASL_MECH_H
#define POSTERN_SASL_MECH_H

#include "sasl.h"

/* SCRAM (RFC 5802, 7677): client-first, client-final from server-first,
 * and the check of server-final (also from the 235's additional data). */
int scram_first(struct sasl *s, struct buf *out, struct error *e);
int scram_final(struct sasl *s, const char *chal, size_t len, struct buf *out,
		struct error *e);
int scram_verify(struct sasl *s, const char *data, size_t len, struct error *e);
extern const char scram_impostor_msg[];

/* XOAUTH2 and OAUTHBEARER (RFC 7628): the initial response, and the
 * status kept from an error continuation. */
int oauth_initial(const struct sasl *s, struct buf *out, struct error *e);
void oauth_error(struct sasl *s, const unsigned char *chal, size_t len);

/* RFC 5802 5.1 saslname: ',' and '=' escaped as =2C and =3D. */
void sasl_saslname(const char *u, struct buf *out);
/* Wipe, free and NULL a secret string. */
void sasl_free_secret(char **p);

#endif
