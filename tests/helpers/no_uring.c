// SPDX-License-Identifier: MIT
/*
 * Test helper: run a command with io_uring_setup(2) failing as a container's
 * seccomp profile makes it fail. usage: no_uring ERRNO COMMAND [ARG]...
 * (ERRNO: EPERM or ENOSYS).
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static int block_io_uring_setup(unsigned err)
{
	struct sock_filter filter[] = {
		/* Only the native ABI: anything else is killed, not guessed at. */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (err & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(filter) / sizeof(filter[0]), .filter = filter };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

int main(int argc, char **argv)
{
	unsigned err;

	if (argc < 3) {
		fprintf(stderr, "usage: no_uring EPERM|ENOSYS COMMAND [ARG]...\n");
		return 2;
	}
	if (!strcmp(argv[1], "EPERM"))
		err = EPERM;
	else if (!strcmp(argv[1], "ENOSYS"))
		err = ENOSYS;
	else {
		fprintf(stderr, "no_uring: unknown errno %s\n", argv[1]);
		return 2;
	}
	if (block_io_uring_setup(err) < 0) {
		perror("no_uring: seccomp");
		return 2;
	}
	execvp(argv[2], argv + 2);
	perror("no_uring: exec");
	return 127;
}
