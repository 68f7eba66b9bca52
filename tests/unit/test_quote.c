// SPDX-License-Identifier: MIT
/*
 * Unit tests for quote_name(): the expectations are what coreutils 9.1
 * prints (LC_ALL=C.UTF-8 ls --quoting-style=shell-escape[-always]); bash,
 * when present, must read every quoted name back to the original bytes.
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcopy/quote.h"

static int failures;

struct qcase {
	const char *name;
	const char *bare;   /* quote_name(name, false), as ls shell-escape */
	const char *always; /* quote_name(name, true), as cp -v; NULL: 'bare' */
};

static const struct qcase cases[] = {
	{ "plain", "plain", "'plain'" },
	{ "a+b-c_d.e", "a+b-c_d.e", "'a+b-c_d.e'" },
	{ "a,b:c", "a,b:c", "'a,b:c'" },
	{ "a%b", "a%b", "'a%b'" },
	{ "a@b", "a@b", "'a@b'" },
	{ "dir/sub/file", "dir/sub/file", "'dir/sub/file'" },
	{ "", "''", "''" },
	{ "a b", "'a b'", NULL },
	{ "a=b", "'a=b'", NULL },
	{ "a^b", "'a^b'", NULL },
	{ "a[", "'a['", NULL },
	{ "a]", "a]", "'a]'" },
	{ "a?", "'a?'", NULL },
	{ "a\\b", "'a\\b'", NULL },
	{ "a$b", "'a$b'", NULL },
	{ "a*b", "'a*b'", NULL },
	{ "a`b", "'a`b'", NULL },
	{ "a|b", "'a|b'", NULL },
	{ "a\"b", "'a\"b'", NULL },
	/* '#' and '~' only at the start; '{' and '}' only alone. */
	{ "#a", "'#a'", NULL },
	{ "a#", "a#", "'a#'" },
	{ "~a", "'~a'", NULL },
	{ "a~", "a~", "'a~'" },
	{ "{", "'{'", NULL },
	{ "}", "'}'", NULL },
	{ "{a", "{a", "'{a'" },
	{ "a{b}", "a{b}", "'a{b}'" },
	/* A lone apostrophe reads better in double quotes. */
	{ "it's", "\"it's\"", "\"it's\"" },
	{ "'", "\"'\"", "\"'\"" },
	{ "a'b c", "\"a'b c\"", "\"a'b c\"" },
	{ "it's$x", "'it'\\''s$x'", NULL },
	{ "it's~", "'it'\\''s~'", NULL },
	{ "a'b\"", "'a'\\''b\"'", NULL },
	{ "'$", "''\\''$'", NULL },
	/* Control characters and bytes that are not printable UTF-8. */
	{ "a\nb", "'a'$'\\n''b'", NULL },
	{ "\n", "''$'\\n'", NULL },
	{ "\nb", "''$'\\n''b'", NULL },
	{ "a\n", "'a'$'\\n'", NULL },
	{ "a\tb\n", "'a'$'\\t''b'$'\\n'", NULL },
	{ "\x01x", "''$'\\001''x'", NULL },
	{ "\x7f", "''$'\\177'", NULL },
	{ "\xff", "''$'\\377'", NULL },
	{ "a\xc3", "'a'$'\\303'", NULL },
	{ "\xc2\x85", "''$'\\302\\205'", NULL },	  /* C1 control U+0085 */
	{ "\xe0\x80\x80", "''$'\\340\\200\\200'", NULL }, /* overlong */
	{ "\xed\xa0\x80", "''$'\\355\\240\\200'", NULL }, /* surrogate */
	{ "\xe2\x80\xa8", "''$'\\342\\200\\250'", NULL }, /* U+2028 */
	{ "a\nb'c", "'a'$'\\n''b'\\''c'", NULL },
	{ "a'b\nc'd", "'a'\\''b'$'\\n''c'\\''d'", NULL },
	{ "'\n", "''\\'''$'\\n'", NULL },
	{ "\n'", "''$'\\n'\\'''", NULL },
	{ "a\x01'", "'a'$'\\001'\\'''", NULL },
	/* Printable UTF-8 stays as it is. */
	{ "caf\xc3\xa9", "caf\xc3\xa9", "'caf\xc3\xa9'" },
	{ "\xc2\xa0", "\xc2\xa0", "'\xc2\xa0'" },	      /* no-break space */
	{ "\xe2\x80\x8b", "\xe2\x80\x8b", "'\xe2\x80\x8b'" }, /* zero width space */
	{ "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80", "'\xf0\x9f\x98\x80'" },
	/*
	 * Where pcopy differs from coreutils on purpose: gnulib carries a
	 * pending $'...' state into its second pass over names holding a
	 * quote and an escape, which adds a stray '' (ls prints
	 * '''a'\'''$'\n') or, with a leading escape, breaks the quoting
	 * (ls prints '\n'\'''$'\n', which the shell reads as backslash-n).
	 */
	{ "a'\n", "'a'\\'''$'\\n'", NULL },
	{ "\n'\n", "''$'\\n'\\'''$'\\n'", NULL },
};

/* Cases whose answer comes from the C.UTF-8 locale tables. */
static const struct qcase locale_cases[] = {
	{ "\xcd\xb8", "''$'\\315\\270'", NULL }, /* U+0378, unassigned */
};

static void check(const char *name, bool always, const char *want)
{
	char *got = quote_name(name, always);

	if (strcmp(got, want)) {
		printf("FAIL quote_name(\"");
		for (const char *c = name; *c; c++)
			printf((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f ? "\\x%02x"
										     : "%c",
			       (unsigned char)*c);
		printf("\", %d) = [%s], expected [%s]\n", always, got, want);
		failures++;
	}
	free(got);
}

static void check_cases(const struct qcase *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		check(c[i].name, false, c[i].bare);
		check(c[i].name, true, c[i].always ? c[i].always : c[i].bare);
	}
}

/*
 * Have bash print every quoted name back (printf '%s\0' QUOTED) and
 * compare with the original bytes: the quoting must be correct shell.
 */
static void check_shell_round_trip(void)
{
	char script[] = "/tmp/test_quote.XXXXXX", cmd[64], *q, buf[4096];
	size_t i, len = 0, n;
	FILE *f, *p;
	int fd;

	if (access("/bin/bash", X_OK))
		return;
	fd = mkstemp(script);
	if (fd < 0 || !(f = fdopen(fd, "w")))
		return;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		q = quote_name(cases[i].name, i % 2);
		fprintf(f, "printf '%%s\\0' %s\n", q);
		free(q);
	}
	fclose(f);
	snprintf(cmd, sizeof(cmd), "/bin/bash %s", script);
	p = popen(cmd, "r");
	n = p ? fread(buf, 1, sizeof(buf), p) : 0;
	if (p)
		pclose(p);
	unlink(script);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t want = strlen(cases[i].name);

		if (len + want >= n || memcmp(buf + len, cases[i].name, want) || buf[len + want]) {
			printf("FAIL bash reads case %zu back differently\n", i);
			failures++;
			return;
		}
		len += want + 1;
	}
}

int main(void)
{
	locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", 0);

	check_cases(cases, sizeof(cases) / sizeof(cases[0]));
	if (utf8) {
		check_cases(locale_cases, sizeof(locale_cases) / sizeof(locale_cases[0]));
		freelocale(utf8);
	}
	check_shell_round_trip();
	if (failures)
		printf("%d failures\n", failures);
	return failures ? 1 : 0;
}
