/* The outbox keeps every decision until SQLite has committed it. A locked,
 * full or failing database delays a write; it never loses one silently. */
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

void outbox_log_entry(int priority, const char *why, const struct write_req *e)
{
	char utc[TM_UTC_SIZE];

	if (e->type == WRITE_STATUS || e->type == WRITE_STATION)
		return; /* nothing a person did */
	for (size_t i = 0; i < e->n_taps; i++) {
		const struct tm_store_tap *t = &e->taps[i].row;

		tm_format_utc(t->stamp.utc_ms, utc);
		/* The doubt too: a meeting recovered from here without it would
		 * reach contact exports as certain. */
		tm_log(priority,
		       "%s tap=%s uid=%s outcome=%s meeting=%s time=%s mono_ms=%lld boot_id=%s%s%s%s",
		       why, t->id[0] ? t->id : "-", t->uid, tm_tap_outcome_name(t->outcome),
		       e->type == WRITE_MEETING && e->meeting_id[0] ? e->meeting_id :
		       e->type == WRITE_MEETING			   ? "(new)" :
								     "-",
		       utc, (long long)t->stamp.mono_ms, t->stamp.boot_id,
		       e->suspect[0] ? " suspect=\"" : "", e->suspect, e->suspect[0] ? "\"" : "");
	}
}

static void unlink_after(struct outbox *ob, struct write_req *prev, struct write_req *e)
{
	if (prev)
		prev->next = e->next;
	else
		ob->head = e->next;
	if (ob->tail == e)
		ob->tail = prev;
	ob->len--;
}

int outbox_push(struct outbox *ob, struct write_req *req, const struct write_req *busy)
{
	int rc = 0;

	req->next = NULL;
	if (ob->len >= ob->limit && ob->head) {
		/* Memory is finite too: the oldest write goes to the journal, in
		 * full, so that nothing disappears without a trace. */
		struct write_req *prev = NULL, *victim = ob->head;

		if (victim == busy && victim->next) {
			prev = victim;
			victim = victim->next;
		}
		if (victim != busy) {
			outbox_log_entry(LOG_CRIT, "unsaved-dropped", victim);
			unlink_after(ob, prev, victim);
			free(victim);
			rc = -ENOSPC;
		}
	}
	if (ob->tail)
		ob->tail->next = req;
	else
		ob->head = req;
	ob->tail = req;
	ob->len++;
	return rc;
}

struct write_req *outbox_peek(struct outbox *ob)
{
	return ob->head;
}

struct write_req *outbox_pop(struct outbox *ob)
{
	struct write_req *e = ob->head;

	if (e)
		unlink_after(ob, NULL, e);
	return e;
}

void outbox_free(struct outbox *ob)
{
	struct write_req *e;

	while ((e = outbox_pop(ob)))
		free(e);
}
