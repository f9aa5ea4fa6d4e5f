/* Badge UIDs, as typed, read from an attendee file or from the database:
 * tm_badge_parse_uid, tm_identity_parse (no key) and
 * tm_identity_from_stored. A UID that parses has one canonical form, which
 * parses back to the same badge. */
#include <errno.h>
#include <stdbool.h>

#include "fuzz.h"
#include "tapmeet/badge.h"
#include "tapmeet/identity.h"
#include "tapmeet/log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	tm_log_set_level(-1);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tm_identity id;
	struct tm_badge b, again, stored;
	char hex[TM_UID_HEX_SIZE], canon[TM_UID_HEX_SIZE];
	char *text;
	int rc;

	if (size > 512)
		return 0;
	text = fuzz_string(data, size);
	FUZZ_ASSERT(tm_identity_init(&id, NULL) == 0, "identity without a key");

	memset(&b, 0, sizeof(b));
	rc = tm_badge_parse_uid(&b, text);
	FUZZ_ASSERT(rc == 0 || rc == -EINVAL, "rc %d", rc);
	if (rc == 0) {
		FUZZ_ASSERT(b.uid_len == 4 || b.uid_len == 7 || b.uid_len == 10, "length %u",
			    b.uid_len);
		FUZZ_ASSERT(b.random == tm_badge_random_uid(&b), "random flag");
		tm_badge_uid_hex(&b, hex);
		FUZZ_ASSERT(tm_uid_hex_is_canonical(hex), "'%s' not canonical", hex);
		memset(&again, 0, sizeof(again));
		FUZZ_ASSERT(tm_badge_parse_uid(&again, hex) == 0 && tm_badge_same(&b, &again),
			    "'%s' does not parse back", hex);
		(void)tm_badge_reject_reason(&b);
	}

	rc = tm_identity_parse(&id, text, canon);
	FUZZ_ASSERT(rc == 0 || rc == -EINVAL, "identity rc %d", rc);
	FUZZ_ASSERT((rc == 0) == (tm_badge_parse_uid(&again, text) == 0),
		    "tm_identity_parse and tm_badge_parse_uid disagree");
	if (rc == 0) {
		FUZZ_ASSERT(strcmp(canon, hex) == 0, "'%s' vs '%s'", canon, hex);
		FUZZ_ASSERT(tm_identity_from_stored(canon, &stored) == 0 && tm_badge_same(&stored, &b),
			    "stored form '%s' does not read back", canon);
	}

	rc = tm_identity_from_stored(text, &stored);
	FUZZ_ASSERT(rc == 0 || rc == -EINVAL, "from_stored rc %d", rc);
	if (rc == 0) {
		tm_badge_uid_hex(&stored, hex);
		FUZZ_ASSERT(tm_uid_hex_is_canonical(hex), "stored '%s' not canonical", hex);
	}
	if (tm_uid_hex_is_canonical(text))
		FUZZ_ASSERT(rc == 0 && strcmp(text, hex) == 0, "canonical '%s' refused as stored", text);
	free(text);
	return 0;
}
