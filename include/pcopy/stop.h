/* SPDX-License-Identifier: MIT */
/*
 * The run's stop request: set by SIGINT/SIGTERM (or by a process worker
 * told by its parent), read by every layer that loops. Process-wide by
 * nature: a signal handler can only set a flag, and there is one run per
 * process.
 */
#ifndef PCOPY_STOP_H
#define PCOPY_STOP_H

#include <stdbool.h>

/* Route SIGINT and SIGTERM to the stop flag (a second one exits at once
 * with 128+signal) and ignore SIGPIPE. */
void stop_install_handlers(void);

/* True once a stop was asked for; cheap, for loops in any thread. */
bool stop_requested(void);

/* The signal that asked the run to stop (SIGINT, SIGTERM), or 0. */
int stop_signal(void);

/*
 * Ask for a stop as signal @sig would, except that a repeat is ignored
 * rather than exiting. Async-signal-safe.
 */
void stop_request(int sig);

#endif /* PCOPY_STOP_H */
