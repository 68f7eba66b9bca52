// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for everything that parses user input: sizes and
 * numbers (--chunk-size, -j, --queue-depth), --exclude patterns against
 * paths, and the quoting/JSON escaping of arbitrary file names. The first
 * byte picks the target; no input may crash, hang or trip a sanitizer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pcopy/exclude.h"
#include "pcopy/json.h"
#include "pcopy/quote.h"
#include "pcopy/size.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated copy of @n bytes of @p. */
static char *cstr(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);

	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

static void fuzz_exclude(const uint8_t *data, size_t size)
{
	const uint8_t *split = memchr(data, '\n', size);
	size_t pat_len = split ? (size_t)(split - data) : size;
	char *pattern = cstr(data, pat_len);
	char *path = split ? cstr(split + 1, size - pat_len - 1) : strdup("a/b/c");
	const char *patterns[] = { pattern };
	struct exclude_set *set = exclude_new(patterns, 1);
	const char *name = strrchr(path, '/');

	exclude_match(set, path, name ? name + 1 : path, size & 1);
	exclude_free(&set);
	free(pattern);
	free(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_buf b;
	uint64_t v64;
	unsigned v;
	char *s;

	if (size < 1)
		return 0;
	s = cstr(data + 1, size - 1);
	switch (data[0] % 4) {
	case 0:
		size_parse(s, &v64);
		break;
	case 1:
		uint_parse(s, 1, 4096, &v);
		break;
	case 2:
		fuzz_exclude(data + 1, size - 1);
		break;
	case 3:
		free(quote_name(s, size & 1));
		json_buf_init(&b);
		json_add_path(&b, "path", s);
		json_add_string(&b, (const char *)data + 1, size - 1);
		json_buf_release(&b);
		break;
	}
	free(s);
	return 0;
}
