// SPDX-License-Identifier: MIT
/* Where this process stands in an MPI job, from its launcher's environment. */
#include <stdlib.h>

#include "pcopy/mpi.h"

/* The first of @names set in the environment, as a number, or -1. */
static int env_number(const char *const *names)
{
	for (; *names; names++) {
		const char *v = getenv(*names);
		char *end;
		long n;

		if (!v || !*v)
			continue;
		n = strtol(v, &end, 10);
		if (*end == '\0' && n >= 0 && n < (1L << 30))
			return (int)n;
	}
	return -1;
}

int mpi_launcher_rank(void)
{
	static const char *const names[] = { "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK",
					     NULL };

	return env_number(names);
}

int mpi_launcher_size(void)
{
	static const char *const names[] = { "OMPI_COMM_WORLD_SIZE", "PMI_SIZE", NULL };
	int n = env_number(names);

	return n < 0 ? 0 : n;
}
