/* SPDX-License-Identifier: MIT */
/*
 * pcopy's cp personality: invoked under the name cp (a symlink named cp,
 * `exec -a cp`), pcopy follows GNU cp's rules for directory operands and
 * symlink defaults exactly. Decided here, once, from the program name.
 */
#ifndef PCOPY_CLI_CP_H
#define PCOPY_CLI_CP_H

#include <stdbool.h>

struct pcopy_opts;

/*
 * Apply cp's rules to @o when the program name is cp: without -r/-R/-a
 * (@recursive) directory operands are omitted, and unless -P/-d/-H/-L/-a
 * was given (@deref_set) symlinks are followed (cp's DEREF_ALWAYS).
 * Under any other name nothing changes.
 */
void cli_cp_personality(struct pcopy_opts *o, bool recursive, bool deref_set);

/*
 * The target directory @path (-t when @dash_t, else the last of several
 * operands) could not be examined (@err, positive errno, e.g. EACCES):
 * cp's message ("target directory 'X': Permission denied") and status 1.
 */
__attribute__((noreturn)) void cli_cp_target_error(const char *path, int err, bool dash_t);

/*
 * -Z (@set_context), --context[=@context], --preserve=context
 * (@require_context) as cp behaves on a kernel without SELinux; exits on
 * cp's errors.
 */
void cli_cp_check_context(bool set_context, bool require_context, const char *context);

#endif /* PCOPY_CLI_CP_H */
