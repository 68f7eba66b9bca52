// SPDX-License-Identifier: MIT
/* pcopy invoked as cp: GNU cp's operand rules (cli_cp.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_cp.h"
#include "pcopy/options.h"
#include "pcopy/quote.h"
#include "pcopy/util.h"

void cli_cp_personality(struct pcopy_opts *o, bool recursive, bool deref_set)
{
	if (strcmp(prog_name(), "cp"))
		return;
	o->omit_dirs = !recursive;
	/* cp.c: DEREF_UNDEFINED becomes NEVER with -R (and not -l), else ALWAYS. */
	if (!deref_set && !recursive)
		o->deref = DEREF_ALWAYS;
}

void cli_cp_target_error(const char *path, int err, bool dash_t)
{
	/* A run-time failure in cp (its die()), not a usage error: no hint. */
	fflush(stdout);
	fprintf(stderr, "%s: target%s %s: %s\n", prog_name(), dash_t ? " directory" : "",
		quote_name(path, true), strerror(err));
	exit(EXIT_FAILURE);
}

/* An SELinux kernel has selinuxfs mounted (libselinux's test, without libselinux). */
static bool cli_cp_selinux_enabled(void)
{
	return access("/sys/fs/selinux/enforce", F_OK) == 0;
}

void cli_cp_check_context(bool set_context, bool require_context, const char *context)
{
	if (cli_cp_selinux_enabled()) {
		if (set_context || require_context)
			die("SELinux contexts: not supported yet");
		return;
	}
	if (require_context) {
		fflush(stdout);
		fprintf(stderr,
			"%s: cannot preserve security context without an SELinux-enabled "
			"kernel\n",
			prog_name());
		exit(EXIT_FAILURE); /* cp's status for it */
	}
	if (context)
		fprintf(stderr,
			"%s: warning: ignoring --context; it requires an SELinux-enabled "
			"kernel\n",
			prog_name());
}
