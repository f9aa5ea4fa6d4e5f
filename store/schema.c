/* The schema, as a list of forward migrations. Migration N takes a database
 * at PRAGMA user_version N-1 to N; they run in one transaction each on open.
 * Never edit a released migration: add the next one. docs/schema.md
 * explains every table. */
#include "schema.h"

#include <stddef.h>

static const char migration_1[] =
	"CREATE TABLE stations (\n"
	"  id            TEXT PRIMARY KEY,\n"
	"  name          TEXT NOT NULL DEFAULT '',\n"
	"  tap_seq       INTEGER NOT NULL DEFAULT 0,\n" /* last tap sequence used */
	"  meeting_seq   INTEGER NOT NULL DEFAULT 0,\n"
	"  started_utc   TEXT,\n"
	"  heartbeat_utc TEXT,\n"
	"  reader_state  TEXT NOT NULL DEFAULT 'unknown',\n"
	"  status_detail TEXT NOT NULL DEFAULT '',\n"
	"  storage_fault INTEGER NOT NULL DEFAULT 0,\n"
	"  clock_synced  INTEGER NOT NULL DEFAULT 0,\n"
	"  version       TEXT NOT NULL DEFAULT ''\n"
	");\n"
	"CREATE TABLE attendees (\n"
	"  uid     TEXT PRIMARY KEY,\n"
	"  name    TEXT NOT NULL,\n"
	"  org     TEXT NOT NULL DEFAULT '',\n"
	"  handle  TEXT NOT NULL DEFAULT '',\n"
	"  email   TEXT NOT NULL DEFAULT '',\n"
	"  updated_utc TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))\n"
	");\n"
	"CREATE INDEX attendees_name ON attendees(name COLLATE NOCASE);\n"
	"CREATE TABLE meetings (\n"
	"  id           TEXT PRIMARY KEY,\n"
	"  station      TEXT NOT NULL,\n"
	"  seq          INTEGER NOT NULL,\n"
	"  time_utc     TEXT NOT NULL,\n"    /* 2026-11-26T10:00:00.123Z */
	"  utc_ms       INTEGER NOT NULL,\n" /* the same, in ms since the epoch */
	"  clock_synced INTEGER NOT NULL,\n"
	"  boot_id      TEXT NOT NULL,\n"
	"  mono_ms      INTEGER NOT NULL,\n"
	"  n_badges     INTEGER NOT NULL,\n"
	"  UNIQUE (station, seq)\n"
	");\n"
	"CREATE INDEX meetings_time ON meetings(utc_ms);\n"
	"CREATE TABLE meeting_badges (\n"
	"  meeting_id TEXT NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,\n"
	"  uid        TEXT NOT NULL,\n"
	"  PRIMARY KEY (meeting_id, uid)\n"
	") WITHOUT ROWID;\n"
	"CREATE INDEX meeting_badges_uid ON meeting_badges(uid, meeting_id);\n"
	"CREATE TABLE taps (\n"
	"  id           TEXT PRIMARY KEY,\n"
	"  station      TEXT NOT NULL,\n"
	"  seq          INTEGER NOT NULL,\n"
	"  uid          TEXT NOT NULL,\n"
	"  kind         TEXT NOT NULL DEFAULT 'unknown',\n"
	"  outcome      TEXT NOT NULL CHECK (outcome IN ('pending','paired','unpaired',\n"
	"                 'cancelled','duplicate','rejected')),\n"
	"  reason       TEXT NOT NULL DEFAULT '',\n"
	"  meeting_id   TEXT REFERENCES meetings(id) ON DELETE SET NULL,\n"
	"  time_utc     TEXT NOT NULL,\n"
	"  utc_ms       INTEGER NOT NULL,\n"
	"  clock_synced INTEGER NOT NULL,\n"
	"  boot_id      TEXT NOT NULL,\n"
	"  mono_ms      INTEGER NOT NULL,\n"
	"  UNIQUE (station, seq)\n"
	");\n"
	"CREATE INDEX taps_time ON taps(utc_ms);\n"
	"CREATE INDEX taps_uid ON taps(uid);\n";

/* Indexes only, for the CLI.
 * taps_unpaired: taps that did not pair (unpaired, cancelled, duplicate,
 * rejected, pending) are a few percent of all taps; in (outcome, uid) order
 * they give `tapmeet stats` its outcome counts and the badges seen only
 * through such taps without reading every tap. Queries must state
 * "outcome <> 'paired'" for SQLite to use it.
 * attendees_uid_name: a name by UID in one index lookup instead of two (the
 * primary key's index, then the row), for listings of meetings. */
static const char migration_2[] =
	"CREATE INDEX taps_unpaired ON taps(outcome, uid) WHERE outcome <> 'paired';\n"
	"CREATE INDEX attendees_uid_name ON attendees(uid, name);\n";

/* Listings order meetings by time and, within one millisecond, by station
 * and sequence (ids as text would put m10 before m9): one index gives both
 * the order and the time ranges. */
static const char migration_3[] =
	"CREATE INDEX meetings_time_seq ON meetings(utc_ms, station, seq);\n"
	"DROP INDEX meetings_time;\n";

/* A meeting recorded under conditions known to mislead (docs/pairing.md)
 * keeps its row but carries the reason; NULL means nothing was doubted.
 * Adding a nullable column rewrites no row, so a large log migrates at
 * once. Suspect meetings are few: the partial index lets `tapmeet stats`
 * count them and `meetings --suspect` list them in time order without
 * reading every meeting. Queries must state "suspect <> ''" (or another
 * comparison on suspect) for SQLite to use it. */
static const char migration_4[] =
	"ALTER TABLE meetings ADD COLUMN suspect TEXT;\n"
	"CREATE INDEX meetings_suspect ON meetings(utc_ms, station, seq)"
	" WHERE suspect IS NOT NULL;\n";

/* `tapmeet people` shows each badge's first and last tap and lists only
 * badges seen in a tap that was not rejected. Through taps_uid each is a
 * walk of the badge's taps with a row read per tap: hundreds of thousands of
 * random reads on a large event. In (uid, time_utc, outcome) order the
 * first and last are one seek each, and the badges with a tap other than
 * rejected one walk of the index. It serves every lookup by uid that
 * taps_uid served, so that one goes: the daemon updates as many indexes per
 * tap as before. */
static const char migration_5[] =
	"CREATE INDEX taps_uid_time ON taps(uid, time_utc, outcome);\n"
	"DROP INDEX taps_uid;\n";

/* After the event (tapmeet followup): consent says whether an attendee
 * shares their e-mail and handle with the people they met; 0 until an
 * import says otherwise, so nobody's details leave without a yes. Each
 * follow-up message handed to the mail system is recorded, so that a run
 * interrupted halfway and started again sends nobody a second one. */
static const char migration_6[] =
	"ALTER TABLE attendees ADD COLUMN consent INTEGER NOT NULL DEFAULT 0;\n"
	"CREATE TABLE followups (\n"
	"  uid        TEXT PRIMARY KEY,\n" /* the recipient's badge */
	"  rcpt       TEXT NOT NULL,\n"    /* the address it went to */
	"  message_id TEXT NOT NULL,\n"
	"  sent_utc   TEXT NOT NULL,\n"
	"  meetings   INTEGER NOT NULL\n"  /* how many meetings it listed */
	");\n";

static const char *const migrations[] = {
	migration_1,
	migration_2,
	migration_3,
	migration_4,
	migration_5,
	migration_6,
};

const char *tm_schema_migration(int version)
{
	if (version < 1 || (size_t)version > sizeof(migrations) / sizeof(migrations[0]))
		return NULL;
	return migrations[version - 1];
}

int tm_schema_latest(void)
{
	return (int)(sizeof(migrations) / sizeof(migrations[0]));
}
