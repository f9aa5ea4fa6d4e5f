/* Bare dates and clock times are local, as an organizer standing in the hall
 * types them; only an explicit Z or offset means otherwise. */
#include "timearg.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DAY_MS (24LL * 3600 * 1000)

int64_t tm_cli_local_midnight(int64_t t_ms)
{
	time_t t = (time_t)(t_ms / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm) * 1000;
}

/* The local midnight n days after the one starting at midnight_ms; through
 * mktime so that a day with a DST change keeps its 23 or 25 hours. */
static int64_t add_days(int64_t midnight_ms, int n)
{
	time_t t = (time_t)(midnight_ms / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	tm.tm_mday += n;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm) * 1000;
}

static int parse_relative(const char *text, int64_t now_ms, int64_t *out)
{
	char *end;
	long long n;
	int64_t unit;

	if (!isdigit((unsigned char)text[0]))
		return -EINVAL;
	errno = 0;
	n = strtoll(text, &end, 10);
	if (errno || n < 0 || n > 100000000LL)
		return -EINVAL;
	if (!strcmp(end, "s"))
		unit = 1000;
	else if (!strcmp(end, "m") || !strcmp(end, "min"))
		unit = 60 * 1000;
	else if (!strcmp(end, "h"))
		unit = 3600 * 1000;
	else if (!strcmp(end, "d"))
		unit = DAY_MS;
	else if (!strcmp(end, "w"))
		unit = 7 * DAY_MS;
	else
		return -EINVAL;
	*out = now_ms - n * unit;
	return 0;
}

static int digits(const char **p, int n, int *value)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -EINVAL;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*value = v;
	return 0;
}

static bool leap_year(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Every form (date, local time, Z, offset) goes through this, before
 * timegm() or mktime() could quietly turn 02-30 into 03-02 or 24:00 into
 * the next day. No leap seconds: 23:59:60 is refused. */
static bool valid_date_time(int y, int mo, int d, int h, int mi, int s)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (mo < 1 || mo > 12 || d < 1)
		return false;
	if (d > mdays[mo - 1] + (mo == 2 && leap_year(y)))
		return false;
	return h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && s >= 0 && s <= 59;
}

static int parse_iso(const char *p, bool end, int64_t *out)
{
	struct tm tm = { 0 };
	int y, mo, d, h = 0, mi = 0, s = 0, ms = 0, off_min = 0;
	bool has_time = false, utc = false;
	time_t t;

	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
	    digits(&p, 2, &d))
		return -EINVAL;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		has_time = true;
		if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
			return -EINVAL;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &s))
				return -EINVAL;
			if (*p == '.' || *p == ',') {
				int scale = 100;

				p++;
				if (!isdigit((unsigned char)*p))
					return -EINVAL;
				for (; isdigit((unsigned char)*p); p++, scale /= 10)
					ms += (*p - '0') * scale;
			}
		}
		if (*p == 'Z' || *p == 'z') {
			utc = true;
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p == '-' ? -1 : 1, oh, om = 0;

			p++;
			if (digits(&p, 2, &oh))
				return -EINVAL;
			if (*p == ':')
				p++;
			if (*p && digits(&p, 2, &om))
				return -EINVAL;
			if (oh > 23 || om > 59)
				return -EINVAL;
			utc = true;
			off_min = sign * (oh * 60 + om);
		}
	}
	if (*p)
		return -EINVAL;
	if (!valid_date_time(y, mo, d, h, mi, s))
		return -EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	if (utc) {
		t = timegm(&tm);
		*out = ((int64_t)t - off_min * 60LL) * 1000 + ms;
		return 0;
	}
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (t == (time_t)-1)
		return -EINVAL;
	if (tm.tm_mday != d) /* a DST gap pushed the time into another day */
		return -EINVAL;
	*out = (int64_t)t * 1000 + ms;
	if (!has_time && end)
		*out = add_days(*out, 1);
	return 0;
}

int tm_cli_parse_time(const char *text, int64_t now_ms, bool end, int64_t *out)
{
	int64_t midnight;

	if (!text || !*text)
		return -EINVAL;
	if (!strcmp(text, "now")) {
		*out = now_ms;
		return 0;
	}
	if (!strcmp(text, "today") || !strcmp(text, "yesterday")) {
		midnight = tm_cli_local_midnight(now_ms);
		if (text[0] == 'y')
			midnight = add_days(midnight, -1);
		*out = end ? add_days(midnight, 1) : midnight;
		return 0;
	}
	if (parse_relative(text, now_ms, out) == 0)
		return 0;
	return parse_iso(text, end, out);
}
