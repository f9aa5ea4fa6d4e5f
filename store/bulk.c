/* Loading many rows at once: the bench generator's millions of meetings. */
#include "internal.h"

#include <errno.h>

int tm_store_bulk_load(struct tm_store *s, bool on)
{
	int rc;

	if (!s->writable)
		return store_failf(s, -EROFS, "bulk load: the store is open read-only");
	if (s->in_batch || s->in_read)
		return store_failf(s, -EINVAL, "bulk load: not inside a batch or a snapshot");
	if (on)
		/* The indexes' pages stay in memory for a whole batch instead
		 * of spilling to the -wal again and again. */
		return store_exec(s, "PRAGMA cache_size = -200000");
	rc = store_exec(s, "ANALYZE");
	if (rc == 0)
		rc = store_exec(s, "PRAGMA wal_checkpoint(TRUNCATE)");
	if (rc == 0)
		rc = store_exec(s, "PRAGMA cache_size = -2000");
	return rc;
}
