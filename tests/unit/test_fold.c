/* Name folding: store_fold() and the tm_fold() SQL function on an in-memory
 * database, with the names from the issue in every script. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "fold.h"

static int setup(void **state)
{
	sqlite3 *db = NULL;

	if (sqlite3_open(":memory:", &db) != SQLITE_OK)
		return -1;
	if (store_register_text_functions(db) != SQLITE_OK) {
		sqlite3_close(db);
		return -1;
	}
	*state = db;
	return 0;
}

static int teardown(void **state)
{
	sqlite3_close(*state);
	return 0;
}

/* The integer a one-row query gives for text parameters ?1 and ?2 (either
 * may be NULL: not bound); -1 for an SQL NULL. */
static int query_int(sqlite3 *db, const char *sql, const char *a, const char *b)
{
	sqlite3_stmt *st;
	int v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (a)
		assert_int_equal(sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC), SQLITE_OK);
	if (b)
		assert_int_equal(sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_type(st, 0) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int same(sqlite3 *db, const char *a, const char *b)
{
	return query_int(db, "SELECT tm_fold(?1) = tm_fold(?2)", a, b);
}

/* tm_fold(s) through SQL, as a malloc'd string. */
static char *sql_fold(sqlite3 *db, const char *s)
{
	sqlite3_stmt *st;
	char *r;

	assert_int_equal(sqlite3_prepare_v2(db, "SELECT tm_fold(?1)", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_bind_text(st, 1, s, -1, SQLITE_STATIC), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	r = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	assert_non_null(r);
	return r;
}

static void assert_fold(const char *in, const char *want)
{
	char *out = NULL;
	size_t n = 0;

	assert_int_equal(store_fold(in, strlen(in), &out, &n), 0);
	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
	free(out);
}

static void test_issue_names(void **state)
{
	sqlite3 *db = *state;

	assert_int_equal(same(db, "zoë ångström", "Zoë Ångström"), 1);
	assert_int_equal(same(db, "ZOË ÅNGSTRÖM", "Zoë Ångström"), 1);
	assert_int_equal(same(db, "JÜRGEN GROSS", "Jürgen Gross"), 1);
	assert_int_equal(same(db, "JÜRGEN GROSS", "Jürgen Groß"), 1);
	assert_int_equal(same(db, "дмитрий шостакович", "Дмитрий Шостакович"), 1);
	assert_int_equal(same(db, "ДМИТРИЙ ШОСТАКОВИЧ", "дмитрий шостакович"), 1);
	/* Case only: other letters and accents still tell names apart. */
	assert_int_equal(same(db, "Zoe Angstrom", "Zoë Ångström"), 0);
	/* SQLite's own NOCASE folds ASCII only: the reason for tm_fold. */
	assert_int_equal(query_int(db, "SELECT ?1 = ?2 COLLATE NOCASE", "zoë", "ZOË"), 0);
}

static void test_sharp_s_and_sigma(void **state)
{
	sqlite3 *db = *state;

	assert_fold("Jürgen Groß", "jürgen gross");
	assert_int_equal(same(db, "STRASSE", "Straße"), 1);
	/* Capital sigma, medial σ and final ς all fold to σ. */
	assert_int_equal(same(db, "ΟΔΥΣΣΕΥΣ", "οδυσσευς"), 1);
	assert_fold("οδυσσευς", "οδυσσευσ");
	/* The tonos is an accent like any other: it has to match too. */
	assert_int_equal(same(db, "ΟΔΥΣΣΕΎΣ", "Οδυσσεύς"), 1);
	assert_int_equal(same(db, "ΟΔΥΣΣΕΥΣ", "Οδυσσεύς"), 0);
}

static void test_normalisation(void **state)
{
	sqlite3 *db = *state;
	/* "Zoë Ångström" with e + U+0308, A + U+030A, o + U+0308. */
	static const char decomposed[] = "Zoe\xCC\x88 A\xCC\x8Angstro\xCC\x88m";
	/* Å as U+212B ANGSTROM SIGN. */
	static const char angstrom_sign[] = "\xE2\x84\xAB" "ngstr\xC3\xB6m";
	char *a = sql_fold(db, decomposed);
	char *b = sql_fold(db, "zoë ångström");

	assert_string_equal(a, b);
	assert_string_equal(b, "zo\xC3\xAB \xC3\xA5ngstr\xC3\xB6m"); /* NFC form */
	free(a);
	free(b);
	assert_int_equal(same(db, decomposed, "ZOË ÅNGSTRÖM"), 1);
	assert_int_equal(same(db, angstrom_sign, "ångström"), 1);
	/* Compatibility forms: fullwidth, ligatures, styled letters. */
	assert_fold("ＪＵＲＧＥＮ", "jurgen");
	assert_fold("\xEF\xAC\x81" "nn", "finn");           /* U+FB01 fi ligature */
	assert_fold("\xF0\x9D\x90\x80" "da", "ada");        /* U+1D400 bold A */
	assert_fold("\xC7\x85" "ordje", "d\xC5\xBEordje");  /* U+01C5 Dž titlecase */
}

static void test_white_space(void **state)
{
	sqlite3 *db = *state;

	assert_fold("  Zoë \t  Ångström\n", "zoë ångström");
	assert_fold(" Ada   LOVELACE ", "ada lovelace");
	assert_fold("\xC2\xA0" "Ada\xE3\x80\x80Lovelace\xE2\x80\xA8", "ada lovelace");
	assert_fold("", "");
	assert_fold(" \t\n ", "");
	assert_int_equal(same(db, "Zoë  Ångström ", "zoë ångström"), 1);
	assert_int_equal(same(db, "Zoë Ångström", "ZoëÅngström"), 0);
}

/* Without a locale libunistring applies no Turkish rules: I folds to i, İ
 * to i + U+0307 COMBINING DOT ABOVE, and ı has no fold. So "ISTANBUL" finds
 * "istanbul" but not "ıstanbul", and "İSTANBUL" only finds "İstanbul". */
static void test_turkish_i(void **state)
{
	sqlite3 *db = *state;

	assert_fold("ISTANBUL", "istanbul");
	assert_fold("İstanbul", "i\xCC\x87stanbul");
	assert_fold("ıstanbul", "\xC4\xB1stanbul");
	assert_int_equal(same(db, "İSTANBUL", "İstanbul"), 1);
	assert_int_equal(same(db, "İstanbul", "istanbul"), 0);
	assert_int_equal(same(db, "ISTANBUL", "ıstanbul"), 0);
	assert_int_equal(same(db, "ISTANBUL", "istanbul"), 1);
}

static void test_substring(void **state)
{
	sqlite3 *db = *state;
	static const char sql[] = "SELECT instr(tm_fold(?1), tm_fold(?2)) > 0";

	assert_int_equal(query_int(db, sql, "Zoë Ångström", "ångström"), 1);
	assert_int_equal(query_int(db, sql, "Zoë Ångström", "ÅNGSTRÖM"), 1);
	assert_int_equal(query_int(db, sql, "Jürgen Groß", "gross"), 1);
	assert_int_equal(query_int(db, sql, "Дмитрий Шостакович", "ШОСТАК"), 1);
	assert_int_equal(query_int(db, sql, "Zoë Ångström", "angstrom"), 0);
}

static void test_in_a_table(void **state)
{
	sqlite3 *db = *state;
	sqlite3_stmt *st;

	/* Deterministic, so it can back an index on an expression. */
	assert_int_equal(sqlite3_exec(db,
				      "CREATE TABLE people(name TEXT);"
				      "CREATE INDEX people_fold ON people(tm_fold(name));"
				      "INSERT INTO people VALUES ('Zoë Ångström'),"
				      " ('Jürgen Groß'), ('Дмитрий Шостакович'), ('Ada');",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT name FROM people WHERE tm_fold(name) = tm_fold(?1)",
					    -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_bind_text(st, 1, "JÜRGEN GROSS", -1, SQLITE_STATIC), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "Jürgen Groß");
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE people", NULL, NULL, NULL), SQLITE_OK);
}

static void test_null_and_invalid(void **state)
{
	sqlite3 *db = *state;
	sqlite3_stmt *st;
	static const char bad[] = "Zo\xEB \xC5ngstr\xF6m"; /* Latin-1, not UTF-8 */
	char dummy[] = "untouched";
	char *out = dummy;
	size_t n = 7;

	assert_int_equal(store_fold(bad, strlen(bad), &out, &n), -EILSEQ);
	assert_null(out);
	assert_int_equal(store_fold("\xC3", 1, &out, &n), -EILSEQ);         /* truncated */
	assert_int_equal(store_fold("A\xED\xA0\x80", 4, &out, &n), -EILSEQ); /* surrogate */

	assert_int_equal(query_int(db, "SELECT tm_fold(NULL) IS NULL", NULL, NULL), 1);
	assert_int_equal(query_int(db, "SELECT tm_fold(?1) IS NULL", "", NULL), 0);
	assert_int_equal(query_int(db, "SELECT tm_fold(?1) = ''", "", NULL), 1);
	assert_int_equal(query_int(db, "SELECT tm_fold(42) = '42'", NULL, NULL), 1);

	/* Invalid UTF-8 comes back as it went in: compared byte for byte. */
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT tm_fold(?1) = ?1, typeof(tm_fold(?1))",
					    -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_bind_text(st, 1, bad, -1, SQLITE_STATIC), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 1);
	assert_string_equal((const char *)sqlite3_column_text(st, 1), "text");
	sqlite3_finalize(st);
}

/* A folded name folds to itself, whichever path (ASCII or not) it took. */
static void test_idempotent(void **state)
{
	static const char *const names[] = {
		"Zoë Ångström", "JÜRGEN GROSS", "Jürgen Groß", "ΟΔΥΣΣΕΥΣ", "İstanbul",
		"Дмитрий Шостакович", "\xE3\x8E\x92", "ＡＢＣ", " Mixed  CASE\tascii ",
		"李小龍", "e\xCC\x81\xCC\xA3",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *once, *twice;
		size_t n1, n2;

		assert_int_equal(store_fold(names[i], strlen(names[i]), &once, &n1), 0);
		assert_int_equal(store_fold(once, n1, &twice, &n2), 0);
		assert_int_equal(n1, n2);
		assert_memory_equal(once, twice, n1);
		free(once);
		free(twice);
	}
}

/* ASCII takes a shortcut; every ASCII byte folds as libunistring folds it. */
static void test_ascii_shortcut(void **state)
{
	(void)state;
	for (int c = 1; c < 0x80; c++) {
		char ascii[] = { 'A', (char)c, 'B', '\0' };
		char mixed[] = { 'A', (char)c, 'B', '\xC3', '\x89', '\0' }; /* + É */
		char *a, *m;
		size_t na, nm;

		assert_int_equal(store_fold(ascii, 3, &a, &na), 0);
		assert_int_equal(store_fold(mixed, 5, &m, &nm), 0);
		assert_int_equal(nm, na + 2);
		assert_memory_equal(a, m, na);
		assert_memory_equal(m + na, "\xC3\xA9", 2);
		free(a);
		free(m);
	}
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_issue_names),
		cmocka_unit_test(test_sharp_s_and_sigma),
		cmocka_unit_test(test_normalisation),
		cmocka_unit_test(test_white_space),
		cmocka_unit_test(test_turkish_i),
		cmocka_unit_test(test_substring),
		cmocka_unit_test(test_in_a_table),
		cmocka_unit_test(test_null_and_invalid),
		cmocka_unit_test(test_idempotent),
		cmocka_unit_test(test_ascii_shortcut),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
