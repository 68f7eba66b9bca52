/* SPDX-License-Identifier: MIT */
/*
 * Building JSON text: a growing buffer, string escaping that always yields
 * valid JSON (invalid UTF-8 becomes U+FFFD), and base64 for exact bytes.
 */
#ifndef PCOPY_JSON_H
#define PCOPY_JSON_H

#include <stdbool.h>
#include <stddef.h>

/* A growing, always NUL-terminated byte string. */
struct json_buf {
	char *buf;  /* owned; "" until something is added */
	size_t len; /* bytes used, not counting the NUL */
	size_t cap; /* bytes allocated */
};

void json_buf_init(struct json_buf *b);
void json_buf_release(struct json_buf *b);
/* Forget the contents, keep the allocation. */
void json_buf_reset(struct json_buf *b);

/* Append raw bytes / a C string / printf output (no escaping). */
void json_add(struct json_buf *b, const char *s, size_t n);
void json_adds(struct json_buf *b, const char *s);
__attribute__((format(printf, 2, 3))) void json_addf(struct json_buf *b, const char *fmt, ...);

/* True when @s[0..n) is valid UTF-8 (no overlongs, surrogates, > U+10FFFF). */
bool json_utf8_valid(const char *s, size_t n);

/*
 * Append @s[0..n) as a JSON string literal, quotes included: '"' and '\'
 * are escaped, control characters become \n or \u00XX, and each byte that
 * is not part of valid UTF-8 becomes U+FFFD. Returns false when such a
 * replacement happened (the text was not valid UTF-8).
 */
bool json_add_string(struct json_buf *b, const char *s, size_t n);

/* Append the standard base64 (RFC 4648, padded) of @data[0..n), no quotes. */
void json_add_base64(struct json_buf *b, const void *data, size_t n);

/*
 * Append "@key":"<path>" and, when @path is not valid UTF-8, also
 * ,"@key_b64":"<base64 of the exact bytes>". A NULL @path gives "@key":null.
 */
void json_add_path(struct json_buf *b, const char *key, const char *path);

#endif /* PCOPY_JSON_H */
