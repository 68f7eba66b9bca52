// SPDX-License-Identifier: MIT
/*
 * Parsing of the numbers and sizes that options take (-j, --queue-depth,
 * --chunk-size). Strict on purpose: anything but the documented forms is
 * refused, so that a typo is a usage error rather than a surprising value.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "pcopy/size.h"

/*
 * Read the leading decimal digits of @text into *out. Returns the number of
 * digits read (0 if @text does not start with one) and sets *overflow when
 * the value does not fit in 64 bits; the digits are still all consumed so
 * that the caller can tell a malformed string from a too-large one.
 */
static size_t parse_digits(const char *text, uint64_t *out, bool *overflow)
{
	uint64_t value = 0;
	size_t i;

	*overflow = false;
	for (i = 0; text[i] >= '0' && text[i] <= '9'; i++) {
		unsigned digit = text[i] - '0';

		if (value > (UINT64_MAX - digit) / 10)
			*overflow = true;
		else
			value = value * 10 + digit;
	}
	*out = value;
	return i;
}

/*
 * The binary shift that the suffix @s stands for, or -1 if it is not one of
 * "", "B", "K", "KiB", "M", "MiB", "G", "GiB", "T", "TiB". "KB" is refused:
 * elsewhere (coreutils, disk vendors) it means 1000, and guessing wrong
 * would silently change the chunk size.
 */
static int suffix_shift(const char *s)
{
	static const char units[] = "KMGT";
	const char *unit;

	if (!strcmp(s, "") || !strcmp(s, "B"))
		return 0;
	unit = s[0] ? strchr(units, s[0]) : NULL;
	if (!unit || (s[1] && strcmp(s + 1, "iB")))
		return -1;
	return 10 * (int)(unit - units + 1);
}

int size_parse(const char *text, uint64_t *out)
{
	uint64_t value;
	bool overflow;
	size_t nr_digits;
	int shift;

	nr_digits = parse_digits(text, &value, &overflow);
	if (!nr_digits)
		return -EINVAL;
	shift = suffix_shift(text + nr_digits);
	if (shift < 0)
		return -EINVAL;
	if (overflow || value > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = value << shift;
	return 0;
}

int uint_parse(const char *text, unsigned min, unsigned max, unsigned *out)
{
	uint64_t value;
	bool overflow;
	size_t nr_digits;

	nr_digits = parse_digits(text, &value, &overflow);
	if (!nr_digits || text[nr_digits])
		return -EINVAL;
	if (overflow || value < min || value > max)
		return -ERANGE;
	*out = (unsigned)value;
	return 0;
}
