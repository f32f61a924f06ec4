/* SOCKS5 (RFC 1928) request encoding and reply parsing, proxy = parsing,
 * and the port choice of port = auto with its remembered-port file text. */
#include <stdlib.h>
#include <string.h>

#include "autoport.h"
#include "proxy.h"
#include "tap.h"

static void test_parse(void)
{
	struct proxy p;
	struct error e;

	is_int(proxy_parse("socks5://127.0.0.1:1080", &p, &e), 0, "socks5 parses");
	ok(!p.remote_dns && !strcmp(p.host, "127.0.0.1") && p.port == 1080, "socks5: local DNS, host, port");
	is_int(proxy_parse("SOCKS5H://proxy.example:9050/", &p, &e), 0, "socks5h parses (case, trailing /)");
	ok(p.remote_dns && !strcmp(p.host, "proxy.example") && p.port == 9050, "socks5h: remote DNS");
	is_int(proxy_parse("socks5h://[::1]:1080", &p, &e), 0, "bracketed IPv6");
	is_str(p.host, "::1", "IPv6 host without brackets");
	ok(proxy_parse("socks5://::1:1080", &p, &e) == -1 && strstr(e.msg, "in brackets"), "bare IPv6 refused");
	ok(proxy_parse("socks4://h:1", &p, &e) == -1 && e.cls == ERR_CONFIG, "socks4 refused");
	ok(proxy_parse("socks5://h:0", &p, &e) == -1, "port 0 refused");
	ok(proxy_parse("socks5://h:65536", &p, &e) == -1, "port 65536 refused");
	ok(proxy_parse("socks5://h:10x", &p, &e) == -1, "port with junk refused");
	ok(proxy_parse("socks5://:1080", &p, &e) == -1, "empty host refused");
	ok(proxy_parse("socks5://u:s3cr3t@h:1080", &p, &e) == -1 && strstr(e.msg, "not supported"),
	   "user:password@ refused");
	ok(!strstr(e.msg, "s3cr3t"), "the refusal does not repeat the password");
}

static void test_request(void)
{
	unsigned char b[300];
	size_t n;
	static const unsigned char v4[] = { 5, 1, 0, 1, 127, 0, 0, 1, 0x02, 0x4b };
	static const unsigned char name[] = { 5, 1, 0, 3, 9, 'l', 'o', 'c', 'a', 'l', 'h', 'o', 's', 't', 0x01, 0xd1 };
	static const unsigned char v6[] = { 5, 1, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x09, 0xdd };
	char longname[300];

	n = proxy_request("127.0.0.1", 587, b, sizeof(b));
	ok(n == sizeof(v4) && !memcmp(b, v4, n), "IPv4 CONNECT: ATYP 1, address, port 587");
	n = proxy_request("localhost", 465, b, sizeof(b));
	ok(n == sizeof(name) && !memcmp(b, name, n), "name CONNECT: ATYP 3, length, name, port 465");
	n = proxy_request("::1", 2525, b, sizeof(b));
	ok(n == sizeof(v6) && !memcmp(b, v6, n), "IPv6 CONNECT: ATYP 4, 16 octets, port 2525");
	memset(longname, 'a', 256);
	longname[256] = '\0';
	is_int(proxy_request(longname, 587, b, sizeof(b)), 0, "a 256-octet name does not fit");
	longname[255] = '\0';
	is_int(proxy_request(longname, 587, b, sizeof(b)), 4 + 1 + 255 + 2, "a 255-octet name fits");
	is_int(proxy_request("localhost", 587, b, 10), 0, "too small a buffer");
}

static void test_reply(void)
{
	struct error e;
	static const unsigned char ok4[] = { 5, 0, 0, 1, 10, 0, 0, 1, 0x30, 0x39 };
	static const unsigned char ok6[22] = { 5, 0, 0, 4 };
	static const unsigned char okname[] = { 5, 0, 0, 3, 3, 'a', 'b', 'c', 0, 80 };
	static const unsigned char refused[] = { 5, 5, 0, 1, 0, 0, 0, 0, 0, 0 };
	static const unsigned char hostunr[] = { 5, 4, 0, 1 };
	static const unsigned char notsocks[] = { 'H', 'T', 'T', 'P' };
	static const unsigned char badatyp[] = { 5, 0, 0, 9, 0 };

	is_int(proxy_reply_check(ok4, 0, "t", &e), 5, "nothing yet: 5 octets wanted");
	is_int(proxy_reply_check(ok4, 5, "t", &e), 5, "IPv4 reply: 5 more");
	is_int(proxy_reply_check(ok4, 10, "t", &e), 0, "IPv4 reply complete");
	is_int(proxy_reply_check(ok6, 5, "t", &e), 17, "IPv6 reply: 17 more");
	is_int(proxy_reply_check(ok6, 22, "t", &e), 0, "IPv6 reply complete");
	is_int(proxy_reply_check(okname, 5, "t", &e), 5, "name reply: by its length");
	is_int(proxy_reply_check(okname, 10, "t", &e), 0, "name reply complete");
	is_int(proxy_reply_check(refused, 2, "mail.example port 587", &e), -1, "reply 5 fails");
	is_str(e.msg, "the SOCKS5 proxy could not connect to mail.example port 587: connection "
	       "refused: nothing listens there (SOCKS reply 5)", "reply 5 in words");
	is_int(e.cls, ERR_TEMP, "reply 5 is temporary");
	is_int(proxy_reply_check(hostunr, 4, "h port 1", &e), -1, "reply 4 fails");
	ok(strstr(e.msg, "host unreachable") != NULL, "reply 4 in words");
	is_int(proxy_reply_check(notsocks, 4, "t", &e), -1, "not SOCKS5");
	is_int(e.cls, ERR_PROTOCOL, "not SOCKS5 is a protocol error");
	is_int(proxy_reply_check(badatyp, 5, "t", &e), -1, "unknown address type");
	is_str(proxy_reply_name(1), "general SOCKS server failure", "code 1");
	is_str(proxy_reply_name(2), "connection not allowed by the proxy's rules", "code 2");
	is_str(proxy_reply_name(3), "network unreachable", "code 3");
	is_str(proxy_reply_name(6), "TTL expired (timed out)", "code 6");
	is_str(proxy_reply_name(7), "command not supported", "code 7");
	is_str(proxy_reply_name(8), "address type not supported", "code 8");
	is_str(proxy_reply_name(200), "unknown error code", "code 200");
}

static void test_autoport(void)
{
	unsigned o[AUTOPORT_N];
	char *t, *t2;

	autoport_order(0, o);
	ok(o[0] == 465 && o[1] == 587 && o[2] == 2525, "no memory: 465, 587, 2525");
	autoport_order(587, o);
	ok(o[0] == 587 && o[1] == 465 && o[2] == 2525, "587 remembered: 587 first");
	autoport_order(2525, o);
	ok(o[0] == 2525 && o[1] == 465 && o[2] == 587, "2525 remembered: 2525 first");
	autoport_order(25, o);
	ok(o[0] == 465 && o[1] == 587 && o[2] == 2525, "25 is never tried, even remembered");
	is_int(autoport_tls(465), ACCOUNT_TLS_IMPLICIT, "465 is implicit TLS");
	is_int(autoport_tls(2525), ACCOUNT_TLS_STARTTLS, "2525 is STARTTLS");

	is_int(autoport_lookup("", "work", "h"), 0, "empty file: nothing");
	t = autoport_update("", "work", "smtp.example", 587);
	is_str(t, "work smtp.example 587\n", "a new line");
	is_int(autoport_lookup(t, "work", "smtp.example"), 587, "found again");
	is_int(autoport_lookup(t, "work", "other.example"), 0, "another host: not used");
	is_int(autoport_lookup(t, "home", "smtp.example"), 0, "another account: not used");
	t2 = autoport_update(t, "home", "mx.example", 465);
	free(t);
	t = autoport_update(t2, "work", "smtp.example", 2525);
	is_str(t, "home mx.example 465\nwork smtp.example 2525\n", "replaced, others kept");
	free(t2);
	free(t);
	is_int(autoport_lookup("junk\nwork h 25\nwork h 587 x\n", "work", "h"), 0,
	       "junk, port 25 and trailing fields ignored");
	is_int(autoport_lookup("junk\nwork h 2525", "work", "h"), 2525, "last line without newline");
}

int main(void)
{
	test_parse();
	test_request();
	test_reply();
	test_autoport();
	return tap_done();
}
