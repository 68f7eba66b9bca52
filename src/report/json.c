// SPDX-License-Identifier: MIT
/*
 * JSON text for --progress=json and --summary=json: every string pcopy emits
 * is valid JSON whatever bytes a file name holds.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcopy/json.h"
#include "pcopy/util.h"

void json_buf_init(struct json_buf *b)
{
	b->cap = 64;
	b->buf = xmalloc(b->cap);
	b->buf[0] = '\0';
	b->len = 0;
}

void json_buf_release(struct json_buf *b)
{
	free(b->buf);
	b->buf = NULL;
	b->len = b->cap = 0;
}

void json_buf_reset(struct json_buf *b)
{
	b->len = 0;
	b->buf[0] = '\0';
}

/* Make room for @extra more bytes plus the NUL. */
static void json_grow(struct json_buf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	while (b->len + extra + 1 > b->cap)
		b->cap *= 2;
	b->buf = xrealloc(b->buf, b->cap);
}

void json_add(struct json_buf *b, const char *s, size_t n)
{
	json_grow(b, n);
	memcpy(b->buf + b->len, s, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

void json_adds(struct json_buf *b, const char *s)
{
	json_add(b, s, strlen(s));
}

void json_addf(struct json_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= b->cap - b->len) {
		json_grow(b, n);
		va_start(ap, fmt);
		vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += n;
}

/* Length of the valid UTF-8 sequence at @s (at most @n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0], min;
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, min = 0x80, c &= 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, min = 0x800, c &= 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, min = 0x10000, c &= 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return len;
}

bool json_utf8_valid(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, len;

	while (i < n) {
		len = utf8_len(u + i, n - i);
		if (!len)
			return false;
		i += len;
	}
	return true;
}

/* Append the escape for ASCII byte @c, or return false if it needs none. */
static bool json_add_escape(struct json_buf *b, unsigned char c)
{
	switch (c) {
	case '"':
		json_add(b, "\\\"", 2);
		return true;
	case '\\':
		json_add(b, "\\\\", 2);
		return true;
	case '\b':
		json_add(b, "\\b", 2);
		return true;
	case '\f':
		json_add(b, "\\f", 2);
		return true;
	case '\n':
		json_add(b, "\\n", 2);
		return true;
	case '\r':
		json_add(b, "\\r", 2);
		return true;
	case '\t':
		json_add(b, "\\t", 2);
		return true;
	}
	/* DEL is legal raw JSON, but escaped it cannot upset a terminal. */
	if (c < 0x20 || c == 0x7f) {
		json_addf(b, "\\u%04x", c);
		return true;
	}
	return false;
}

bool json_add_string(struct json_buf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	bool valid = true;
	size_t i = 0, len;

	json_grow(b, n + 2);
	json_add(b, "\"", 1);
	while (i < n) {
		len = utf8_len(u + i, n - i);
		if (!len) {
			json_add(b, "\xef\xbf\xbd", 3); /* U+FFFD */
			valid = false;
			i++;
			continue;
		}
		if (len > 1 || !json_add_escape(b, u[i]))
			json_add(b, s + i, len);
		i += len;
	}
	json_add(b, "\"", 1);
	return valid;
}

void json_add_base64(struct json_buf *b, const void *data, size_t n)
{
	static const char digits[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *d = data;
	char out[4];
	size_t i;

	json_grow(b, (n + 2) / 3 * 4);
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8 | d[i + 2];

		out[0] = digits[v >> 18];
		out[1] = digits[(v >> 12) & 63];
		out[2] = digits[(v >> 6) & 63];
		out[3] = digits[v & 63];
		json_add(b, out, 4);
	}
	if (i < n) {
		uint32_t v = (uint32_t)d[i] << 16 | (i + 1 < n ? (uint32_t)d[i + 1] << 8 : 0);

		out[0] = digits[v >> 18];
		out[1] = digits[(v >> 12) & 63];
		out[2] = i + 1 < n ? digits[(v >> 6) & 63] : '=';
		out[3] = '=';
		json_add(b, out, 4);
	}
}

void json_add_path(struct json_buf *b, const char *key, const char *path)
{
	size_t n;

	json_addf(b, "\"%s\":", key);
	if (!path) {
		json_adds(b, "null");
		return;
	}
	n = strlen(path);
	if (json_add_string(b, path, n))
		return;
	json_addf(b, ",\"%s_b64\":\"", key);
	json_add_base64(b, path, n);
	json_add(b, "\"", 1);
}
