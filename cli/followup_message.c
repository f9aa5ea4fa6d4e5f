/* One follow-up message, built by GMime: headers encoded per RFC 2047 and
 * 5322, a text/plain body in whatever transfer encoding suits it, and the
 * same people as a vCard 4.0 attachment. Nothing MIME is written by hand. */
#include "followup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "vcard.h"

void fu_recipient_clear(struct fu_recipient *r)
{
	for (size_t i = 0; i < r->n_people; i++) {
		struct fu_person *p = &r->people[i];

		g_free(p->when);
		g_free(p->uid);
		g_free(p->name);
		g_free(p->org);
		g_free(p->handle);
		g_free(p->email);
		g_free(p->sort_key);
	}
	g_free(r->people);
	g_free(r->uid);
	g_free(r->name);
	g_free(r->email);
	g_free(r->sent_id);
	memset(r, 0, sizeof(*r));
}

static int by_name(const void *a, const void *b)
{
	const struct fu_person *x = a, *y = b;
	int c;

	if (x->registered != y->registered)
		return x->registered ? -1 : 1;
	c = strcmp(x->sort_key, y->sort_key);
	return c ? c : strcmp(x->uid, y->uid);
}

static int by_number(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

void fu_recipient_finish(struct fu_recipient *r)
{
	int64_t *ids;
	size_t n = 0;

	for (size_t i = 0; i < r->n_people; i++) {
		r->people[i].sort_key = g_utf8_collate_key(r->people[i].name, -1);
		n += r->people[i].n_when;
	}
	qsort(r->people, r->n_people, sizeof(r->people[0]), by_name);
	/* A meeting of three lists two people: count it once. */
	r->meetings = 0;
	ids = g_new(int64_t, n ? n : 1);
	n = 0;
	for (size_t i = 0; i < r->n_people; i++)
		for (size_t w = 0; w < r->people[i].n_when; w++)
			ids[n++] = r->people[i].when[w].meeting;
	qsort(ids, n, sizeof(ids[0]), by_number);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || ids[i] != ids[i - 1])
			r->meetings++;
	g_free(ids);
}

char *fu_message_id(const struct fu_message_opts *o, const char *uid)
{
	const char *domain = "tapmeet.invalid", *at;
	char *seed, *hash, *id;

	if (o->from && internet_address_list_length(o->from) > 0) {
		InternetAddress *ia = internet_address_list_get_address(o->from, 0);

		if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
			at = strrchr(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia)),
				     '@');
			if (at && at[1])
				domain = at + 1;
		}
	}
	/* A hash, not the UID: the header travels, the badge need not. */
	seed = g_strconcat(o->origin, "\n", uid, NULL);
	hash = g_compute_checksum_for_string(G_CHECKSUM_SHA256, seed, -1);
	id = g_strdup_printf("followup.%.32s@%s", hash, domain);
	g_free(hash);
	g_free(seed);
	return id;
}

InternetAddressList *fu_address_list(const char *text)
{
	InternetAddressList *list = internet_address_list_parse(NULL, text);
	int n = list ? internet_address_list_length(list) : 0;

	for (int i = 0; i < n; i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);

		if (!INTERNET_ADDRESS_IS_MAILBOX(ia) ||
		    !strchr(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia)), '@'))
			n = 0;
	}
	if (n == 0 && list) {
		g_object_unref(list);
		list = NULL;
	}
	return list;
}

bool fu_address_ok(const char *addr)
{
	GMimeParserOptions *opts;
	InternetAddressList *list;
	bool ok = false;

	/* A leading '-' would be an option to sendmail; the rest is GMime's
	 * strict RFC 5322 parse, which must give back exactly this mailbox. */
	if (!addr[0] || addr[0] == '-' || !strchr(addr, '@'))
		return false;
	for (const char *p = addr; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return false;
	opts = g_mime_parser_options_new();
	g_mime_parser_options_set_address_compliance_mode(opts, GMIME_RFC_COMPLIANCE_STRICT);
	list = internet_address_list_parse(opts, addr);
	if (list && internet_address_list_length(list) == 1) {
		InternetAddress *ia = internet_address_list_get_address(list, 0);

		ok = INTERNET_ADDRESS_IS_MAILBOX(ia) &&
		     !strcmp(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia)), addr);
	}
	if (list)
		g_object_unref(list);
	g_mime_parser_options_free(opts);
	return ok;
}

/* Text for one line of the body or a header: a control character from the
 * registry (a newline in a name) becomes a space, so it can neither start
 * a header nor forge a line of the listing. */
static void append_line_text(GString *out, const char *s)
{
	for (; *s; s++)
		g_string_append_c(out, (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s);
}

static char *line_text(const char *s)
{
	GString *out = g_string_new(NULL);

	append_line_text(out, s);
	return g_string_free(out, FALSE);
}

/* "2026-11-26 10:00" in local time, or the stored text. */
static void when_text(const char *utc, char *out, size_t size)
{
	char local[64];

	cli_local_time(utc, local, sizeof(local));
	if (strlen(local) == 19 && local[16] == ':')
		local[16] = '\0';
	snprintf(out, size, "%s", local);
}

static void append_meetings(GString *out, const struct fu_person *p)
{
	for (size_t w = 0; w < p->n_when; w++) {
		char t[64];

		when_text(p->when[w].time, t, sizeof(t));
		g_string_append(out, w ? ", " : "");
		g_string_append_printf(out, "%s (", t);
		append_line_text(out, p->when[w].place);
		g_string_append(out, p->when[w].suspect ? ", not certain)" : ")");
	}
}

static char *listing(const struct fu_recipient *r)
{
	GString *out = g_string_new(NULL);

	for (size_t i = 0; i < r->n_people; i++) {
		const struct fu_person *p = &r->people[i];

		if (i)
			g_string_append_c(out, '\n');
		if (!p->registered) {
			g_string_append(out, "Someone whose badge is not registered\n");
		} else {
			append_line_text(out, p->name);
			if (p->org[0]) {
				g_string_append(out, ", ");
				append_line_text(out, p->org);
			}
			g_string_append_c(out, '\n');
			if (!p->shared) {
				g_string_append(out, "  did not share contact details\n");
			} else if (p->email[0] || p->handle[0]) {
				g_string_append(out, "  ");
				append_line_text(out, p->email);
				g_string_append(out, p->email[0] && p->handle[0] ? ", " : "");
				append_line_text(out, p->handle);
				g_string_append_c(out, '\n');
			}
		}
		g_string_append(out, "  met ");
		append_meetings(out, p);
		g_string_append_c(out, '\n');
	}
	/* The template puts its own line end after {people}. */
	if (out->len && out->str[out->len - 1] == '\n')
		g_string_truncate(out, out->len - 1);
	return g_string_free(out, FALSE);
}

/* The registered people as vCard 4.0, through the same writer as
 * `export contacts`; NULL when there is nobody to put in it. */
static char *vcards(const struct fu_recipient *r, const char *event, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	int rc = 0, n = 0;

	if (!f)
		return NULL;
	for (size_t i = 0; i < r->n_people; i++) {
		const struct fu_person *p = &r->people[i];
		GString *note = g_string_new(NULL);

		if (!p->registered) {
			g_string_free(note, TRUE);
			continue;
		}
		g_string_append_printf(note, "Met at %s: ", event);
		append_meetings(note, p);
		if (!p->shared)
			g_string_append(note, "; did not share contact details");
		rc |= tm_vcard_write_raw(f, "BEGIN", "VCARD");
		rc |= tm_vcard_write_raw(f, "VERSION", "4.0");
		rc |= tm_vcard_write_line(f, "FN", p->name);
		if (p->org[0])
			rc |= tm_vcard_write_line(f, "ORG", p->org);
		if (p->shared && p->handle[0])
			rc |= tm_vcard_write_line(f, "NICKNAME", p->handle);
		if (p->shared && p->email[0])
			rc |= tm_vcard_write_line(f, "EMAIL", p->email);
		rc |= tm_vcard_write_line(f, "NOTE", note->str);
		rc |= tm_vcard_write_raw(f, "END", "VCARD");
		g_string_free(note, TRUE);
		n++;
	}
	if (fclose(f) != 0 || rc || n == 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* UTF-8 as it is: g_mime_text_part_set_text would convert text that fits
 * into ISO-8859-1, and a vCard 4.0 must be UTF-8 (RFC 6350). */
static GMimePart *text_part(const char *subtype, const char *text)
{
	GMimeTextPart *part = g_mime_text_part_new_with_subtype(subtype);
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(text, strlen(text));
	GMimeDataWrapper *content =
		g_mime_data_wrapper_new_with_stream(stream, GMIME_CONTENT_ENCODING_DEFAULT);

	g_mime_object_set_content_type_parameter(GMIME_OBJECT(part), "charset", "utf-8");
	g_mime_part_set_content(GMIME_PART(part), content);
	g_object_unref(content);
	g_object_unref(stream);
	return GMIME_PART(part);
}

/* GMime 3.2 passes text that looks like an encoded word ("=?utf-8?q?...?=")
 * through as it is, and every reader then decodes it: a name or Subject
 * holding one would arrive as something else. Such text is encoded here
 * as UTF-8 "B" encoded words (RFC 2047 section 2: at most 75 octets each,
 * a character never split), which GMime leaves alone. */
static char *header_text(const char *text)
{
	GString *out;

	if (!strstr(text, "=?"))
		return g_strdup(text);
	out = g_string_new(NULL);
	for (const char *p = text; *p;) {
		const char *q = p;
		char *b64;

		/* 45 octets: 60 in base64, 72 with "=?UTF-8?B?" and "?=". */
		while (*q && g_utf8_next_char(q) - p <= 45)
			q = g_utf8_next_char(q);
		b64 = g_base64_encode((const guchar *)p, (gsize)(q - p));
		g_string_append_printf(out, "%s=?UTF-8?B?%s?=", out->len ? " " : "", b64);
		g_free(b64);
		p = q;
	}
	return g_string_free(out, FALSE);
}

GMimeMessage *fu_message_build(const struct fu_message_opts *o, const struct fu_recipient *r,
			       const char *message_id)
{
	GMimeMessage *msg = g_mime_message_new(TRUE);
	GMimeMultipart *mixed;
	GMimePart *body;
	GDateTime *now;
	char *people, *subject, *text, *name, *cards;
	size_t cards_len = 0;
	struct fu_values v = {
		.name = r->name,
		.event = o->event,
		.count = (long long)r->n_people,
		.meetings = r->meetings,
	};

	if (o->from)
		internet_address_list_append(g_mime_message_get_from(msg), o->from);
	if (o->reply_to)
		internet_address_list_append(g_mime_message_get_reply_to(msg), o->reply_to);
	text = line_text(r->name);
	name = header_text(text);
	g_free(text);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, name, r->email);
	text = fu_expand(o->tpl->subject, &v);
	people = line_text(text);
	g_free(text);
	subject = header_text(people);
	g_free(people);
	g_mime_message_set_subject(msg, subject, "utf-8");
	now = g_date_time_new_now_local();
	g_mime_message_set_date(msg, now);
	g_date_time_unref(now);
	g_mime_message_set_message_id(msg, message_id);
	/* RFC 3834: vacation responders and the like should not answer. */
	g_mime_object_set_header(GMIME_OBJECT(msg), "Auto-Submitted", "auto-generated", NULL);
	g_free(subject);
	g_free(name);

	people = listing(r);
	v.people = people;
	text = fu_expand(o->tpl->body, &v);
	body = text_part("plain", text);
	g_free(text);
	g_free(people);
	g_mime_part_set_content_encoding(
		body, g_mime_part_get_best_content_encoding(body, GMIME_ENCODING_CONSTRAINT_7BIT));
	cards = vcards(r, o->event, &cards_len);
	if (!cards) {
		g_mime_message_set_mime_part(msg, GMIME_OBJECT(body));
		g_object_unref(body);
		return msg;
	}
	mixed = g_mime_multipart_new_with_subtype("mixed");
	g_mime_multipart_add(mixed, GMIME_OBJECT(body));
	g_object_unref(body);
	body = text_part("vcard", cards);
	free(cards);
	/* Base64 keeps the card's CRLF line ends (RFC 6350) byte for byte. */
	g_mime_part_set_content_encoding(body, GMIME_CONTENT_ENCODING_BASE64);
	g_mime_object_set_disposition(GMIME_OBJECT(body), GMIME_DISPOSITION_ATTACHMENT);
	g_mime_part_set_filename(body, "contacts.vcf");
	g_mime_multipart_add(mixed, GMIME_OBJECT(body));
	g_object_unref(body);
	g_mime_message_set_mime_part(msg, GMIME_OBJECT(mixed));
	g_object_unref(mixed);
	return msg;
}

int fu_message_save(GMimeMessage *msg, const char *path)
{
	char *tmp = g_strconcat(path, ".tmp", NULL);
	GMimeStream *stream;
	GError *err = NULL;
	ssize_t n;
	int rc = 0;

	stream = g_mime_stream_fs_open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644, &err);
	if (!stream) {
		/* GMime reports the errno of open(2) as the code. */
		rc = err && err->code > 0 ? -err->code : -EIO;
		g_clear_error(&err);
		g_free(tmp);
		return rc;
	}
	errno = 0;
	n = g_mime_object_write_to_stream(GMIME_OBJECT(msg), NULL, stream);
	if (n < 0 || g_mime_stream_flush(stream) < 0)
		rc = errno ? -errno : -EIO;
	g_object_unref(stream);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0)
		unlink(tmp);
	g_free(tmp);
	return rc;
}
