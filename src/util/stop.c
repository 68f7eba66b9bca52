// SPDX-License-Identifier: MIT
/* The stop flag that SIGINT and SIGTERM set and every loop reads. */
#include <signal.h>
#include <unistd.h>

#include "pcopy/stop.h"

/* The only state a signal handler touches. */
static volatile sig_atomic_t stop_sig;

static void on_stop_signal(int sig)
{
	/* A second interrupt means "now": temporaries are O_TMPFILE (no
	 * name) in the common case, and a chunked file's hidden partial is
	 * kept for the next run anyway (pcopy/resume.h): nothing is left
	 * under a final name. */
	if (stop_sig)
		_exit(128 + sig);
	stop_sig = sig;
}

void stop_install_handlers(void)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

bool stop_requested(void)
{
	return stop_sig != 0;
}

int stop_signal(void)
{
	return stop_sig;
}

void stop_request(int sig)
{
	if (!stop_sig)
		stop_sig = sig;
}
