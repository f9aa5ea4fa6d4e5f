/* tapmeet followup's parts, private to cli/: the message template
 * (followup_template.c), one recipient's message built with GMime
 * (followup_message.c) and its hand-off to the system's sendmail
 * (followup_send.c). cmd_followup.c walks the log and ties them together. */
#ifndef TAPMEET_CLI_FOLLOWUP_H
#define TAPMEET_CLI_FOLLOWUP_H

#include <gmime/gmime.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* --- the template ----------------------------------------------------------- */

struct fu_template {
	char *subject;  /* with placeholders */
	char *from;     /* "" when the template gives none */
	char *reply_to; /* "" when none */
	char *body;     /* with placeholders */
};

/* The built-in template, the same text as etc/followup.txt. */
extern const char fu_template_default[];

/* Parses a template: header lines (Subject: required, From: and Reply-To:
 * optional), a blank line, the body. Every error is printed as
 * FILE:LINE: message; returns 0, -EINVAL after printing, or -ENOMEM. */
int fu_template_parse(const char *file, const char *text, size_t len, struct fu_template *t);
/* Reads and parses FILE. */
int fu_template_load(const char *file, struct fu_template *t);
void fu_template_free(struct fu_template *t);

/* The values of the placeholders for one message. */
struct fu_values {
	const char *name;   /* {name}: the recipient's */
	const char *event;  /* {event} */
	long long count;    /* {count}: people met */
	long long meetings; /* {meetings} */
	const char *people; /* {people}: the listing */
};
/* The text with its placeholders replaced ({{ and }} give { and }); the
 * caller frees it with g_free. */
char *fu_expand(const char *text, const struct fu_values *v);

/* --- one recipient ---------------------------------------------------------- */

struct fu_when {
	int64_t meeting; /* unique to the meeting */
	const char *time, *place; /* owned by the caller */
	bool suspect;
};

/* Someone the recipient met. handle and email are "" unless they shared
 * them (the store applies the consent rule). */
struct fu_person {
	char *uid, *name, *org, *handle, *email;
	bool registered, shared;
	struct fu_when *when;
	size_t n_when, cap_when;
	char *sort_key;
};

struct fu_recipient {
	char *uid, *name, *email, *sent_id;
	struct fu_person *people;
	size_t n_people, cap_people;
	long long meetings; /* distinct meetings listed */
};

void fu_recipient_clear(struct fu_recipient *r);

/* --- the message ------------------------------------------------------------ */

struct fu_message_opts {
	const struct fu_template *tpl;
	const char *event;
	InternetAddressList *from;     /* NULL: no From header (a dry run) */
	InternetAddressList *reply_to; /* NULL: none */
	const char *origin;            /* tm_store_followup_origin */
};

/* Orders the people by name (the unregistered last) and counts the
 * distinct meetings: call once, before building. */
void fu_recipient_finish(struct fu_recipient *r);

/* The Message-ID (without angle brackets) of uid's follow-up: the same for
 * the same log, recipient and sender domain on every run. g_free it. */
char *fu_message_id(const struct fu_message_opts *o, const char *uid);

/* Sender addresses (From:, Reply-To:, --from): one or more mailboxes, each
 * with an '@'; NULL when the text is not that. g_object_unref it. */
InternetAddressList *fu_address_list(const char *text);

/* An address a message may be sent to: one mailbox, local@domain, nothing
 * a sendmail command line could take for an option. */
bool fu_address_ok(const char *addr);

/* The message for r, or NULL when out of memory; g_object_unref it. */
GMimeMessage *fu_message_build(const struct fu_message_opts *o, const struct fu_recipient *r,
			       const char *message_id);

/* Writes the message to PATH atomically (a temporary file renamed). */
int fu_message_save(GMimeMessage *msg, const char *path);

/* --- the hand-off ------------------------------------------------------------ */

/* Runs `argv... -i RCPT` with the message on its standard input and waits
 * for it. 0 when it exited 0; otherwise a negative errno and why in words. */
int fu_sendmail(char *const *argv, const char *rcpt, GMimeMessage *msg, char *why, size_t size);

#endif
