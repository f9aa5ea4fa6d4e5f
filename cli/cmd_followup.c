/* tapmeet followup: after the event, every attendee receives the people
 * they met. One walk of the meetings in time order gathers, in memory,
 * who met whom where: each meeting's time and place, and three numbers per
 * (recipient, person met, meeting). Sorted by recipient, these links give
 * one message at a time. A million meetings among 20,000 people peak at
 * 114 MB resident (bench/followup.sh).
 *
 * Sending is exactly-once as far as tapmeet can make it: a message is
 * handed to sendmail, and only after sendmail exits 0 is it recorded in the
 * followups table, in a transaction committed before the next message
 * goes. A rerun skips what is recorded. What remains is the moment between
 * sendmail's exit and the commit: killed there, tapmeet sends that one
 * message again on the rerun, with the same Message-ID, which lets the
 * receiving side see the duplicate. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "followup.h"

#define INSTALLED_TEMPLATE SYSCONFDIR "/tapmeet/followup.txt"
#define DEFAULT_SENDMAIL "/usr/sbin/sendmail"

static const char usage[] =
	"usage: tapmeet followup [--out DIR] [--template FILE] [--event NAME] [--only NAME|UID]\n"
	"                        [--include-suspect]\n"
	"       tapmeet followup --send [--from ADDRESS] [--sendmail COMMAND] [--resend] ...\n"
	"       tapmeet followup --show-template\n"
	"Every registered attendee with a meeting gets a message listing the people\n"
	"they met (name, organisation, shared details, when and where), with the same\n"
	"people as a vCard 4.0 attachment. E-mail and handle are given only for people\n"
	"who consented; suspect meetings are left out unless --include-suspect.\n"
	"Dry run (the default): DIR/UID.eml per recipient with an e-mail address and\n"
	"DIR/manifest.csv (uid,name,email,meetings,file,status); DIR is ./followup.\n"
	"--send: each message goes to 'COMMAND -i ADDRESS' (COMMAND: " DEFAULT_SENDMAIL ")\n"
	"and is recorded once accepted, so a rerun sends nobody a second message;\n"
	"--resend sends the recorded ones again, with the same Message-ID. A failure\n"
	"stops the run; run it again to continue. --from is needed unless the\n"
	"template has a From: line. Template: FILE, else " INSTALLED_TEMPLATE ",\n"
	"else the built-in one, which --show-template prints.\n";

/* tm_store_followup_people's and tm_store_followup_meetings's columns. */
enum { P_UID, P_NAME, P_ORG, P_SHARED, P_HANDLE, P_EMAIL, P_ADDRESS, P_SENT_ID };
enum { M_MEETING, M_TIME, M_PLACE, M_SUSPECT, M_UID };

/* A badge seen in the log: the registered first, by UID, then the badges
 * nobody registered as the meetings show them. */
struct badge {
	char *uid, *name, *org, *handle, *email, *address, *sent_id;
	bool registered, shared;
};

struct meeting {
	int64_t id;
	char time[32];
	uint32_t place;
	bool suspect;
};

/* rcpt met other in meeting: indexes into the log's arrays. */
struct link {
	uint32_t rcpt, other, meeting;
};

struct log {
	struct badge *badges;
	size_t n_badges, cap_badges, n_registered;
	GHashTable *by_uid; /* uid -> index + 1 */
	GPtrArray *places;
	GHashTable *place_index; /* name -> index + 1 */
	struct meeting *meetings;
	size_t n_meetings, cap_meetings;
	struct link *links;
	size_t n_links, cap_links;
};

struct run {
	struct cli *c;
	/* The walk reads through a connection of its own: a record committed
	 * on c->store while the walk's snapshot is open would otherwise need
	 * that snapshot to be the newest, and a station still writing makes it
	 * old (SQLITE_BUSY_SNAPSHOT, after the message went). */
	struct tm_store *walk;
	bool send, resend, progress;
	const char *dir;
	char **sendmail;
	struct fu_message_opts mo;
	FILE *manifest;
	char manifest_path[PATH_MAX], manifest_tmp[PATH_MAX + 8];
	int64_t total; /* recipients with an address, for the progress line */
	long long done, written, sent, already, no_email, failed;
	bool stopped;
	int lock_fd; /* --send: flock on the database file, -1 otherwise */
};

#define GROW(array, n, cap, first)                                               \
	do {                                                                     \
		if ((n) == (cap)) {                                              \
			(cap) = (cap) ? 2 * (cap) : (first);                     \
			(array) = g_realloc_n((array), (cap), sizeof(*(array))); \
		}                                                                \
	} while (0)

static void log_free(struct log *log)
{
	for (size_t i = 0; i < log->n_badges; i++) {
		struct badge *b = &log->badges[i];

		g_free(b->uid);
		g_free(b->name);
		g_free(b->org);
		g_free(b->handle);
		g_free(b->email);
		g_free(b->address);
		g_free(b->sent_id);
	}
	g_free(log->badges);
	if (log->by_uid)
		g_hash_table_destroy(log->by_uid);
	if (log->place_index)
		g_hash_table_destroy(log->place_index);
	if (log->places)
		g_ptr_array_free(log->places, TRUE);
	g_free(log->meetings);
	g_free(log->links);
	memset(log, 0, sizeof(*log));
}

static struct badge *add_badge(struct log *log, const char *uid)
{
	struct badge *b;

	GROW(log->badges, log->n_badges, log->cap_badges, 1024);
	b = &log->badges[log->n_badges++];
	memset(b, 0, sizeof(*b));
	b->uid = g_strdup(uid);
	g_hash_table_insert(log->by_uid, b->uid, GSIZE_TO_POINTER(log->n_badges));
	return b;
}

static int load_people(struct run *run, struct log *log)
{
	struct tm_rows *rows;
	int rc;

	if (tm_store_followup_people(run->walk, &rows) < 0)
		return -EIO;
	while ((rc = tm_rows_next(rows)) > 0) {
		struct badge *b = add_badge(log, tm_rows_text(rows, P_UID));

		b->registered = true;
		b->name = g_strdup(tm_rows_text(rows, P_NAME));
		b->org = g_strdup(tm_rows_text(rows, P_ORG));
		b->shared = tm_rows_int(rows, P_SHARED) != 0;
		b->handle = g_strdup(tm_rows_text(rows, P_HANDLE));
		b->email = g_strdup(tm_rows_text(rows, P_EMAIL));
		b->address = g_strdup(tm_rows_text(rows, P_ADDRESS));
		if (!tm_rows_is_null(rows, P_SENT_ID))
			b->sent_id = g_strdup(tm_rows_text(rows, P_SENT_ID));
	}
	tm_rows_free(rows);
	log->n_registered = log->n_badges;
	return rc < 0 ? -EIO : 0;
}

static uint32_t badge_index(struct log *log, const char *uid)
{
	gpointer v = g_hash_table_lookup(log->by_uid, uid);
	struct badge *b;

	if (v)
		return (uint32_t)(GPOINTER_TO_SIZE(v) - 1);
	b = add_badge(log, uid);
	b->name = g_strdup("");
	b->org = g_strdup("");
	b->handle = g_strdup("");
	b->email = g_strdup("");
	b->address = g_strdup("");
	return (uint32_t)(log->n_badges - 1);
}

static uint32_t place_index(struct log *log, const char *place)
{
	gpointer v = g_hash_table_lookup(log->place_index, place);
	char *copy;

	if (v)
		return (uint32_t)(GPOINTER_TO_SIZE(v) - 1);
	copy = g_strdup(place);
	g_ptr_array_add(log->places, copy);
	g_hash_table_insert(log->place_index, copy, GSIZE_TO_POINTER(log->places->len));
	return log->places->len - 1;
}

/* A meeting's badges, all read: every registered one met every other. */
static void link_meeting(struct log *log, const uint32_t *in, size_t n, int64_t only)
{
	uint32_t meeting = (uint32_t)(log->n_meetings - 1);

	for (size_t i = 0; i < n; i++) {
		if (!log->badges[in[i]].registered || (only >= 0 && in[i] != only))
			continue;
		for (size_t j = 0; j < n; j++) {
			if (j == i || in[j] == in[i])
				continue;
			GROW(log->links, log->n_links, log->cap_links, 65536);
			log->links[log->n_links++] = (struct link){ in[i], in[j], meeting };
		}
	}
}

static int load_meetings(struct run *run, struct log *log, bool include_suspect, int64_t only)
{
	struct tm_rows *rows;
	uint32_t in[TM_MAX_BADGES_AT_ONCE * 4];
	size_t n_in = 0;
	int rc;

	if (tm_store_followup_meetings(run->walk, include_suspect, &rows) < 0)
		return -EIO;
	while ((rc = tm_rows_next(rows)) > 0) {
		int64_t id = tm_rows_int(rows, M_MEETING);
		struct meeting *m = log->n_meetings ? &log->meetings[log->n_meetings - 1] : NULL;

		if (!m || m->id != id) {
			if (m)
				link_meeting(log, in, n_in, only);
			n_in = 0;
			GROW(log->meetings, log->n_meetings, log->cap_meetings, 65536);
			m = &log->meetings[log->n_meetings++];
			m->id = id;
			snprintf(m->time, sizeof(m->time), "%s", tm_rows_text(rows, M_TIME));
			m->place = place_index(log, tm_rows_text(rows, M_PLACE));
			m->suspect = tm_rows_text(rows, M_SUSPECT)[0] != '\0';
		}
		/* More badges than a reader reports at once: not from a station. */
		if (n_in < sizeof(in) / sizeof(in[0]))
			in[n_in++] = badge_index(log, tm_rows_text(rows, M_UID));
	}
	if (rc == 0 && log->n_meetings)
		link_meeting(log, in, n_in, only);
	tm_rows_free(rows);
	return rc < 0 ? -EIO : 0;
}

static int by_link(const void *a, const void *b)
{
	const struct link *x = a, *y = b;

	if (x->rcpt != y->rcpt)
		return x->rcpt < y->rcpt ? -1 : 1;
	if (x->other != y->other)
		return x->other < y->other ? -1 : 1;
	return (x->meeting > y->meeting) - (x->meeting < y->meeting);
}

/* One recipient's links, from links[0] on, as the message needs them;
 * returns how many links were theirs. */
static size_t recipient(const struct log *log, const struct link *links, size_t n,
			struct fu_recipient *r)
{
	const struct badge *me = &log->badges[links[0].rcpt];
	size_t i;

	memset(r, 0, sizeof(*r));
	r->uid = g_strdup(me->uid);
	r->name = g_strdup(me->name);
	r->email = g_strdup(me->address);
	r->sent_id = g_strdup(me->sent_id);
	for (i = 0; i < n && links[i].rcpt == links[0].rcpt; i++) {
		const struct badge *o = &log->badges[links[i].other];
		const struct meeting *m = &log->meetings[links[i].meeting];
		struct fu_person *p = r->n_people ? &r->people[r->n_people - 1] : NULL;

		if (!p || strcmp(p->uid, o->uid)) {
			GROW(r->people, r->n_people, r->cap_people, 16);
			p = &r->people[r->n_people++];
			memset(p, 0, sizeof(*p));
			p->uid = g_strdup(o->uid);
			p->name = g_strdup(o->name);
			p->org = g_strdup(o->org);
			p->handle = g_strdup(o->handle);
			p->email = g_strdup(o->email);
			p->registered = o->registered;
			p->shared = o->shared;
		}
		GROW(p->when, p->n_when, p->cap_when, 4);
		p->when[p->n_when++] = (struct fu_when){
			.meeting = m->id,
			.time = m->time,
			.place = g_ptr_array_index(log->places, m->place),
			.suspect = m->suspect,
		};
	}
	return i;
}

static void manifest_row(struct run *run, const struct fu_recipient *r, const char *file,
			 const char *status)
{
	FILE *f = run->manifest;

	out_csv_field(f, r->uid);
	fputc(',', f);
	out_csv_field(f, r->name);
	fputc(',', f);
	out_csv_field(f, r->email);
	fprintf(f, ",%lld,", r->meetings);
	out_csv_field(f, file);
	fputc(',', f);
	out_csv_field(f, status);
	fputc('\n', f);
}

static void progress(struct run *run)
{
	if (!run->progress)
		return;
	fprintf(stderr, "\r%s %lld/%lld", run->send ? "sent" : "written", run->done,
		(long long)run->total);
	fflush(stderr);
}

/* "Name <address> (UID)" for messages about one recipient. */
static void who(const struct fu_recipient *r)
{
	out_terminal_text(stderr, r->name, 0, false);
	fputs(" <", stderr);
	out_terminal_text(stderr, r->email, 0, false);
	fprintf(stderr, "> (%s)", r->uid);
}

static int send_one(struct run *run, const struct fu_recipient *r, GMimeMessage *msg,
		    const char *id)
{
	struct tm_followup_sent rec = {
		.uid = r->uid, .rcpt = r->email, .message_id = id, .meetings = r->meetings
	};
	char why[512], status[600];

	if (fu_sendmail(run->sendmail, r->email, msg, why, sizeof(why)) < 0) {
		if (run->progress)
			fputc('\n', stderr);
		fputs("tapmeet: sending to ", stderr);
		who(r);
		fprintf(stderr,
			" failed: %s; %lld sent in this run; stopping here (run again to "
			"continue)\n",
			why, run->sent);
		snprintf(status, sizeof(status), "failed: %s", why);
		manifest_row(run, r, "", status);
		run->failed++;
		run->stopped = true;
		return -EIO;
	}
	if (tm_store_followup_record(run->c->store, &rec) < 0) {
		if (run->progress)
			fputc('\n', stderr);
		fputs("tapmeet: the message to ", stderr);
		who(r);
		fprintf(stderr,
			" was handed to the mail system but cannot be recorded (%s): stopping; "
			"a rerun would send it again\n",
			tm_store_errmsg(run->c->store));
		snprintf(status, sizeof(status), "sent, not recorded: %s",
			 tm_store_errmsg(run->c->store));
		manifest_row(run, r, "", status);
		run->sent++;
		run->failed++;
		run->stopped = true;
		return -EIO;
	}
	manifest_row(run, r, "", "sent");
	run->sent++;
	return 0;
}

static int deliver(struct run *run, struct fu_recipient *r)
{
	GMimeMessage *msg;
	char *id, file[TM_STORED_UID_SIZE + 8], path[PATH_MAX + 32];
	int rc = 0;

	fu_recipient_finish(r);
	if (!r->email[0]) {
		manifest_row(run, r, "", "no e-mail");
		run->no_email++;
		return 0;
	}
	run->done++;
	if (!fu_address_ok(r->email)) {
		manifest_row(run, r, "", "failed: not a valid e-mail address");
		run->failed++;
		progress(run);
		return 0;
	}
	if (run->send && r->sent_id && !run->resend) {
		manifest_row(run, r, "", "already sent");
		run->already++;
		progress(run);
		return 0;
	}
	/* --resend keeps the recorded id, so the copies are seen as one. */
	id = r->sent_id ? g_strdup(r->sent_id) : fu_message_id(&run->mo, r->uid);
	msg = fu_message_build(&run->mo, r, id);
	if (run->send) {
		rc = send_one(run, r, msg, id);
	} else {
		snprintf(file, sizeof(file), "%s.eml", r->uid);
		snprintf(path, sizeof(path), "%s/%s", run->dir, file);
		rc = fu_message_save(msg, path);
		if (rc < 0) {
			cli_err("cannot write %s: %s", path, strerror(-rc));
			run->failed++;
			run->stopped = true;
		} else {
			manifest_row(run, r, file, r->sent_id ? "already sent" : "written");
			run->written++;
		}
	}
	g_object_unref(msg);
	g_free(id);
	progress(run);
	return rc;
}

/* Two --send runs on one log would each find the same people not yet sent
 * to and both send to them. The first takes an flock on the database file;
 * flock and SQLite's fcntl locks do not touch each other on Linux, and the
 * lock goes with the process, however it ends. */
static int lock_sending(struct run *run)
{
	run->lock_fd = open(run->c->db_path, O_RDONLY | O_CLOEXEC);
	if (run->lock_fd < 0) {
		cli_err("%s: %s", run->c->db_path, strerror(errno));
		return EXIT_DATA;
	}
	if (flock(run->lock_fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno == EWOULDBLOCK)
		cli_err("another 'tapmeet followup --send' is sending from %s; wait for it, or "
			"stop it and run this again",
			run->c->db_path);
	else
		cli_err("%s: cannot lock: %s", run->c->db_path, strerror(errno));
	return EXIT_DATA;
}

static int walk_error(struct run *run)
{
	cli_err("database %s: followup: %s", run->c->db_path, tm_store_errmsg(run->walk));
	return EXIT_DATA;
}

static int walk(struct run *run, bool include_suspect, const char *only_uid)
{
	struct log log = { 0 };
	int64_t only = -1;
	int rc = EXIT_OK;

	log.by_uid = g_hash_table_new(g_str_hash, g_str_equal);
	log.place_index = g_hash_table_new(g_str_hash, g_str_equal);
	log.places = g_ptr_array_new_with_free_func(g_free);
	/* The registry and the meetings from one snapshot. */
	if (tm_store_read_begin(run->walk) < 0 || load_people(run, &log) < 0) {
		tm_store_read_end(run->walk);
		rc = walk_error(run);
		goto out;
	}
	if (only_uid) {
		gpointer v = g_hash_table_lookup(log.by_uid, only_uid);

		/* Registered or nobody: a badge without a name gets no message. */
		only = v ? (int64_t)GPOINTER_TO_SIZE(v) - 1 : (int64_t)UINT32_MAX;
	}
	rc = load_meetings(run, &log, include_suspect, only);
	tm_store_read_end(run->walk);
	if (rc < 0) {
		rc = walk_error(run);
		goto out;
	}
	qsort(log.links, log.n_links, sizeof(log.links[0]), by_link);
	for (size_t i = 0; i < log.n_links; i++)
		if ((i == 0 || log.links[i].rcpt != log.links[i - 1].rcpt) &&
		    log.badges[log.links[i].rcpt].address[0])
			run->total++;
	for (size_t i = 0; i < log.n_links && !run->stopped;) {
		struct fu_recipient r;

		i += recipient(&log, log.links + i, log.n_links - i, &r);
		deliver(run, &r);
		fu_recipient_clear(&r);
	}
out:
	log_free(&log);
	return rc;
}

static int open_dir(struct run *run)
{
	struct stat sb;

	if (mkdir(run->dir, 0777) < 0 && errno != EEXIST) {
		cli_err("cannot create %s: %s", run->dir, strerror(errno));
		return EXIT_DATA;
	}
	if (stat(run->dir, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		cli_err("%s is not a directory", run->dir);
		return EXIT_DATA;
	}
	snprintf(run->manifest_path, sizeof(run->manifest_path), "%s/manifest.csv", run->dir);
	snprintf(run->manifest_tmp, sizeof(run->manifest_tmp), "%s.tmp", run->manifest_path);
	run->manifest = fopen(run->manifest_tmp, "we");
	if (!run->manifest) {
		cli_err("cannot write %s: %s", run->manifest_tmp, strerror(errno));
		return EXIT_DATA;
	}
	fputs("uid,name,email,meetings,file,status\n", run->manifest);
	return EXIT_OK;
}

/* Written in full or not at all: a half manifest would read as the truth. */
static int close_manifest(struct run *run)
{
	int rc = fflush(run->manifest) == 0 && !ferror(run->manifest) ? 0 : -EIO;

	if (fclose(run->manifest) != 0)
		rc = -EIO;
	run->manifest = NULL;
	if (rc == 0 && rename(run->manifest_tmp, run->manifest_path) < 0)
		rc = -errno;
	if (rc < 0) {
		cli_err("cannot write %s: %s", run->manifest_path, strerror(-rc));
		unlink(run->manifest_tmp);
	}
	return rc;
}

static int load_template(const char *file, struct fu_template *tpl)
{
	if (file)
		return fu_template_load(file, tpl);
	if (access(INSTALLED_TEMPLATE, F_OK) == 0)
		return fu_template_load(INSTALLED_TEMPLATE, tpl);
	return fu_template_parse("(built-in template)", fu_template_default,
				 strlen(fu_template_default), tpl);
}

static void summary(const struct run *run)
{
	if (run->progress)
		fputs("\r\033[K", stderr);
	if (run->send)
		printf("followup: %lld sent, %lld already sent", run->sent, run->already);
	else
		printf("followup: %lld message%s written to %s", run->written,
		       run->written == 1 ? "" : "s", run->dir);
	printf(", %lld without an e-mail address, %lld failed; manifest %s\n", run->no_email,
	       run->failed, run->manifest_path);
	fflush(stdout);
}

/* Everything that needs GMime, between g_mime_init and g_mime_shutdown. */
static int followup(struct cli *c, struct run *run, const char *template_file,
		    const char *from, const char *only, bool include_suspect)
{
	struct fu_template tpl = { 0 };
	char uid[TM_STORED_UID_SIZE], name[1024], origin[256];
	const char *from_text;
	int rc;

	if (load_template(template_file, &tpl) < 0)
		return EXIT_DATA;
	run->mo.tpl = &tpl;
	from_text = from ? from : tpl.from;
	if (from_text[0] && !(run->mo.from = fu_address_list(from_text))) {
		rc = cli_usage_error(NULL, "--from '%s' is not an e-mail address", from_text);
		goto out;
	}
	if (tpl.reply_to[0])
		run->mo.reply_to = fu_address_list(tpl.reply_to);
	if (run->send && !run->mo.from) {
		rc = cli_usage_error(usage, "--send needs --from ADDRESS (or a From: line in the "
					    "template)");
		goto out;
	}
	if ((rc = cli_open(c, run->send)))
		goto out;
	if (run->send && (rc = lock_sending(run)))
		goto out;
	run->walk = c->store;
	if (run->send && tm_store_open_readonly(c->db_path, c->busy_ms, &run->walk) < 0) {
		rc = walk_error(run);
		goto out;
	}
	if (only) {
		if ((rc = cli_resolve_person(c, only, uid, name, sizeof(name))))
			goto out;
	}
	if (tm_store_followup_origin(run->walk, origin, sizeof(origin)) < 0) {
		rc = walk_error(run);
		goto out;
	}
	run->mo.origin = origin;
	if ((rc = open_dir(run)))
		goto out;
	rc = walk(run, include_suspect, only ? uid : NULL);
	if (close_manifest(run) < 0 && rc == EXIT_OK)
		rc = EXIT_DATA;
	summary(run);
	if (rc == EXIT_OK && (run->failed || run->stopped))
		rc = EXIT_DATA;
out:
	if (run->lock_fd >= 0)
		close(run->lock_fd);
	if (run->walk != c->store)
		tm_store_close(run->walk);
	if (run->manifest) {
		fclose(run->manifest);
		unlink(run->manifest_tmp);
	}
	if (run->mo.from)
		g_object_unref(run->mo.from);
	if (run->mo.reply_to)
		g_object_unref(run->mo.reply_to);
	fu_template_free(&tpl);
	return rc;
}

int cmd_followup(struct cli *c, int argc, char **argv)
{
	struct run run = { .c = c, .dir = "followup", .lock_fd = -1 };
	const char *template_file = NULL, *from = NULL, *only = NULL, *sendmail = NULL;
	bool include_suspect = false, show_template = false;
	const struct cli_opt opts[] = {
		{ "out", 'o', CLI_OPT_TEXT, NULL, &run.dir },
		{ "send", 0, CLI_OPT_FLAG, &run.send, NULL },
		{ "resend", 0, CLI_OPT_FLAG, &run.resend, NULL },
		{ "template", 0, CLI_OPT_TEXT, NULL, &template_file },
		{ "event", 0, CLI_OPT_TEXT, NULL, &run.mo.event },
		{ "from", 0, CLI_OPT_TEXT, NULL, &from },
		{ "sendmail", 0, CLI_OPT_TEXT, NULL, &sendmail },
		{ "only", 0, CLI_OPT_TEXT, NULL, &only },
		{ "include-suspect", 0, CLI_OPT_FLAG, &include_suspect, NULL },
		{ "show-template", 0, CLI_OPT_FLAG, &show_template, NULL },
		{ 0 },
	};
	GError *err = NULL;
	int first, rc;

	if ((rc = cli_options(c, argc, argv, opts, usage, &first)) >= 0)
		return rc;
	if (first != argc)
		return cli_usage_error(usage, "unexpected argument '%s'", argv[first]);
	if (show_template) {
		fputs(fu_template_default, stdout);
		return fflush(stdout) == 0 ? EXIT_OK : EXIT_DATA;
	}
	if (run.resend && !run.send)
		return cli_usage_error(usage, "--resend goes with --send");
	if (!run.send && sendmail)
		return cli_usage_error(usage, "--sendmail goes with --send");
	if (!run.mo.event)
		run.mo.event = "the event";
	if (!g_shell_parse_argv(sendmail ? sendmail : DEFAULT_SENDMAIL, NULL, &run.sendmail,
				&err)) {
		rc = cli_usage_error(usage, "--sendmail '%s': %s", sendmail, err->message);
		g_error_free(err);
		return rc;
	}
	run.progress = isatty(STDERR_FILENO);
	/* A sendmail that dies mid-message must not kill tapmeet: its exit
	 * status says what happened. */
	if (run.send)
		signal(SIGPIPE, SIG_IGN);
	g_mime_init();
	rc = followup(c, &run, template_file, from, only, include_suspect);
	g_mime_shutdown();
	g_strfreev(run.sendmail);
	return rc;
}
