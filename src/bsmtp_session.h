/* bsmtp_session.h - the -bs mode: SMTP on standard input and output. */
#ifndef POSTERN_BSMTP_SESSION_H
#define POSTERN_BSMTP_SESSION_H

#include "submit.h"

/* Speak SMTP as a server on in/out (bsmtp.h), submitting each message with
 * rq's account and options (rq->from and rq->rcpts are replaced by the
 * dialogue's envelope).  out carries only SMTP replies.  Returns EX_OK
 * when every message was accepted, else the code of the last failure (a
 * message cut off by the end of input is one). */
int bsmtp_session_run(const struct submit_request *rq, int in, int out);

#endif
