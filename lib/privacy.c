/* HMAC comes from libcrypto rather than a local SHA-256: a keyed hash is only
 * as good as its implementation, and OpenSSL's is reviewed and constant-time. */
#include "tapmeet/privacy.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#define TRUNCATED_BYTES 10

static bool is_upper_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	return true;
}

int tm_privacy_uid(const char *key, const char *uid_hex, char out[TM_PRIVACY_UID_SIZE])
{
	static const char digits[] = "0123456789ABCDEF";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	size_t n;

	if (!uid_hex)
		return -EINVAL;
	n = strlen(uid_hex);
	if (n == 0 || n > 2 * TRUNCATED_BYTES || n % 2 || !is_upper_hex(uid_hex, n))
		return -EINVAL;
	if (!key || !key[0]) {
		memcpy(out, uid_hex, n + 1);
		return 0;
	}
	if (strlen(key) < TM_PRIVACY_KEY_MIN)
		return -EINVAL;
	if (!HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)uid_hex, n, md,
		  &md_len) ||
	    md_len < TRUNCATED_BYTES)
		return -EIO;
	for (size_t i = 0; i < TRUNCATED_BYTES; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[2 * TRUNCATED_BYTES] = '\0';
	return 0;
}
