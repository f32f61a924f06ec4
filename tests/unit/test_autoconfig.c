/* test_autoconfig.c - the outgoing server of Thunderbird autoconfig
 * documents (autoconfig.c): documents written after the published ones of
 * Fastmail, GMX, Google and a self-hosted domain; placeholders; the first
 * usable server winning; plain refused; and hostile documents (huge, deep,
 * unterminated, entity tricks, DOCTYPE subsets, bad names). */
#include <stdlib.h>
#include <string.h>

#include "autoconfig.h"
#include "tap.h"

#define ADDR "alice.smith@example.org"

static int parse(const char *doc, struct autoconfig *ac, struct error *e)
{
	error_clear(e);
	return autoconfig_parse(doc, strlen(doc), ADDR, ac, e);
}

static const char fastmail[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<clientConfig version=\"1.1\">\n"
	"  <emailProvider id=\"fastmail.com\">\n"
	"    <domain>fastmail.com</domain>\n"
	"    <displayName>Fastmail</displayName>\n"
	"    <displayShortName>Fastmail</displayShortName>\n"
	"    <incomingServer type=\"imap\">\n"
	"      <hostname>imap.fastmail.com</hostname>\n"
	"      <port>993</port>\n"
	"      <socketType>SSL</socketType>\n"
	"      <username>%EMAILADDRESS%</username>\n"
	"      <authentication>password-cleartext</authentication>\n"
	"    </incomingServer>\n"
	"    <outgoingServer type=\"smtp\">\n"
	"      <hostname>smtp.fastmail.com</hostname>\n"
	"      <port>465</port>\n"
	"      <socketType>SSL</socketType>\n"
	"      <username>%EMAILADDRESS%</username>\n"
	"      <authentication>password-cleartext</authentication>\n"
	"    </outgoingServer>\n"
	"    <documentation url=\"https://www.fastmail.help/hc/en-us/articles/1500000278342\">\n"
	"      <descr lang=\"en\">Server names &amp; ports</descr>\n"
	"    </documentation>\n"
	"  </emailProvider>\n"
	"</clientConfig>\n";

/* GMX lists OAuth2 first and STARTTLS on 587 before SSL on 465. */
static const char gmx[] =
	"<?xml version='1.0' encoding='UTF-8'?>\r\n"
	"<!-- GMX -->\r\n"
	"<clientConfig version='1.1'>\r\n"
	" <emailProvider id='gmx.net'>\r\n"
	"  <domain>gmx.net</domain><domain>gmx.de</domain>\r\n"
	"  <outgoingServer type='smtp'>\r\n"
	"   <hostname>mail.gmx.net</hostname>\r\n"
	"   <port>587</port>\r\n"
	"   <socketType>STARTTLS</socketType>\r\n"
	"   <username>%EMAILLOCALPART%</username>\r\n"
	"   <authentication>OAuth2</authentication>\r\n"
	"   <authentication>password-cleartext</authentication>\r\n"
	"  </outgoingServer>\r\n"
	"  <outgoingServer type='smtp'>\r\n"
	"   <hostname>mail.gmx.net</hostname>\r\n"
	"   <port>465</port>\r\n"
	"   <socketType>SSL</socketType>\r\n"
	"   <username>%EMAILADDRESS%</username>\r\n"
	"  </outgoingServer>\r\n"
	" </emailProvider>\r\n"
	" <oAuth2><issuer>auth.gmx.net</issuer><scope>mail.send</scope></oAuth2>\r\n"
	"</clientConfig>\r\n";

static void test_published(void)
{
	struct autoconfig ac;
	struct error e;

	is_int(parse(fastmail, &ac, &e), 0, "Fastmail's document");
	is_str(ac.host, "smtp.fastmail.com", "Fastmail: the outgoing host, not the IMAP one");
	is_int(ac.port, 465, "Fastmail: port 465");
	is_int(ac.tls, ACCOUNT_TLS_IMPLICIT, "Fastmail: SSL is implicit TLS");
	is_str(ac.user, ADDR, "Fastmail: %EMAILADDRESS% substituted");
	is_str(ac.auth, "password-cleartext", "Fastmail: authentication");

	is_int(parse(gmx, &ac, &e), 0, "GMX's document (CRLF, single quotes, comment)");
	is_str(ac.host, "mail.gmx.net", "GMX: host");
	is_int(ac.port, 587, "GMX: the first usable server wins (587)");
	is_int(ac.tls, ACCOUNT_TLS_STARTTLS, "GMX: STARTTLS");
	is_str(ac.user, "alice.smith", "GMX: %EMAILLOCALPART%");
	is_str(ac.auth, "OAuth2", "GMX: the first authentication");
}

/* A document with one outgoing server whose inside is body. */
static char *doc_with(const char *body)
{
	size_t n = strlen(body) + 200;
	char *d = malloc(n);

	snprintf(d, n, "<clientConfig><emailProvider id=\"x\"><outgoingServer type=\"smtp\">%s"
		 "</outgoingServer></emailProvider></clientConfig>", body);
	return d;
}

static void test_fields(void)
{
	struct autoconfig ac;
	struct error e;
	char *d;

	d = doc_with("<hostname> smtp.example.org\n</hostname><port>\t2525 </port>"
		     "<socketType>STARTTLS</socketType><username>%EMAILLOCALPART%+x@%EMAILDOMAIN%</username>");
	is_int(parse(d, &ac, &e), 0, "blanks around values are trimmed");
	is_str(ac.host, "smtp.example.org", "trimmed host");
	is_int(ac.port, 2525, "port 2525");
	is_str(ac.user, "alice.smith+x@example.org", "%EMAILLOCALPART% and %EMAILDOMAIN%");
	free(d);

	d = doc_with("<hostname>smtp.example.org</hostname><port>465</port><socketType>SSL</socketType>");
	is_int(parse(d, &ac, &e), 0, "no username");
	is_str(ac.user, "", "no username: empty (setup uses the address)");
	free(d);

	d = doc_with("<hostname>smtp.%EMAILDOMAIN%</hostname><port>587</port><socketType>STARTTLS</socketType>");
	is_int(parse(d, &ac, &e), 0, "a placeholder in the host name");
	is_str(ac.host, "smtp.example.org", "%EMAILDOMAIN% in the host name filled");
	free(d);
	d = doc_with("<hostname>%EMAILADDRESS%</hostname><port>587</port><socketType>STARTTLS</socketType>");
	is_int(parse(d, &ac, &e), -1, "a host name that becomes the address is refused");
	free(d);

	d = doc_with("<hostname>smtp&#46;example&#x2E;org</hostname><port>465</port>"
		     "<socketType><![CDATA[SSL]]></socketType>");
	is_int(parse(d, &ac, &e), 0, "character references and CDATA");
	is_str(ac.host, "smtp.example.org", "&#46; and &#x2E; decoded");
	is_int(ac.tls, ACCOUNT_TLS_IMPLICIT, "CDATA text read");
	free(d);

	d = doc_with("<hostname>smtp.example.org</hostname><port>465</port><socketType>plain</socketType>");
	is_int(parse(d, &ac, &e), -1, "plain only: refused");
	ok(strstr(e.msg, "cleartext") != NULL, "plain: says cleartext (%s)", e.msg);
	is_int(e.cls, ERR_PROTOCOL, "plain: ERR_PROTOCOL");
	is_str(ac.host, "", "plain: nothing filled");
	free(d);

	d = doc_with("<hostname>smtp.example.org</hostname><port>0</port><socketType>SSL</socketType>");
	is_int(parse(d, &ac, &e), -1, "port 0 refused");
	free(d);
	d = doc_with("<hostname>smtp.example.org</hostname><port>65536</port><socketType>SSL</socketType>");
	is_int(parse(d, &ac, &e), -1, "port 65536 refused");
	free(d);
	d = doc_with("<hostname>smtp.example.org</hostname><port>-465</port><socketType>SSL</socketType>");
	is_int(parse(d, &ac, &e), -1, "port -465 refused");
	free(d);
	d = doc_with("<hostname>smtp.example.org\n[x]</hostname><port>465</port><socketType>SSL</socketType>");
	is_int(parse(d, &ac, &e), -1, "a host name with a line break and brackets refused");
	free(d);
	d = doc_with("<hostname>evil.example;rm</hostname><port>465</port><socketType>SSL</socketType>");
	is_int(parse(d, &ac, &e), -1, "a host name with ; refused");
	free(d);
	d = doc_with("<hostname>smtp.example.org</hostname><port>465</port><socketType>SSL</socketType>"
		     "<username>alice\r\n[evil]</username><authentication>a\tb</authentication>");
	is_int(parse(d, &ac, &e), -1, "a line break inside the username: the server is unusable");
	free(d);
	d = doc_with("<hostname>smtp.example.org</hostname><port>465</port><socketType>SSL</socketType>"
		     "<username>alice\x7f</username>");
	is_int(parse(d, &ac, &e), -1, "DEL inside the username: unusable");
	free(d);
	d = doc_with("<hostname>smtp.example.org</hostname><port>465</port><socketType>SSL</socketType>"
		     "<authentication>password-\ncleartext</authentication>");
	is_int(parse(d, &ac, &e), 0, "a line break inside authentication (only informative)");
	is_str(ac.auth, "", "left out, no marker passed on");
	free(d);
	d = doc_with("<port>465</port><socketType>SSL</socketType>");
	is_int(parse(d, &ac, &e), -1, "no hostname: refused");
	ok(strstr(e.msg, "no outgoing SMTP server with a host name") != NULL, "says what is missing (%s)", e.msg);
	free(d);
	d = doc_with("<hostname>smtp.example.org</hostname><port>465</port><socketType>TLS</socketType>"
		     "<hostname>second.example.org</hostname>");
	is_int(parse(d, &ac, &e), 0, "two hostnames: the first counts");
	is_str(ac.host, "smtp.example.org", "the first hostname");
	free(d);
}

static void test_choice(void)
{
	struct autoconfig ac;
	struct error e;

	is_int(parse("<clientConfig><emailProvider id='x'>"
		      "<outgoingServer type='smtp'><hostname>a.example.org</hostname><port>25</port>"
		      "<socketType>plain</socketType></outgoingServer>"
		      "<outgoingServer type='ews'><hostname>b.example.org</hostname><port>443</port>"
		      "<socketType>SSL</socketType></outgoingServer>"
		      "<outgoingServer type='smtp'><hostname>c.example.org</hostname><port>587</port>"
		      "<socketType>STARTTLS</socketType></outgoingServer>"
		      "<outgoingServer type='smtp'><hostname>d.example.org</hostname><port>465</port>"
		      "<socketType>SSL</socketType></outgoingServer>"
		      "</emailProvider></clientConfig>", &ac, &e), 0, "several servers");
	is_str(ac.host, "c.example.org", "plain and non-SMTP passed over, the first usable taken");

	is_int(parse("<clientConfig><outgoingServer type='smtp'><hostname>a.example.org</hostname>"
		      "<port>465</port><socketType>SSL</socketType></outgoingServer></clientConfig>",
		      &ac, &e), -1, "a server outside <emailProvider> does not count");
	is_int(parse("<clientConfig><emailProvider><x><outgoingServer type='smtp'><hostname>a.example.org"
		      "</hostname><port>465</port><socketType>SSL</socketType></outgoingServer></x>"
		      "</emailProvider></clientConfig>", &ac, &e), -1,
	       "a server nested deeper does not count");
	is_int(parse("<clientConfig><emailProvider/></clientConfig>", &ac, &e), -1, "empty provider");
	ok(strstr(e.msg, "no outgoing SMTP server") != NULL, "empty provider: no server (%s)", e.msg);
}

static void test_hostile(void)
{
	struct autoconfig ac;
	struct error e;
	char *big, *deep;
	size_t n;

	static const char *const bad[] = {
		"",
		"   ",
		"just text",
		"<clientConfig>",
		"<clientConfig></clientconfig>",
		"<clientConfig><a></b></clientConfig>",
		"<other/>",
		"<clientConfig/><clientConfig/>",
		"<clientConfig a=b/>",
		"<clientConfig a='b/>",
		"<clientConfig a='<'/>",
		"<clientConfig>&unknown;</clientConfig>",
		"<clientConfig>&#0;</clientConfig>",
		"<clientConfig>&#xD800;</clientConfig>",
		"<clientConfig>&#x110000;</clientConfig>",
		"<clientConfig>&#123456789012;</clientConfig>",
		"<clientConfig>&#;</clientConfig>",
		"<clientConfig>&amp</clientConfig>",
		"<!DOCTYPE x [<!ENTITY a 'b'>]><clientConfig>&a;</clientConfig>",
		"<!ENTITY a 'b'><clientConfig/>",
		"<clientConfig><!-- unterminated </clientConfig>",
		"<clientConfig><![CDATA[ unterminated </clientConfig>",
		"<?xml unterminated",
		"<clientConfig>< /clientConfig>",
		"text<clientConfig/>",
		"<clientConfig/>text",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char label[96];

		str_escape(label, sizeof(label), bad[i], strlen(bad[i]));
		is_int(parse(bad[i], &ac, &e), -1, label);
	}
	is_int(parse("<clientConfig><!DOCTYPE x></clientConfig>", &ac, &e), -1,
	       "no usable server in a document with a DOCTYPE inside");
	is_int(e.cls, ERR_PROTOCOL, "malformed: ERR_PROTOCOL");
	is_int(parse("<clientConfig><a>\x1b[31m</b></clientConfig>", &ac, &e), -1, "ESC in the text");
	ok(strstr(e.msg, "\x1b") == NULL && strstr(e.msg, "line 1") != NULL,
	   "the message quotes nothing of the document, names the line (%s)", e.msg);
	is_int(parse("<clientConfig>\n\n<a>\n</b></clientConfig>", &ac, &e), -1, "mismatch on line 4");
	ok(strstr(e.msg, "(line 4)") != NULL, "names line 4 (%s)", e.msg);

	/* 16 levels are allowed, 17 are not */
	n = 17 * 8 + 17 * 9 + 1;
	deep = malloc(n + 64);
	strcpy(deep, "<clientConfig>");
	for (int i = 1; i < 16; i++)
		strcat(deep, "<a>");
	for (int i = 1; i < 16; i++)
		strcat(deep, "</a>");
	strcat(deep, "</clientConfig>");
	is_int(parse(deep, &ac, &e), -1, "16 levels: well-formed (no server)");
	ok(strstr(e.msg, "no outgoing") != NULL, "16 levels: read to the end (%s)", e.msg);
	strcpy(deep, "<clientConfig>");
	for (int i = 1; i < 17; i++)
		strcat(deep, "<a>");
	for (int i = 1; i < 17; i++)
		strcat(deep, "</a>");
	strcat(deep, "</clientConfig>");
	is_int(parse(deep, &ac, &e), -1, "17 levels refused");
	ok(strstr(e.msg, "16 deep") != NULL, "17 levels: says so (%s)", e.msg);
	free(deep);

	/* one octet over the cap */
	n = AUTOCONFIG_DOC_MAX + 1;
	big = malloc(n + 1);
	memset(big, ' ', n);
	memcpy(big, fastmail, strlen(fastmail));
	big[n] = '\0';
	is_int(autoconfig_parse(big, n, ADDR, &ac, &e), -1, "64 KiB + 1 refused");
	ok(strstr(e.msg, "larger than 64 KiB") != NULL, "says the size (%s)", e.msg);
	is_int(autoconfig_parse(big, n - 1, ADDR, &ac, &e), 0, "64 KiB with trailing blanks read");
	free(big);

	/* a field of 10,000 octets: kept to its bound, refused as a host */
	{
		struct buf b = BUF_INIT;
		char *d;

		for (int i = 0; i < 1000; i++)
			buf_adds(&b, "aaaaaaaaa.");
		buf_adds(&b, "org");
		d = doc_with("");
		free(d);
		{
			struct buf doc = BUF_INIT;

			buf_addf(&doc, "<clientConfig><emailProvider><outgoingServer type='smtp'><hostname>%s"
				 "</hostname><port>465</port><socketType>SSL</socketType></outgoingServer>"
				 "</emailProvider></clientConfig>", b.data);
			is_int(parse(doc.data, &ac, &e), -1, "a 10,000-octet host name refused");
			buf_release(&doc);
			buf_reset(&b);
			for (int i = 0; i < 300; i++)
				buf_adds(&b, "%EMAILADDRESS%");
			buf_addf(&doc, "<clientConfig><emailProvider><outgoingServer type='smtp'><hostname>"
				 "smtp.example.org</hostname><port>465</port><socketType>SSL</socketType>"
				 "<username>%s</username></outgoingServer></emailProvider></clientConfig>", b.data);
			is_int(parse(doc.data, &ac, &e), -1, "a username of 4,200 octets refused");
			buf_release(&doc);
			buf_reset(&b);
			for (int i = 0; i < 17; i++)
				buf_adds(&b, "%EMAILADDRESS%");
			buf_addf(&doc, "<clientConfig><emailProvider><outgoingServer type='smtp'><hostname>"
				 "smtp.example.org</hostname><port>465</port><socketType>SSL</socketType>"
				 "<username>%s</username></outgoingServer></emailProvider></clientConfig>", b.data);
			is_int(parse(doc.data, &ac, &e), -1,
			       "a username of 238 octets that grows past 255 when substituted refused");
			buf_release(&doc);
		}
		buf_release(&b);
	}
	/* a NUL inside: the length counts, not the NUL */
	{
		static const char withnul[] = "<clientConfig>\0</clientConfig>";

		is_int(autoconfig_parse(withnul, sizeof(withnul) - 1, ADDR, &ac, &e), -1, "a NUL byte refused");
	}
}

int main(void)
{
	test_published();
	test_fields();
	test_choice();
	test_hostile();
	return tap_done();
}
