/* HMAC comes from libcrypto rather than a local SHA-256: a keyed hash is only
 * as good as its implementation, and OpenSSL's is reviewed and constant-time.
 *
 * libcrypto is loaded when a key is configured rather than linked: most
 * stations run without [privacy] uid_key, and linking it cost every one of
 * them 1.4 MiB of resident memory (its relocations and tables) for nothing. */
#include "tapmeet/identity.h"

#include <dlfcn.h>
#include <errno.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "tapmeet/log.h"

#define HASH_BYTES TM_UID_MAX_BYTES
/* OpenSSL 3, in bookworm and trixie alike (package libssl3 / libssl3t64). */
#define LIBCRYPTO_SONAME "libcrypto.so.3"

static struct {
	void *handle;
	typeof(&HMAC) hmac;
	typeof(&EVP_sha256) sha256;
} crypto;

/* Loaded once per process and kept: a key is for the process's lifetime. */
static int load_libcrypto(void)
{
	if (crypto.handle)
		return 0;
	crypto.handle = dlopen(LIBCRYPTO_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!crypto.handle) {
		tm_err("event=libcrypto-missing error=\"[privacy] uid_key needs %s: %s\"", LIBCRYPTO_SONAME, dlerror());
		return -ENOENT;
	}
	*(void **)&crypto.hmac = dlsym(crypto.handle, "HMAC");
	*(void **)&crypto.sha256 = dlsym(crypto.handle, "EVP_sha256");
	if (!crypto.hmac || !crypto.sha256) {
		tm_err("event=libcrypto-missing error=\"%s lacks HMAC or EVP_sha256\"", LIBCRYPTO_SONAME);
		dlclose(crypto.handle);
		crypto.handle = NULL;
		return -ENOENT;
	}
	return 0;
}

static int keyed_hash(const struct tm_identity *id, const struct tm_badge *raw,
		      uint8_t out[HASH_BYTES])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	char hex[TM_UID_HEX_SIZE];

	tm_badge_uid_hex(raw, hex);
	if (!crypto.hmac(crypto.sha256(), id->key, (int)strlen(id->key), (const unsigned char *)hex,
			 strlen(hex), md, &md_len) ||
	    md_len < HASH_BYTES)
		return -EIO;
	memcpy(out, md, HASH_BYTES);
	return 0;
}

int tm_identity_init(struct tm_identity *id, const char *key)
{
	struct tm_badge probe;
	uint8_t hash[HASH_BYTES];
	size_t n = key ? strlen(key) : 0;

	memset(id, 0, sizeof(*id));
	if (n == 0)
		return 0;
	if (n < TM_IDENTITY_KEY_MIN || n > TM_IDENTITY_KEY_MAX)
		return -EINVAL;
	if (load_libcrypto() < 0)
		return -EIO;
	memcpy(id->key, key, n + 1);
	id->keyed = true;
	tm_badge_parse_uid(&probe, "04000000");
	return keyed_hash(id, &probe, hash);
}

int tm_identity_badge(const struct tm_identity *id, const struct tm_badge *raw,
		      struct tm_badge *out)
{
	struct tm_badge b = *raw;

	b.random = tm_badge_random_uid(raw);
	if (id->keyed) {
		if (keyed_hash(id, raw, b.uid) < 0)
			return -EIO;
		b.uid_len = HASH_BYTES;
	}
	*out = b;
	return 0;
}

int tm_identity_parse(const struct tm_identity *id, const char *text, char out[TM_UID_HEX_SIZE])
{
	struct tm_badge raw, stored;
	int rc;

	if (tm_badge_parse_uid(&raw, text) < 0)
		return -EINVAL;
	rc = tm_identity_badge(id, &raw, &stored);
	if (rc < 0)
		return rc;
	tm_badge_uid_hex(&stored, out);
	return 0;
}

int tm_identity_from_stored(const char *stored, struct tm_badge *out)
{
	return tm_badge_parse_uid(out, stored);
}
