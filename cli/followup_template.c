/* The follow-up template: a file the organizer edits, read whole and
 * checked before anything is written or sent, so that a typo in a
 * placeholder costs a FILE:LINE message and not 800 broken e-mails. */
#include "followup.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char fu_template_default[] =
	"Subject: The people you met at {event}\n"
	"\n"
	"Hello {name},\n"
	"\n"
	"thank you for coming to {event}. Here is everyone you met there by\n"
	"tapping badges together:\n"
	"\n"
	"{people}\n"
	"\n"
	"The attached contacts.vcf holds the same people for your address book.\n"
	"Those who chose not to share their contact details are listed by name\n"
	"and organisation only.\n"
	"\n"
	"Have a good trip home!\n";

static const char *const placeholders[] = { "name", "event", "count", "meetings", "people" };

static void error_at(const char *file, size_t line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void error_at(const char *file, size_t line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%zu: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The placeholder named by s[0..n), as an index into placeholders, or -1. */
static int placeholder(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof(placeholders) / sizeof(placeholders[0]); i++)
		if (strlen(placeholders[i]) == n && !strncmp(s, placeholders[i], n))
			return (int)i;
	return -1;
}

/* Checks the placeholders of text, which starts on line `line`; in_header:
 * the listing, which spans lines, is refused. Returns the errors found. */
static int check_placeholders(const char *file, size_t line, const char *text, bool in_header)
{
	int errors = 0;

	for (const char *p = text; *p; p++) {
		const char *close;

		if (*p == '\n') {
			line++;
			continue;
		}
		if (*p == '}' && p[1] == '}') {
			p++;
			continue;
		}
		if (*p != '{')
			continue;
		if (p[1] == '{') {
			p++;
			continue;
		}
		close = p + 1 + strcspn(p + 1, "{}\n");
		if (*close != '}') {
			error_at(file, line, "'{' without a closing '}' (write {{ for a brace)");
			errors++;
			continue;
		}
		if (placeholder(p + 1, (size_t)(close - p - 1)) < 0) {
			error_at(file, line,
				 "unknown placeholder {%.*s} (known: {name} {event} {count} "
				 "{meetings} {people}; {{ and }} for braces)",
				 (int)(close - p - 1), p + 1);
			errors++;
		} else if (in_header && !strncmp(p + 1, "people", 6)) {
			error_at(file, line, "{people} is a list of lines and can only go in the body");
			errors++;
		}
		p = close;
	}
	return errors;
}

static bool utf8_valid(const char *s, size_t n)
{
	return g_utf8_validate(s, (gssize)n, NULL);
}

int fu_template_parse(const char *file, const char *text, size_t len, struct fu_template *t)
{
	char **field[] = { &t->subject, &t->from, &t->reply_to };
	static const char *const names[] = { "Subject", "From", "Reply-To" };
	size_t field_line[3] = { 0 };
	const char *p = text, *end = text + len;
	size_t line = 1;
	int errors = 0;
	bool blank = false;
	GString *body;

	memset(t, 0, sizeof(*t));
	if (memchr(text, '\0', len) || !utf8_valid(text, len)) {
		/* Find the line for the message. */
		const char *bad = text;

		g_utf8_validate(text, (gssize)len, &bad);
		if (memchr(text, '\0', len) && (const char *)memchr(text, '\0', len) < bad)
			bad = memchr(text, '\0', len);
		for (const char *q = text; q < bad; q++)
			line += *q == '\n';
		error_at(file, line, "not UTF-8 text");
		return -EINVAL;
	}
	/* Some editors start a UTF-8 file with a byte order mark. */
	if (len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
		p += 3;
	/* Headers up to the first empty line. */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *colon;
		size_t f;

		if (n && p[n - 1] == '\r')
			n--;
		if (n == 0) {
			p = nl ? nl + 1 : end;
			line++;
			blank = true;
			break;
		}
		colon = memchr(p, ':', n);
		for (f = 0; colon && f < 3; f++)
			if ((size_t)(colon - p) == strlen(names[f]) &&
			    !strncasecmp(p, names[f], strlen(names[f])))
				break;
		if (!colon || f == 3) {
			error_at(file, line,
				 "expected a header line 'Subject: ...', 'From: ...' or 'Reply-To: ...' "
				 "(then an empty line, then the body), found '%.*s'",
				 (int)(n > 60 ? 60 : n), p);
			errors++;
		} else if (*field[f]) {
			error_at(file, line, "%s given twice (first on line %zu)", names[f],
				 field_line[f]);
			errors++;
		} else {
			const char *v = colon + 1;
			size_t vn = n - (size_t)(v - p);

			while (vn && (*v == ' ' || *v == '\t'))
				v++, vn--;
			while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
				vn--;
			*field[f] = g_strndup(v, vn);
			field_line[f] = line;
		}
		p = nl ? nl + 1 : end;
		line++;
	}
	if (!blank) {
		error_at(file, line > 1 ? line - 1 : 1,
			 "no empty line after the headers, so no body");
		errors++;
	}
	if (!t->subject || !t->subject[0]) {
		error_at(file, t->subject ? field_line[0] : 1, "no Subject: line (it is required)");
		errors++;
	}
	/* Placeholders in the Subject and the body; addresses are literal. */
	if (t->subject)
		errors += check_placeholders(file, field_line[0], t->subject, true);
	for (size_t f = 1; f < 3; f++) {
		InternetAddressList *list;

		if (!*field[f])
			continue;
		list = fu_address_list(*field[f]);
		if (!list) {
			error_at(file, field_line[f], "%s: '%s' is not an e-mail address", names[f],
				 *field[f]);
			errors++;
		} else {
			g_object_unref(list);
		}
	}
	body = g_string_new_len(p, end - p);
	/* CRLF files edited elsewhere: the message's line ends are GMime's. */
	for (size_t i = 0; i < body->len; i++)
		if (body->str[i] == '\r' && (i + 1 == body->len || body->str[i + 1] == '\n'))
			g_string_erase(body, (gssize)i--, 1);
	t->body = g_string_free(body, FALSE);
	errors += check_placeholders(file, line, t->body, false);
	if (!t->from)
		t->from = g_strdup("");
	if (!t->reply_to)
		t->reply_to = g_strdup("");
	if (errors) {
		fu_template_free(t);
		return -EINVAL;
	}
	return 0;
}

int fu_template_load(const char *file, struct fu_template *t)
{
	GError *err = NULL;
	char *text;
	gsize len;
	int rc;

	memset(t, 0, sizeof(*t));
	if (!g_file_get_contents(file, &text, &len, &err)) {
		fprintf(stderr, "tapmeet: cannot read template %s: %s\n", file, err->message);
		g_error_free(err);
		return -EINVAL;
	}
	rc = fu_template_parse(file, text, len, t);
	g_free(text);
	return rc;
}

void fu_template_free(struct fu_template *t)
{
	g_free(t->subject);
	g_free(t->from);
	g_free(t->reply_to);
	g_free(t->body);
	memset(t, 0, sizeof(*t));
}

char *fu_expand(const char *text, const struct fu_values *v)
{
	GString *out = g_string_sized_new(strlen(text) + (v->people ? strlen(v->people) : 0));

	for (const char *p = text; *p; p++) {
		const char *close;
		int which;

		if ((*p == '{' && p[1] == '{') || (*p == '}' && p[1] == '}')) {
			g_string_append_c(out, *p++);
			continue;
		}
		close = *p == '{' ? strchr(p, '}') : NULL;
		which = close ? placeholder(p + 1, (size_t)(close - p - 1)) : -1;
		if (which < 0) {
			/* Checked at parse time: only a literal brace gets here. */
			g_string_append_c(out, *p);
			continue;
		}
		switch (which) {
		case 0:
			g_string_append(out, v->name);
			break;
		case 1:
			g_string_append(out, v->event);
			break;
		case 2:
			g_string_append_printf(out, "%lld", v->count);
			break;
		case 3:
			g_string_append_printf(out, "%lld", v->meetings);
			break;
		default:
			g_string_append(out, v->people ? v->people : "");
			break;
		}
		p = close;
	}
	return g_string_free(out, FALSE);
}
