// SPDX-License-Identifier: MIT
/*
 * Unit tests for json.c: string escaping (quotes, control characters,
 * invalid UTF-8), base64, path fields; every output checked by a strict
 * JSON string parser written here, on fixed and random inputs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcopy/json.h"

static int failures;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("FAIL %s:%d: ", __FILE__, __LINE__);                                \
			printf(__VA_ARGS__);                                                       \
			putchar('\n');                                                             \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

/* Append code point @cp to @out as UTF-8; returns bytes written. */
static size_t utf8_put(char *out, unsigned cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Four hex digits at @s, or -1. */
static long hex4(const char *s)
{
	long v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		if (hexval(s[i]) < 0)
			return -1;
		v = v * 16 + hexval(s[i]);
	}
	return v;
}

/*
 * Parse the JSON string literal that is all of @s (RFC 8259: no raw
 * control characters, only the defined escapes, valid UTF-8) into @out.
 * Returns the decoded length, or -1 when @s is not exactly one string.
 */
static long parse_json_string(const char *s, char *out)
{
	size_t i = 1, o = 0;
	long cp, lo;

	if (s[0] != '"' || !json_utf8_valid(s, strlen(s)))
		return -1;
	for (;;) {
		unsigned char c = (unsigned char)s[i++];

		if (c == '"')
			return s[i] ? -1 : (long)o;
		if (c < 0x20)
			return -1;
		if (c != '\\') {
			out[o++] = (char)c;
			continue;
		}
		c = (unsigned char)s[i++];
		switch (c) {
		case '"':
		case '\\':
		case '/':
			out[o++] = (char)c;
			continue;
		case 'b':
			out[o++] = '\b';
			continue;
		case 'f':
			out[o++] = '\f';
			continue;
		case 'n':
			out[o++] = '\n';
			continue;
		case 'r':
			out[o++] = '\r';
			continue;
		case 't':
			out[o++] = '\t';
			continue;
		case 'u':
			break;
		default:
			return -1;
		}
		cp = hex4(s + i);
		if (cp < 0)
			return -1;
		i += 4;
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (s[i] != '\\' || s[i + 1] != 'u' || (lo = hex4(s + i + 2)) < 0xdc00 ||
			    lo > 0xdfff)
				return -1;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			i += 6;
		}
		o += utf8_put(out + o, (unsigned)cp);
	}
}

/* Escape @in (@n bytes); check validity, round trip and the return value. */
static void check_string(const char *in, size_t n, const char *want)
{
	struct json_buf b;
	char *dec = malloc(n * 3 + 8);
	bool valid = json_utf8_valid(in, n), ret;
	long len;

	json_buf_init(&b);
	ret = json_add_string(&b, in, n);
	len = parse_json_string(b.buf, dec);
	CHECK(len >= 0, "not a valid JSON string: %s", b.buf);
	CHECK(ret == valid, "json_add_string returned %d for valid=%d", ret, valid);
	if (valid && len >= 0)
		CHECK((size_t)len == n && !memcmp(dec, in, n), "round trip lost bytes: %s", b.buf);
	if (want)
		CHECK(!strcmp(b.buf, want), "got [%s], want [%s]", b.buf, want);
	json_buf_release(&b);
	free(dec);
}

static void test_escaping(void)
{
	check_string("", 0, "\"\"");
	check_string("plain", 5, "\"plain\"");
	check_string("a\"b\\c/d", 7, "\"a\\\"b\\\\c/d\"");
	check_string("\n\r\t\b\f", 5, "\"\\n\\r\\t\\b\\f\"");
	check_string("\x01\x1f\x7f", 3, "\"\\u0001\\u001f\\u007f\"");
	check_string("caf\xc3\xa9 \xf0\x9f\x98\x80", 10, "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
	/* Invalid UTF-8: a lone byte, overlong, surrogate, truncated, > U+10FFFF. */
	check_string("a\xff"
		     "b",
		     3,
		     "\"a\xef\xbf\xbd"
		     "b\"");
	check_string("\xc0\x80", 2, "\"\xef\xbf\xbd\xef\xbf\xbd\"");
	check_string("\xed\xa0\x80", 3, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
	check_string("x\xe2\x82", 3, "\"x\xef\xbf\xbd\xef\xbf\xbd\"");
	check_string("\xf4\x90\x80\x80", 4, NULL);
	check_string("\xf5", 1, "\"\xef\xbf\xbd\"");
	/* An embedded NUL is data too (lengths, not C strings). */
	check_string("a\0b", 3, "\"a\\u0000b\"");
	CHECK(json_utf8_valid("\xf4\x8f\xbf\xbf", 4), "U+10FFFF is valid");
	CHECK(!json_utf8_valid("\xf4\x90\x80\x80", 4), "U+110000 is invalid");
	CHECK(!json_utf8_valid("\xe0\x9f\xbf", 3), "overlong 3-byte form is invalid");
}

/* Decode standard padded base64; returns the length or -1. */
static long base64_decode(const char *s, unsigned char *out)
{
	static const char digits[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(s), i, o = 0;
	int k;

	if (n % 4)
		return -1;
	for (i = 0; i < n; i += 4) {
		uint32_t v = 0;
		int pad = 0;

		for (k = 0; k < 4; k++) {
			const char *d = strchr(digits, s[i + k]);

			if (s[i + k] == '=' && i + 4 == n && k >= 2) {
				pad++;
				v <<= 6;
			} else if (d && s[i + k] && !pad) {
				v = v << 6 | (uint32_t)(d - digits);
			} else {
				return -1;
			}
		}
		out[o++] = (unsigned char)(v >> 16);
		if (pad < 2)
			out[o++] = (unsigned char)(v >> 8);
		if (pad < 1)
			out[o++] = (unsigned char)v;
	}
	return (long)o;
}

static void check_b64(const char *in, size_t n, const char *want)
{
	struct json_buf b;

	json_buf_init(&b);
	json_add_base64(&b, in, n);
	CHECK(!strcmp(b.buf, want), "base64: got [%s], want [%s]", b.buf, want);
	json_buf_release(&b);
}

static void test_base64(void)
{
	/* RFC 4648 section 10 test vectors. */
	check_b64("", 0, "");
	check_b64("f", 1, "Zg==");
	check_b64("fo", 2, "Zm8=");
	check_b64("foo", 3, "Zm9v");
	check_b64("foob", 4, "Zm9vYg==");
	check_b64("fooba", 5, "Zm9vYmE=");
	check_b64("foobar", 6, "Zm9vYmFy");
	check_b64("\xff\xfe\xfd", 3, "//79");
	check_b64("\0", 1, "AA==");
}

static void test_path(void)
{
	struct json_buf b;

	json_buf_init(&b);
	json_adds(&b, "{");
	json_add_path(&b, "path", "dir/it's \"x\"");
	json_adds(&b, "}");
	CHECK(!strcmp(b.buf, "{\"path\":\"dir/it's \\\"x\\\"\"}"), "valid path: %s", b.buf);
	json_buf_reset(&b);
	json_add_path(&b, "path", "a\xffz");
	CHECK(!strcmp(b.buf, "\"path\":\"a\xef\xbf\xbdz\",\"path_b64\":\"Yf96\""),
	      "invalid path: %s", b.buf);
	json_buf_reset(&b);
	json_add_path(&b, "path", NULL);
	CHECK(!strcmp(b.buf, "\"path\":null"), "NULL path: %s", b.buf);
	json_buf_release(&b);
}

/* Random byte strings, biased towards the troublesome bytes. */
static void test_random(void)
{
	static const unsigned char pool[] = { '"',  '\\', '\n', 0x01, 0x7f, 0x80, 0xbf,
					      0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xed, 0xf0,
					      0x9f, 0xff, 'a',	'/',  ' ',  0 };
	unsigned char in[32], raw[64];
	struct json_buf b;
	unsigned seed = 12345;
	int t;

	json_buf_init(&b);
	for (t = 0; t < 20000; t++) {
		size_t n = (size_t)(rand_r(&seed) % 24), i;
		long len;

		for (i = 0; i < n; i++)
			in[i] = rand_r(&seed) % 4 ? pool[rand_r(&seed) % sizeof(pool)]
						  : (unsigned char)rand_r(&seed);
		check_string((const char *)in, n, NULL);
		json_buf_reset(&b);
		json_add_base64(&b, in, n);
		len = base64_decode(b.buf, raw);
		CHECK(len == (long)n && !memcmp(raw, in, n), "base64 round trip: %s", b.buf);
	}
	json_buf_release(&b);
}

/* json_addf() past the initial allocation. */
static void test_growth(void)
{
	struct json_buf b;
	int i;

	json_buf_init(&b);
	for (i = 0; i < 1000; i++)
		json_addf(&b, "%d,", i % 10);
	CHECK(b.len == 2000 && strlen(b.buf) == 2000, "length %zu", b.len);
	CHECK(!strncmp(b.buf + 1990, "5,6,7,8,9,", 10), "tail %s", b.buf + 1990);
	json_buf_release(&b);
}

int main(void)
{
	test_escaping();
	test_base64();
	test_path();
	test_random();
	test_growth();
	if (failures)
		printf("%d failures\n", failures);
	return failures ? 1 : 0;
}
