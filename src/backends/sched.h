/* SPDX-License-Identifier: MIT */
/* Private to the backends: how their workers ask to be scheduled. */
#ifndef PCOPY_BACKENDS_SCHED_H
#define PCOPY_BACKENDS_SCHED_H

/*
 * Put the calling thread (or worker process) in SCHED_BATCH. The walker
 * feeds every worker: when jobs are short (a -u run where nearly every
 * file is up to date) the workers are woken thousands of times a second,
 * and on a machine with as many workers as cores each wakeup preempted
 * the walker, the one thread the run waits on. SCHED_BATCH keeps the
 * workers' nice level and share of the CPU but gives up that wakeup
 * preemption. Unprivileged; a failure changes nothing and is ignored.
 */
void sched_worker_self(void);

#endif /* PCOPY_BACKENDS_SCHED_H */
