/* SPDX-License-Identifier: MIT */
/*
 * -b, --backup: the name an existing destination entry is kept under before
 * it is replaced, as gnulib's backupfile.c chooses it (simple NAME~,
 * numbered NAME.~N~), and the rename that keeps it.
 */
#ifndef PCOPY_BACKUP_H
#define PCOPY_BACKUP_H

#include "pcopy/options.h"

/*
 * The backup name for @name in the directory @dirfd under @type (not
 * BACKUP_NONE) and @suffix: malloc'd, a name in the same directory.
 */
char *backup_name(int dirfd, const char *name, enum backup_type type, const char *suffix);

/*
 * Rename @name in @dirfd to its backup name. On success returns 0 and, when
 * @made is not NULL, the backup name in *made (malloc'd). Returns a negative
 * errno otherwise.
 */
int backup_make(int dirfd, const char *name, enum backup_type type, const char *suffix,
		char **made);

#endif /* PCOPY_BACKUP_H */
