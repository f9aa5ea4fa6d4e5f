/* What every harness shares: the input as a C string, and a failed
 * property reported the way libFuzzer keeps it (abort, so the input that
 * led to it is saved as a crash), written to file descriptor 2 itself, as
 * the sanitizers write, since a harness may silence the stderr stream. */
#ifndef TAPMEET_FUZZ_H
#define TAPMEET_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_ASSERT(cond, ...)                                                       \
	do {                                                                         \
		if (!(cond)) {                                                       \
			dprintf(2, "%s:%d: property failed: %s: ", __FILE__, __LINE__, #cond); \
			dprintf(2, __VA_ARGS__);                                     \
			dprintf(2, "\n");                                            \
			abort();                                                     \
		}                                                                    \
	} while (0)

/* A NUL-terminated copy of the input; the caller frees it. */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
