/* Badge identity: the stored form, with and without a key, and failing
 * closed when libcrypto cannot compute the keyed hash. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "tapmeet/identity.h"

#define KEY "correct horse battery staple"
/* A known answer, from Python's hmac module (the CLI tests recompute it at
 * run time; the unit tests also run where Python is not installed):
 * python3 -c 'import hmac, hashlib; print(hmac.new(b"correct horse battery
 * staple", b"04A1B2C3D4E5F6", hashlib.sha256).hexdigest()[:20].upper())' */
#define KEYED_04A1B2C3D4E5F6 "034677465E59072BE2B0"

static void without_a_key_the_uid_is_stored(void **state)
{
	struct tm_identity id;
	char out[TM_UID_HEX_SIZE];

	(void)state;
	assert_int_equal(tm_identity_init(&id, ""), 0);
	assert_false(id.keyed);
	assert_int_equal(tm_identity_parse(&id, "04 a1 b2 c3", out), 0);
	assert_string_equal(out, "04A1B2C3");
	assert_int_equal(tm_identity_parse(&id, "04A1", out), -EINVAL);
}

static void with_a_key_only_the_hash_is_stored(void **state)
{
	struct tm_identity id;
	struct tm_badge raw, stored, back;
	char out[TM_UID_HEX_SIZE], again[TM_UID_HEX_SIZE];

	(void)state;
	assert_int_equal(tm_identity_init(&id, KEY), 0);
	assert_int_equal(tm_identity_parse(&id, "04:A1:B2:C3:D4:E5:F6", out), 0);
	assert_string_equal(out, KEYED_04A1B2C3D4E5F6);
	assert_string_not_equal(out, "04A1B2C3D4E5F6");
	/* A stored form read back is not hashed a second time. */
	assert_int_equal(tm_identity_from_stored(out, &back), 0);
	tm_badge_uid_hex(&back, again);
	assert_string_equal(again, out);
	/* The same badge from a reader gives the same form. */
	assert_int_equal(tm_badge_parse_uid(&raw, "04A1B2C3D4E5F6"), 0);
	assert_int_equal(tm_identity_badge(&id, &raw, &stored), 0);
	assert_true(tm_badge_same(&stored, &back));
}

static void a_random_uid_stays_random_after_hashing(void **state)
{
	struct tm_identity id;
	struct tm_badge raw, stored;

	(void)state;
	assert_int_equal(tm_identity_init(&id, KEY), 0);
	assert_int_equal(tm_badge_parse_uid(&raw, "08123456"), 0);
	assert_int_equal(tm_identity_badge(&id, &raw, &stored), 0);
	assert_int_equal(stored.uid_len, 10); /* no longer looks like 08xxxxxx */
	assert_true(stored.random);
	assert_non_null(tm_badge_reject_reason(&stored));
	assert_int_equal(tm_badge_parse_uid(&raw, "04123456"), 0);
	assert_int_equal(tm_identity_badge(&id, &raw, &stored), 0);
	assert_null(tm_badge_reject_reason(&stored));
}

static void short_keys_are_refused(void **state)
{
	struct tm_identity id;

	(void)state;
	assert_int_equal(tm_identity_init(&id, "short"), -EINVAL);
}

/* The child's side of the next test, in a fresh process (OpenSSL reads its
 * configuration once, at its first use). */
static int fips_child(void)
{
	struct tm_identity id;
	struct tm_badge raw, out;
	char hex[TM_UID_HEX_SIZE] = "untouched";

	if (tm_identity_init(&id, KEY) != -EIO)
		return 1;
	/* And at a tap, should the library fail later: nothing raw comes out. */
	memset(&id, 0, sizeof(id));
	id.keyed = true;
	snprintf(id.key, sizeof(id.key), "%s", KEY);
	tm_badge_parse_uid(&raw, "04A1B2C3");
	memset(&out, 0xAA, sizeof(out));
	if (tm_identity_badge(&id, &raw, &out) != -EIO || out.uid[0] != 0xAA)
		return 2;
	if (tm_identity_parse(&id, "04A1B2C3", hex) != -EIO || strcmp(hex, "untouched"))
		return 3;
	return 0;
}

/* OpenSSL configured to allow FIPS algorithms only, without a FIPS
 * provider, cannot compute HMAC-SHA-256: the real library failing, not a
 * stand-in. OpenSSL reads its configuration once, at its first use, so the
 * child is forked in main() before any test has used it (no exec: the tests
 * also run under qemu-user, where exec of the test binary is not given). */
static int fips_status = -1;

static void run_fips_child(void)
{
	char conf[] = "/tmp/tapmeet-fips-XXXXXX";
	int fd = mkstemp(conf), status;
	pid_t pid;

	if (fd < 0 || getenv("TAPMEET_TEST_QEMU_USER"))
		return;
	dprintf(fd, "openssl_conf = init\n[init]\nalg_section = algs\n[algs]\n"
		    "default_properties = fips=yes\n");
	close(fd);
	pid = fork();
	if (pid == 0) {
		setenv("OPENSSL_CONF", conf, 1);
		_exit(fips_child());
	}
	if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status))
		fips_status = WEXITSTATUS(status);
	unlink(conf);
}

static void a_hash_that_cannot_be_computed_fails_closed(void **state)
{
	(void)state;
	if (getenv("TAPMEET_TEST_QEMU_USER"))
		skip(); /* packaging/cross-arm64.sh: qemu-user cannot fork there */
	assert_int_equal(fips_status, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(without_a_key_the_uid_is_stored),
		cmocka_unit_test(with_a_key_only_the_hash_is_stored),
		cmocka_unit_test(a_random_uid_stays_random_after_hashing),
		cmocka_unit_test(short_keys_are_refused),
		cmocka_unit_test(a_hash_that_cannot_be_computed_fails_closed),
	};

	run_fips_child();
	return cmocka_run_group_tests_name("identity", tests, NULL, NULL);
}
