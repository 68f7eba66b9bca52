// SPDX-License-Identifier: MIT
/* Unit tests for size_parse() and uint_parse(): accepted forms, limits, errors. */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "pcopy/size.h"

static int failures;

/* size_parse(@text) must return @ret and, on success, the value @want. */
static void check_size(const char *text, int ret, uint64_t want)
{
	uint64_t got = 0xdeadbeef;
	int r = size_parse(text, &got);

	if (r != ret) {
		printf("FAIL size_parse(\"%s\") returned %d, expected %d\n", text, r, ret);
		failures++;
	} else if (!ret && got != want) {
		printf("FAIL size_parse(\"%s\") = %" PRIu64 ", expected %" PRIu64 "\n", text, got,
		       want);
		failures++;
	}
}

/* uint_parse(@text, @min, @max) must return @ret and, on success, @want. */
static void check_uint(const char *text, unsigned min, unsigned max, int ret, unsigned want)
{
	unsigned got = 12345;
	int r = uint_parse(text, min, max, &got);

	if (r != ret) {
		printf("FAIL uint_parse(\"%s\", %u, %u) returned %d, expected %d\n", text, min, max,
		       r, ret);
		failures++;
	} else if (!ret && got != want) {
		printf("FAIL uint_parse(\"%s\", %u, %u) = %u, expected %u\n", text, min, max, got,
		       want);
		failures++;
	} else if (ret && got != 12345) {
		printf("FAIL uint_parse(\"%s\") wrote %u on error\n", text, got);
		failures++;
	}
}

static void test_size_good(void)
{
	check_size("0", 0, 0);
	check_size("4096", 0, 4096);
	check_size("4096B", 0, 4096);
	check_size("007", 0, 7);
	check_size("64K", 0, 64ull << 10);
	check_size("64KiB", 0, 64ull << 10);
	check_size("1M", 0, 1ull << 20);
	check_size("3MiB", 0, 3ull << 20);
	check_size("2G", 0, 2ull << 30);
	check_size("2GiB", 0, 2ull << 30);
	check_size("1T", 0, 1ull << 40);
	check_size("1TiB", 0, 1ull << 40);
	check_size("18446744073709551615", 0, UINT64_MAX);
	check_size("16777215T", 0, 16777215ull << 40);
}

static void test_size_bad(void)
{
	/* clang-format off */
	static const char *const bad[] = {
		"", "K", "B", "iB", "-1", "+1", " 1", "1 ", "1.5M", "0x10", "1k",
		"1KB", "1Ki", "1KIB", "1kiB", "1P", "1PiB", "1E", "1KiBB", "1BB",
		"1MK", "1e3", "1_000",
	};
	/* clang-format on */

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		check_size(bad[i], -EINVAL, 0);
}

static void test_size_overflow(void)
{
	check_size("18446744073709551616", -ERANGE, 0);
	check_size("99999999999999999999999999", -ERANGE, 0);
	check_size("16777216T", -ERANGE, 0);
	check_size("17179869184G", -ERANGE, 0);
	check_size("18014398509481984K", -ERANGE, 0);
	/* A malformed suffix is malformed even when the number is also too big. */
	check_size("99999999999999999999999999X", -EINVAL, 0);
}

static void test_uint(void)
{
	check_uint("1", 1, 1024, 0, 1);
	check_uint("1024", 1, 1024, 0, 1024);
	check_uint("0042", 1, 1024, 0, 42);
	check_uint("0", 0, 10, 0, 0);
	check_uint("4294967295", 0, 4294967295u, 0, 4294967295u);
	check_uint("0", 1, 1024, -ERANGE, 0);
	check_uint("1025", 1, 1024, -ERANGE, 0);
	check_uint("4294967296", 0, 4294967295u, -ERANGE, 0);
	check_uint("99999999999999999999999", 1, 1024, -ERANGE, 0);
	check_uint("", 1, 1024, -EINVAL, 0);
	check_uint("-1", 1, 1024, -EINVAL, 0);
	check_uint("+1", 1, 1024, -EINVAL, 0);
	check_uint(" 1", 1, 1024, -EINVAL, 0);
	check_uint("1 ", 1, 1024, -EINVAL, 0);
	check_uint("1K", 1, 1024, -EINVAL, 0);
	check_uint("0x10", 1, 1024, -EINVAL, 0);
	check_uint("abc", 1, 1024, -EINVAL, 0);
}

int main(void)
{
	test_size_good();
	test_size_bad();
	test_size_overflow();
	test_uint();
	if (failures) {
		printf("%d check(s) failed\n", failures);
		return EXIT_FAILURE;
	}
	printf("all size checks passed\n");
	return EXIT_SUCCESS;
}
