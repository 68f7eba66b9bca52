/* SPDX-License-Identifier: MIT */
/*
 * rsync's backup options (issue 19), an argp child of the command line:
 * their table, their parser and their cross-checks. Its input is the
 * struct pcopy_opts being filled.
 */
#ifndef PCOPY_CLI_BACKUP_H
#define PCOPY_CLI_BACKUP_H

#include <argp.h>

/* rsync's limit on --link-dest. */
#define CLI_LINK_DEST_MAX 20

struct pcopy_opts;

extern const struct argp cli_backup_argp;

/* Free what the child allocated in @o (opts_release() calls it). */
void cli_backup_release(struct pcopy_opts *o);

#endif /* PCOPY_CLI_BACKUP_H */
