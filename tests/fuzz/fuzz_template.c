/* The follow-up message template (cli/followup_template.c): any file either
 * parses into a Subject and a body whose placeholders all expand, or is
 * refused with a message. */
#include <errno.h>
#include <stdbool.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "followup.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	g_mime_init();
	/* The parser prints each error as FILE:LINE: message to the stderr
	 * stream: pointed elsewhere, while libFuzzer and the sanitizers still
	 * report on file descriptor 2. */
	stderr = fopen("/dev/null", "w");
	if (!stderr)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fu_template t;
	struct fu_values v = { .name = "Ada {name}", .event = "Conf}", .count = 3, .meetings = -1,
			       .people = "- Grace\n" };
	char *text;
	int rc;

	if (size > 64 * 1024)
		return 0;
	text = fuzz_string(data, size);
	rc = fu_template_parse("fuzz.txt", text, size, &t);
	if (rc == 0) {
		char *subject = fu_expand(t.subject, &v), *body = fu_expand(t.body, &v);

		FUZZ_ASSERT(t.subject[0] && t.from && t.reply_to, "parsed without its parts");
		FUZZ_ASSERT(subject && body, "expand");
		g_free(subject);
		g_free(body);
		fu_template_free(&t);
	} else {
		FUZZ_ASSERT(rc == -EINVAL || rc == -ENOMEM, "rc %d", rc);
		FUZZ_ASSERT(!t.subject && !t.body, "refused but kept its parts");
	}
	free(text);
	return 0;
}
