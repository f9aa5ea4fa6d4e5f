/* The report's figures on a log small enough to count by hand: people met,
 * pairs and their suspect meetings, the strongest pairs and their ties,
 * the organisation matrix, consent, and the rows written with an
 * unsynchronised clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tapmeet/store.h"

#define T0 1795683600000LL /* 2026-11-26T09:00:00Z */

struct fixture {
	char dir[64];
	char path[128];
	struct tm_store *store;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct tm_store_options opt = { .busy_timeout_ms = 50, .no_sync = true };

	snprintf(f->dir, sizeof(f->dir), "/tmp/tapmeet-report-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/t.db", f->dir);
	assert_int_equal(tm_store_open(f->path, &opt, &f->store), 0);
	assert_int_equal(tm_store_station_begin(f->store, "st1", "Hall"), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[160];

	tm_store_close(f->store);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* A meeting of n badges at T0 + minutes; synced: the clock's state. */
static void meeting(struct fixture *f, int minutes, bool synced, const char *suspect, int n, ...)
{
	struct tm_store_tap taps[4];
	struct tm_stamp stamp = { .utc_ms = T0 + minutes * 60000LL, .mono_ms = minutes,
				  .clock_synced = synced };
	char id[TM_ID_SIZE];
	va_list ap;

	snprintf(stamp.boot_id, sizeof(stamp.boot_id), "test");
	va_start(ap, n);
	for (int i = 0; i < n; i++) {
		memset(&taps[i], 0, sizeof(taps[i]));
		tm_store_next_tap_id(f->store, taps[i].id);
		snprintf(taps[i].uid, sizeof(taps[i].uid), "%s", va_arg(ap, const char *));
		taps[i].outcome = TM_TAP_PAIRED;
		taps[i].stamp = stamp;
	}
	va_end(ap);
	tm_store_next_meeting_id(f->store, id);
	assert_int_equal(tm_store_write_meeting(f->store, id, &stamp, taps, (size_t)n, suspect), 0);
}

static void attendee(struct fixture *f, const char *uid, const char *name, const char *org,
		     bool consent)
{
	struct tm_attendee a = { .name = name, .org = org, .consent = consent };
	struct tm_import_counts n;

	snprintf(a.uid, sizeof(a.uid), "%s", uid);
	assert_int_equal(tm_store_import_attendees(f->store, &a, 1,
						   TM_ATTENDEE_ORG | TM_ATTENDEE_CONSENT, &n),
			 0);
}

#define A "04000001"
#define B "04000002"
#define C "04000003"
#define D "04000004"
#define E "04000005" /* never registered */

/* A meets B twice (once suspect), A, C and E meet together, C meets D
 * with the clock unsynchronised, B meets D. */
static void event(struct fixture *f)
{
	attendee(f, A, "Ada Lovelace", "X Corp", true);
	attendee(f, B, "Bob", "X Corp", false);
	attendee(f, C, "Cy", "Y Ltd", false);
	attendee(f, D, "Di", "Z AG", false);
	meeting(f, 0, true, NULL, 2, A, B);
	meeting(f, 5, true, "partner came late", 2, A, B);
	meeting(f, 10, true, NULL, 3, A, C, E);
	meeting(f, 70, false, NULL, 2, C, D);
	meeting(f, 75, true, NULL, 2, B, D);
}

static const struct tm_report_person *person(const struct tm_report *r, const char *uid)
{
	for (size_t i = 0; i < r->n_people; i++)
		if (!strcmp(r->people[i].uid, uid))
			return &r->people[i];
	fail_msg("%s is not in the report", uid);
	return NULL;
}

static void empty_log(void **state)
{
	struct fixture *f = *state;
	struct tm_report_query q = { .top_orgs = 3, .max_edges = 10 };
	struct tm_report r;

	assert_int_equal(tm_store_report(f->store, &q, &r), 0);
	assert_int_equal(r.n_people, 0);
	assert_int_equal(r.pairs, 0);
	assert_int_equal(r.n_edges, 0);
	assert_int_equal(r.n_orgs, 0);
	assert_int_equal(r.n_stations, 1); /* registered, nothing written */
	assert_int_equal(r.stations[0].meetings, 0);
	assert_int_equal(r.stats.meetings, 0);
	tm_report_free(&r);
}

static void people_and_pairs(void **state)
{
	struct fixture *f = *state;
	struct tm_report_query q = { .top_orgs = 3, .max_edges = 100 };
	struct tm_report r;

	event(f);
	assert_int_equal(tm_store_report(f->store, &q, &r), 0);
	assert_int_equal(r.stats.meetings, 5);
	assert_int_equal(r.n_people, 5);
	assert_int_equal(person(&r, A)->people, 3);
	assert_int_equal(person(&r, A)->meetings, 3);
	assert_int_equal(person(&r, B)->people, 2);
	assert_int_equal(person(&r, C)->people, 3);
	assert_int_equal(person(&r, E)->people, 2);
	assert_null(person(&r, E)->name);
	assert_true(person(&r, A)->consent);
	assert_false(person(&r, B)->consent);
	/* AB, AC, AE, CE, CD, BD */
	assert_int_equal(r.pairs, 6);
	assert_int_equal(r.n_edges, 6);
	assert_string_equal(r.people[r.edges[0].a].uid, A);
	assert_string_equal(r.people[r.edges[0].b].uid, B);
	assert_int_equal(r.edges[0].weight, 2);
	assert_int_equal(r.edges[0].suspect, 1);
	for (size_t i = 1; i < r.n_edges; i++) {
		assert_int_equal(r.edges[i].weight, 1);
		assert_int_equal(r.edges[i].suspect, 0);
	}
	tm_report_free(&r);
}

static void strongest_pairs_keep_the_first_of_equals(void **state)
{
	struct fixture *f = *state;
	struct tm_report_query q = { .top_orgs = 3, .max_edges = 2 };
	struct tm_report r;

	event(f);
	assert_int_equal(tm_store_report(f->store, &q, &r), 0);
	assert_int_equal(r.pairs, 6);
	assert_int_equal(r.n_edges, 2);
	assert_int_equal(r.edges[0].weight, 2);
	/* of the five pairs met once, the first in uid order: A-C */
	assert_string_equal(r.people[r.edges[1].a].uid, A);
	assert_string_equal(r.people[r.edges[1].b].uid, C);
	tm_report_free(&r);
}

static void organisations(void **state)
{
	struct fixture *f = *state;
	struct tm_report_query q = { .top_orgs = 2, .max_edges = 10 };
	struct tm_report r;
	size_t n, other, none;

	event(f);
	assert_int_equal(tm_store_report(f->store, &q, &r), 0);
	/* X Corp: 6 meetings; Y Ltd and Z AG 2 each, Y first by name; Z is
	 * "other", the unregistered E "(none)". */
	assert_int_equal(r.n_orgs, 2);
	assert_string_equal(r.orgs[0], "X Corp");
	assert_string_equal(r.orgs[1], "Y Ltd");
	n = r.n_orgs + 2;
	other = TM_REPORT_ORG_OTHER(&r);
	none = TM_REPORT_ORG_NONE(&r);
	assert_int_equal(r.org_people[0], 2);
	assert_int_equal(r.org_people[other], 1);
	assert_int_equal(r.org_people[none], 1);
	assert_int_equal(r.org_pairs[0 * n + 0], 2); /* A-B twice */
	assert_int_equal(r.org_pairs[0 * n + 1], 1); /* A-C */
	assert_int_equal(r.org_pairs[1 * n + 0], 1);
	assert_int_equal(r.org_pairs[0 * n + none], 1); /* A-E */
	assert_int_equal(r.org_pairs[1 * n + none], 1); /* C-E */
	assert_int_equal(r.org_pairs[1 * n + other], 1); /* C-D */
	assert_int_equal(r.org_pairs[0 * n + other], 1); /* B-D */
	assert_int_equal(r.org_pairs[other * n + 0], 1);
	tm_report_free(&r);
}

static void unsynchronised_rows(void **state)
{
	struct fixture *f = *state;
	struct tm_report_query q = { .top_orgs = 2, .max_edges = 10 };
	struct tm_report r;

	event(f);
	assert_int_equal(tm_store_report(f->store, &q, &r), 0);
	assert_int_equal(r.n_stations, 1);
	assert_string_equal(r.stations[0].id, "st1");
	assert_true(r.stations[0].listed);
	assert_string_equal(r.stations[0].name, "Hall");
	assert_int_equal(r.stations[0].meetings, 5);
	assert_int_equal(r.stations[0].taps, 11);
	assert_int_equal(r.stations[0].unsynced_meetings, 1);
	assert_int_equal(r.stations[0].unsynced_taps, 2);
	assert_int_equal(r.n_slots, 1);
	assert_int_equal(r.slots[0].hour, T0 / 3600000 + 1);
	assert_int_equal(r.slots[0].unsynced_meetings, 1);
	assert_int_equal(r.slots[0].unsynced_taps, 2);
	tm_report_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(empty_log, setup, teardown),
		cmocka_unit_test_setup_teardown(people_and_pairs, setup, teardown),
		cmocka_unit_test_setup_teardown(strongest_pairs_keep_the_first_of_equals, setup,
						teardown),
		cmocka_unit_test_setup_teardown(organisations, setup, teardown),
		cmocka_unit_test_setup_teardown(unsynchronised_rows, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
