// SPDX-License-Identifier: MIT
/*
 * Quoting of file names for messages: the shell-escape style of coreutils
 * (gnulib quotearg), so that pcopy's messages quote names as cp and ls do.
 */
#include <locale.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <wctype.h>

#include "pcopy/quote.h"
#include "pcopy/util.h"

/* How one character of a name affects the quoting (see classify()). */
struct qchar {
	size_t len;	  /* bytes it spans (1 for an invalid byte) */
	bool printable;	  /* printed as is; else escaped as $'...' */
	bool needs_quote; /* forces the name into quotes */
	bool dq_compat;	  /* fine inside "..." (the it's -> "it's" case) */
	char esc;	  /* letter of a \n-style escape, or 0 for octal */
};

/*
 * Length of the valid UTF-8 sequence at @s (at most @n bytes) and its code
 * point, or 0 when it is invalid: overlong forms, surrogates and values
 * beyond U+10FFFF are invalid, as mbrtowc() finds them in a UTF-8 locale.
 */
static size_t utf8_decode(const unsigned char *s, size_t n, unsigned *cp)
{
	unsigned c = s[0], min;
	size_t len, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2, min = 0x80, c &= 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3, min = 0x800, c &= 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, min = 0x10000, c &= 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* The letter escapes $'\n' uses instead of octal. */
static char letter_escape(unsigned char c)
{
	switch (c) {
	case '\a':
		return 'a';
	case '\b':
		return 'b';
	case '\f':
		return 'f';
	case '\n':
		return 'n';
	case '\r':
		return 'r';
	case '\t':
		return 't';
	case '\v':
		return 'v';
	default:
		return 0;
	}
}

/*
 * Whether code point @cp is printable. Names are judged as UTF-8 whatever
 * the process locale is, so that messages do not depend on LANG; C.UTF-8
 * gives glibc's own answer (as ls gives it in that locale), and a rough
 * rule serves where that locale is missing.
 */
static bool utf8_printable(unsigned cp, locale_t utf8)
{
	if (utf8)
		return iswprint_l((wint_t)cp, utf8);
	return cp >= 0xa0 && cp != 0x2028 && cp != 0x2029;
}

/*
 * Classify the character at @s (index @i in the name, @n bytes left). The
 * ASCII table follows gnulib's quotearg_buffer_restyled(): shell
 * metacharacters force quotes, '#' and '~' only at the start, '{' and '}'
 * only alone, and the characters that need no escaping in C strings
 * either leave the name eligible for double quotes. @utf8 is a C.UTF-8
 * locale or 0.
 */
static struct qchar classify(const unsigned char *s, size_t n, size_t i, locale_t utf8)
{
	struct qchar q = { .len = 1, .printable = true };
	unsigned cp;

	if (s[0] >= 0x80) {
		q.len = utf8_decode(s, n, &cp);
		if (!q.len || !utf8_printable(cp, utf8)) {
			q.len = 1;
			q.printable = false;
			q.needs_quote = true;
		} else {
			q.dq_compat = true;
		}
		return q;
	}
	if (s[0] < 0x20 || s[0] == 0x7f) {
		q.printable = false;
		q.needs_quote = true;
		q.esc = letter_escape(s[0]);
		return q;
	}
	switch (s[0]) {
	case '{':
	case '}':
		if (i == 0 && n == 1)
			q.needs_quote = q.dq_compat = true;
		break;
	case '#':
	case '~':
		if (i == 0)
			q.needs_quote = q.dq_compat = true;
		break;
	case ' ':
	case '\'':
		q.needs_quote = q.dq_compat = true;
		break;
	case '!':
	case '"':
	case '$':
	case '&':
	case '(':
	case ')':
	case '*':
	case ';':
	case '<':
	case '=':
	case '>':
	case '[':
	case '^':
	case '`':
	case '|':
	case '\\':
	case '?':
		q.needs_quote = true;
		break;
	default:
		q.dq_compat = true;
		break;
	}
	return q;
}

/* A growing output string; quote_name() sizes it for the worst case. */
struct qout {
	char *buf;
	size_t len;
};

static void put(struct qout *o, const char *s, size_t n)
{
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

/*
 * The single-quoted form: '...' with ' written as '\'' and unprintable
 * bytes as $'\n' or $'\ooo' segments between the quoted runs.
 */
static void quote_single(struct qout *o, const unsigned char *s, size_t n, locale_t utf8)
{
	bool in_esc = false; /* inside a '$'\... segment */
	size_t i = 0;

	put(o, "'", 1);
	while (i < n) {
		struct qchar q = classify(s + i, n - i, i, utf8);

		if (!q.printable) {
			char esc[4] = { '\\', q.esc, 0, 0 };

			if (!in_esc)
				put(o, "'$'", 3);
			in_esc = true;
			if (!q.esc) {
				/* One byte of octal, as $'\377': always three digits. */
				esc[1] = (char)('0' + (s[i] >> 6));
				esc[2] = (char)('0' + ((s[i] >> 3) & 7));
				esc[3] = (char)('0' + (s[i] & 7));
			}
			put(o, esc, q.esc ? 2 : 4);
		} else if (s[i] == '\'') {
			/* '\'' also ends an escape segment: no '' needed. */
			put(o, "'\\''", 4);
			in_esc = false;
		} else {
			if (in_esc)
				put(o, "''", 2);
			in_esc = false;
			put(o, (const char *)s + i, q.len);
		}
		i += q.len;
	}
	put(o, "'", 1);
}

char *quote_name(const char *name, bool always)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t n = strlen(name), i;
	bool needs_quote = n == 0, single_quote = false, dq_compat = true;
	locale_t utf8 = 0;
	struct qout o;

	for (i = 0; i < n; i++) {
		if (s[i] >= 0x80) {
			/* Only non-ASCII names pay for the locale lookup. */
			utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", 0);
			break;
		}
	}
	for (i = 0; i < n;) {
		struct qchar q = classify(s + i, n - i, i, utf8);

		needs_quote |= q.needs_quote;
		dq_compat &= q.dq_compat;
		single_quote |= s[i] == '\'';
		i += q.len;
	}
	/* Worst case: every byte becomes '$'\ooo'' (9 bytes), plus quotes. */
	o.buf = xmalloc(9 * n + 3);
	o.len = 0;
	if (!needs_quote && !always) {
		put(&o, name, n);
	} else if (single_quote && dq_compat) {
		/* As coreutils: it's reads better as "it's" than 'it'\''s'. */
		put(&o, "\"", 1);
		put(&o, name, n);
		put(&o, "\"", 1);
	} else {
		quote_single(&o, s, n, utf8);
	}
	o.buf[o.len] = '\0';
	if (utf8)
		freelocale(utf8);
	return o.buf;
}
