/* SPDX-License-Identifier: MIT */
/* Parsing of numbers and sizes given on the command line. */
#ifndef PCOPY_SIZE_H
#define PCOPY_SIZE_H

#include <stdint.h>

/*
 * Parse a size such as "64K", "1M", "2GiB", "1T" or "4096" (suffixes are
 * powers of 1024, optionally followed by "iB"; a bare "B" is allowed).
 * Returns 0 and stores the byte count in *out, or -EINVAL for anything
 * malformed, -ERANGE when it overflows 64 bits.
 */
int size_parse(const char *text, uint64_t *out);

/*
 * Parse a decimal integer in [min, max] with no sign, suffix or spaces.
 * Returns 0 or -EINVAL / -ERANGE.
 */
int uint_parse(const char *text, unsigned min, unsigned max, unsigned *out);

#endif /* PCOPY_SIZE_H */
