/* tapmeet report's parts: the page, its charts, the network picture;
 * private to cli/. */
#ifndef TAPMEET_CLI_REPORT_H
#define TAPMEET_CLI_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli.h" /* out_markup_text: HTML, and SVG inline in it */
#include "tapmeet/store.h"

/* The organisations with a row of their own in the matrix. */
#define REPORT_TOP_ORGS 12
/* Kills sfdp after this long. */
#define REPORT_GRAPH_SECONDS 60

struct report_opts {
	const char *db_path;
	int refresh_s;    /* the page reloads itself this often; 0: never */
	bool no_graph;    /* leave the network picture out */
	size_t max_edges; /* the strongest pairs drawn */
	bool warned;      /* the missing sfdp was said once on stderr */
};

/* Who a person is on the page: their name with consent, else initials of
 * the registered name, else a short badge label. Allocated. */
char *report_label(const struct tm_report_person *p);

/* One bar: value, a short label under it, data-* attributes (already
 * escaped) for whoever reads the page's numbers, or a long label (a name,
 * escaped when written) beside it. */
struct report_bar {
	int64_t value;
	char label[TM_ID_SIZE];
	char data[192];
	const char *long_label;
};
/* Vertical bars along an axis (hours, a histogram); what: the unit. */
void report_columns(FILE *f, const char *id, const struct report_bar *bars, size_t n,
		    const char *what);
/* Horizontal bars, one row each, labelled on the left (stations, people). */
void report_rows(FILE *f, const char *id, const struct report_bar *bars, size_t n,
		 const char *what);

/* The network section's content: sfdp's picture, or a note saying why
 * there is none. */
void report_graph(FILE *f, const struct tm_report *r, struct report_opts *o);

/* The whole page. */
void report_html(FILE *f, const struct tm_report *r, struct report_opts *o);

#endif
