/* Forward migrations of the meeting log's schema (PRAGMA user_version). */
#ifndef TAPMEET_SCHEMA_H
#define TAPMEET_SCHEMA_H

/* SQL that takes the schema from version-1 to version, or NULL. */
const char *tm_schema_migration(int version);
int tm_schema_latest(void);

#endif
