/* tapmeet report: escaping, who a person is on the page, and the bar
 * charts, drawn as inline SVG so the page needs nothing from the network. */
#include "report.h"

#include <stdlib.h>
#include <string.h>
#include <unicase.h>
#include <unistr.h>

/* "Ada Lovelace" -> "A. L.": the first character of each word, in capitals. */
static char *initials(const char *name)
{
	const uint8_t *s = (const uint8_t *)name;
	size_t len = strlen(name), cap = 16 * len + 16, n = 0;
	char *out = malloc(cap);
	bool word_start = true;

	if (!out)
		return NULL;
	while (*s) {
		ucs4_t c;
		int k = u8_mbtouc(&c, s, len - (size_t)(s - (const uint8_t *)name));

		if (k <= 0)
			break;
		if (c == ' ' || c == '\t' || c == 0x3000 || c == 0xa0) {
			word_start = true;
		} else if (word_start) {
			int m;

			if (n)
				out[n++] = ' ';
			m = u8_uctomb((uint8_t *)out + n, uc_toupper(c), 6);
			n += m > 0 ? (size_t)m : 0;
			out[n++] = '.';
			word_start = false;
		}
		s += k;
	}
	out[n] = '\0';
	return out;
}

char *report_label(const struct tm_report_person *p)
{
	size_t len = strlen(p->uid);
	char *out;

	if (p->name && p->consent)
		return strdup(p->name);
	if (p->name && (out = initials(p->name)) && *out)
		return out;
	if (p->name)
		free(out);
	/* Enough to tell badges apart on one screen, not to recognise one. */
	if (asprintf(&out, "badge \xe2\x80\xa6%s", p->uid + (len > 4 ? len - 4 : 0)) < 0)
		return NULL;
	return out;
}

static int64_t peak_of(const struct report_bar *bars, size_t n)
{
	int64_t peak = 0;

	for (size_t i = 0; i < n; i++)
		if (bars[i].value > peak)
			peak = bars[i].value;
	return peak;
}

#define COL_W 960
#define COL_H 240
#define COL_LEFT 56
#define COL_BOTTOM 44
#define COL_TOP 12

void report_columns(FILE *f, const char *id, const struct report_bar *bars, size_t n,
		    const char *what)
{
	int64_t peak = peak_of(bars, n);
	double plot_w = COL_W - COL_LEFT - 8, plot_h = COL_H - COL_BOTTOM - COL_TOP;
	double bw = n ? plot_w / (double)n : plot_w;
	size_t step = n > 8 ? (n + 7) / 8 : 1; /* labels that do not overlap */

	fprintf(f, "<svg class=\"chart\" id=\"%s\" viewBox=\"0 0 %d %d\" role=\"img\">\n", id,
		COL_W, COL_H);
	fprintf(f,
		"<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
		"<text class=\"tick\" x=\"%d\" y=\"%d\" text-anchor=\"end\">%lld</text>"
		"<text class=\"tick\" x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>\n",
		COL_LEFT, COL_H - COL_BOTTOM, COL_W - 8, COL_H - COL_BOTTOM, COL_LEFT - 6,
		COL_TOP + 10, (long long)peak, COL_LEFT - 6, COL_H - COL_BOTTOM);
	for (size_t i = 0; i < n; i++) {
		double h = peak ? plot_h * (double)bars[i].value / (double)peak : 0;
		double x = COL_LEFT + bw * (double)i;

		fprintf(f,
			"<rect class=\"bar\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
			"data-value=\"%lld\" %s><title>",
			x + (bw > 3 ? bw * 0.1 : 0), COL_H - COL_BOTTOM - h,
			bw > 3 ? bw * 0.8 : bw, h, (long long)bars[i].value, bars[i].data);
		out_markup_text(f, bars[i].label);
		fprintf(f, ": %lld %s</title></rect>\n", (long long)bars[i].value, what);
		if (i % step == 0) {
			fprintf(f, "<text class=\"tick\" x=\"%.2f\" y=\"%d\" text-anchor=\"middle\">",
				x + bw / 2, COL_H - COL_BOTTOM + 16);
			out_markup_text(f, bars[i].label);
			fputs("</text>\n", f);
		}
	}
	fputs("</svg>\n", f);
}

#define ROW_H 24
#define ROW_LABEL_W 280

void report_rows(FILE *f, const char *id, const struct report_bar *bars, size_t n,
		 const char *what)
{
	int64_t peak = peak_of(bars, n);
	double plot_w = COL_W - ROW_LABEL_W - 140;
	int h = (int)n * ROW_H + 8;

	fprintf(f, "<svg class=\"chart rows\" id=\"%s\" viewBox=\"0 0 %d %d\" role=\"img\">\n", id,
		COL_W, h);
	/* Labels in a viewport of their own: a long name is cut at its edge
	 * on the screen, and stays whole in the page. */
	fprintf(f, "<svg x=\"0\" y=\"0\" width=\"%d\" height=\"%d\">\n", ROW_LABEL_W - 8, h);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "<text class=\"label\" x=\"0\" y=\"%d\">", (int)i * ROW_H + 20);
		out_markup_text(f, bars[i].long_label ? bars[i].long_label : bars[i].label);
		fputs("</text>\n", f);
	}
	fputs("</svg>\n", f);
	for (size_t i = 0; i < n; i++) {
		double w = peak ? plot_w * (double)bars[i].value / (double)peak : 0;

		fprintf(f,
			"<rect class=\"bar\" x=\"%d\" y=\"%d\" width=\"%.2f\" height=\"%d\" "
			"data-value=\"%lld\" %s><title>",
			ROW_LABEL_W, (int)i * ROW_H + 6, w, ROW_H - 6, (long long)bars[i].value,
			bars[i].data);
		out_markup_text(f, bars[i].long_label ? bars[i].long_label : bars[i].label);
		fprintf(f, ": %lld %s</title></rect>", (long long)bars[i].value, what);
		fprintf(f, "<text class=\"value\" x=\"%.2f\" y=\"%d\">%lld</text>\n",
			ROW_LABEL_W + w + 6, (int)i * ROW_H + 20, (long long)bars[i].value);
	}
	fputs("</svg>\n", f);
}
