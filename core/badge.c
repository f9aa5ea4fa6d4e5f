/* Badge UIDs: parsing, canonical hex, and which UIDs cannot name a person. */
#include "tapmeet/badge.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

static int hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = toupper((unsigned char)c);
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool valid_uid_length(size_t n)
{
	return n == 4 || n == 7 || n == 10;
}

int tm_badge_parse_uid(struct tm_badge *badge, const char *text)
{
	size_t n = 0;
	const char *p = text;

	memset(badge, 0, sizeof(*badge));
	while (isspace((unsigned char)*p))
		p++;
	while (*p) {
		int hi, lo;

		if ((*p == ':' || *p == '-' || *p == ' ') && n > 0 && p[1] && !isspace((unsigned char)p[1])) {
			p++;
			continue;
		}
		if (isspace((unsigned char)*p)) {
			const char *q = p;

			while (isspace((unsigned char)*q))
				q++;
			if (*q == '\0')
				break; /* trailing white space */
			return -EINVAL;
		}
		hi = hex_value(p[0]);
		lo = hi < 0 ? -1 : hex_value(p[1]);
		if (hi < 0 || lo < 0 || n == TM_UID_MAX_BYTES)
			return -EINVAL;
		badge->uid[n++] = (uint8_t)(hi << 4 | lo);
		p += 2;
	}
	if (!valid_uid_length(n))
		return -EINVAL;
	badge->uid_len = (uint8_t)n;
	badge->random = tm_badge_random_uid(badge);
	return 0;
}

void tm_badge_uid_hex(const struct tm_badge *badge, char out[TM_UID_HEX_SIZE])
{
	static const char digits[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < badge->uid_len && i < TM_UID_MAX_BYTES; i++) {
		out[2 * i] = digits[badge->uid[i] >> 4];
		out[2 * i + 1] = digits[badge->uid[i] & 0xf];
	}
	out[2 * i] = '\0';
}

bool tm_badge_same(const struct tm_badge *a, const struct tm_badge *b)
{
	return a->uid_len == b->uid_len && memcmp(a->uid, b->uid, a->uid_len) == 0;
}

bool tm_badge_random_uid(const struct tm_badge *raw)
{
	return raw->uid_len == 4 && raw->uid[0] == 0x08;
}

const char *tm_badge_reject_reason(const struct tm_badge *badge)
{
	if (!valid_uid_length(badge->uid_len))
		return "uid length is not 4, 7 or 10 bytes";
	if (badge->random)
		return "random uid (08xxxxxx): changes at every tap";
	return NULL;
}

const char *tm_badge_kind_name(enum tm_badge_kind kind)
{
	switch (kind) {
	case TM_BADGE_MIFARE_CLASSIC:
		return "mifare-classic";
	case TM_BADGE_MIFARE_ULTRALIGHT:
		return "ultralight";
	case TM_BADGE_ISO14443_4:
		return "iso14443-4";
	case TM_BADGE_SIMULATED:
		return "simulated";
	case TM_BADGE_UNKNOWN:
		break;
	}
	return "unknown";
}

bool tm_uid_hex_is_canonical(const char *text)
{
	size_t n = strlen(text);

	if (n != 8 && n != 14 && n != 20)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)text[i]) && !(text[i] >= 'A' && text[i] <= 'F'))
			return false;
	return true;
}
