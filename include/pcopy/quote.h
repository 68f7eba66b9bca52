/* SPDX-License-Identifier: MIT */
/* Quoting of file names for messages, as coreutils quotes them. */
#ifndef PCOPY_QUOTE_H
#define PCOPY_QUOTE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Quote @name in the shell-escape style of coreutils: plain names are left
 * alone (unless @always), others are wrapped in single quotes, and control
 * bytes or invalid UTF-8 become $'\n'-style escapes. Returns a malloc'd
 * string that the caller frees. Never fails (dies on out-of-memory).
 */
char *quote_name(const char *name, bool always);

#endif /* PCOPY_QUOTE_H */
