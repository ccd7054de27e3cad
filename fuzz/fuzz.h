/*
 * fuzz.h — shared by the fuzz targets (libFuzzer) and replay.c (plain gcc).
 *
 * Each target defines LLVMFuzzerTestOneInput and checks invariants with
 * FUZZ_CHECK: a broken invariant aborts, which both libFuzzer and the replay
 * runner report as a failure, like a sanitizer finding.
 */
#ifndef WXA_FUZZ_H
#define WXA_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond) \
	do { \
		if (!(cond)) \
		{ \
			fprintf(stderr, "invariant broken at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			abort(); \
		} \
	} while (0)

/* A NUL-terminated copy of n bytes (the input may hold NULs of its own). */
static inline char *
fuzz_strndup(const uint8_t *data, size_t n)
{
	char	   *s = malloc(n + 1);

	FUZZ_CHECK(s != NULL);
	if (n > 0)
		memcpy(s, data, n);
	s[n] = '\0';
	return s;
}

/*
 * Split the input at NUL bytes into at most max strings (copies; missing ones
 * are NULL). Returns how many there are; free each with free().
 */
static inline int
fuzz_split(const uint8_t *data, size_t size, char **parts, int max)
{
	int			n = 0;
	size_t		start = 0;

	for (int i = 0; i < max; i++)
		parts[i] = NULL;
	while (n < max && start <= size)
	{
		const uint8_t *nul = size > start ? memchr(data + start, '\0', size - start) : NULL;
		size_t		end = nul ? (size_t) (nul - data) : size;

		/* the last part takes the rest, NULs and all (truncated at the first by C) */
		if (n == max - 1)
			end = size;
		parts[n++] = fuzz_strndup(data + start, end - start);
		if (nul == NULL || n == max)
			break;
		start = end + 1;
	}
	return n;
}

/*
 * No credential survives scrubbing (wxa_redact): every name= in the text is
 * followed by stars, a delimiter or the end.
 */
static inline void
fuzz_check_scrubbed(const char *text, const char *name)
{
	const char *p = text;

	while ((p = strstr(p, name)) != NULL)
	{
		char		c;

		p += strlen(name);
		c = *p;
		FUZZ_CHECK(c == '*' || c == '\0' || c == '&' || c == ' ' || c == '"' ||
				   c == '\'' || c == '\n');
	}
}

/* Little readers that return 0 past the end, so any input decodes. */
typedef struct FuzzReader
{
	const uint8_t *data;
	size_t		size;
	size_t		pos;
} FuzzReader;

static inline unsigned
fuzz_u8(FuzzReader *r)
{
	return r->pos < r->size ? r->data[r->pos++] : 0;
}

static inline unsigned
fuzz_u16(FuzzReader *r)
{
	unsigned	hi = fuzz_u8(r);

	return hi << 8 | fuzz_u8(r);
}

static inline unsigned long
fuzz_u24(FuzzReader *r)
{
	unsigned long hi = fuzz_u8(r);

	return hi << 16 | fuzz_u16(r);
}

static inline int
fuzz_left(const FuzzReader *r)
{
	return r->pos < r->size;
}

#endif
