/* The outbox keeps every decision until SQLite has committed it. A locked,
 * full or failing database delays a write; it never loses one. */
#include "outbox.h"

#include <errno.h>
#include <stdlib.h>

#include "tapmeet/log.h"

void outbox_init(struct outbox *ob, size_t limit)
{
	ob->head = ob->tail = NULL;
	ob->len = 0;
	ob->limit = limit;
}

void outbox_log_entry(int priority, const char *why, const struct outbox_entry *e)
{
	char utc[TM_UTC_SIZE];

	for (size_t i = 0; i < e->n_taps; i++) {
		const struct tm_store_tap *t = &e->taps[i];

		tm_format_utc(t->stamp.utc_ms, utc);
		tm_log(priority,
		       "%s tap=%s uid=%s outcome=%s meeting=%s time=%s mono_ms=%lld boot_id=%s", why,
		       t->id, t->uid, tm_tap_outcome_name(t->outcome),
		       e->is_meeting ? e->meeting_id : "-", utc, (long long)t->stamp.mono_ms,
		       t->stamp.boot_id);
	}
}

int outbox_push(struct outbox *ob, struct outbox_entry *e)
{
	int rc = 0;

	e->next = NULL;
	if (ob->len >= ob->limit && ob->head) {
		/* Memory is finite too: the oldest write goes to the journal, in
		 * full, so that nothing disappears without a trace. */
		outbox_log_entry(LOG_CRIT, "unsaved-dropped", ob->head);
		outbox_pop_free(ob);
		rc = -ENOSPC;
	}
	if (ob->tail)
		ob->tail->next = e;
	else
		ob->head = e;
	ob->tail = e;
	ob->len++;
	return rc;
}

struct outbox_entry *outbox_peek(struct outbox *ob)
{
	return ob->head;
}

void outbox_pop_free(struct outbox *ob)
{
	struct outbox_entry *e = ob->head;

	if (!e)
		return;
	ob->head = e->next;
	if (!ob->head)
		ob->tail = NULL;
	ob->len--;
	free(e);
}

void outbox_free(struct outbox *ob)
{
	while (ob->head)
		outbox_pop_free(ob);
}

int outbox_write(struct tm_store *store, const struct outbox_entry *e)
{
	if (e->is_meeting)
		return tm_store_write_meeting(store, e->meeting_id, &e->stamp, e->taps, e->n_taps);
	return tm_store_write_taps(store, e->taps, e->n_taps);
}
