/* The writer's half of following the log (the reader's half is declared in
 * include/tapmeet/store.h); private to store/. */
#ifndef TAPMEET_FOLLOW_H
#define TAPMEET_FOLLOW_H

/* Tells followers that a transaction on the database at db_path has just
 * committed: call after every successful COMMIT, never before. Touches the
 * -wal's times (metadata only); errors are ignored. */
void store_announce_commit(const char *db_path);

#endif
