// SPDX-License-Identifier: GPL-2.0
/*
 * Running vibevmm in the lab: see vmm_run.h.
 */
#include <errno.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lab.h"
#include "vmm_run.h"

double vmm_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

const char *vmm_build_dir(void)
{
	return lab_build_dir();
}

const char *vmm_guest_kernel(void)
{
	static char path[300];
	struct utsname u;
	struct stat st;
	glob_t g;

	if (!uname(&u)) {
		snprintf(path, sizeof(path), "/boot/vmlinuz-%s", u.release);
		if (!stat(path, &st))
			return path;
	}
	/* a kernel of our own (the debug kernel): boot Debian's 6.1 inside */
	if (glob("/boot/vmlinuz-6.1.*", 0, NULL, &g) || !g.gl_pathc)
		return NULL;
	snprintf(path, sizeof(path), "%s", g.gl_pathv[g.gl_pathc - 1]);
	globfree(&g);
	return path;
}

/*
 * Start @binary (under $BUILD) with --kernel @kernel --mem @mem and @args
 * (shell words), stderr to a log named @name and stdout to @out (NULL: the
 * same log).  vibevmm dies with this process (PR_SET_PDEATHSIG; the shell
 * execs it in place): a test that dies leaves no VMM holding the VF.
 */
static int start(struct vmm *v, const char *binary, const char *kernel, const char *mem,
		 const char *name, const char *args, const char *out)
{
	char cmd[4096];
	pid_t parent = getpid();

	/*
	 * In /tmp (the lab's tmpfs), not on the 9p share under $BUILD: there
	 * the debug kernel (6.12's netfs-based 9p, cache=mmap) left holes of
	 * NULs in a file written while it was read, in the host's copy too,
	 * once over the very line a test waited for (fault_l2_test,
	 * 2026-12-01).
	 */
	snprintf(v->log, sizeof(v->log), "/tmp/vmm_vfio-%s.%d.log", name, (int)getpid());
	/* Never let a previous run's log answer for this one. */
	if (unlink(v->log) && errno != ENOENT)
		return -errno;
	snprintf(cmd, sizeof(cmd),
		 "ASAN_OPTIONS=detect_leaks=0 exec %s/user/%s --kernel %s --mem %s --cpus 1 %s > %s 2>%s",
		 vmm_build_dir(), binary, kernel, mem, args, out ? out : v->log,
		 out ? v->log : "&1");
	v->status = -1;
	v->pid = fork();
	if (v->pid < 0)
		return -errno;
	if (v->pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
			_exit(126);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	return 0;
}

int vmm_start_out(struct vmm *v, const char *name, const char *args, const char *out)
{
	const char *kernel = vmm_guest_kernel();

	if (!kernel)
		return -ENOENT;
	return start(v, "vibevmm", kernel, "384M", name, args, out);
}

int vmm_start(struct vmm *v, const char *name, const char *args)
{
	return vmm_start_out(v, name, args, NULL);
}

int vmm_start_bench(struct vmm *v, const char *name, const char *args)
{
	char kernel[600];
	struct stat st;

	snprintf(kernel, sizeof(kernel), "%s/user/guest/bench-guest.bzImage", vmm_build_dir());
	if (stat(kernel, &st))
		return -errno;
	snprintf(v->bin, sizeof(v->bin), "%s/user/vibevmm-san", vmm_build_dir());
	if (stat(v->bin, &st))
		snprintf(v->bin, sizeof(v->bin), "vibevmm");
	else
		snprintf(v->bin, sizeof(v->bin), "vibevmm-san");
	return start(v, v->bin, kernel, "64M", name, args, NULL);
}

/* Reap within @timeout seconds, else kill it; returns the exit status or -1. */
int vmm_wait(struct vmm *v, int timeout)
{
	double end = vmm_now() + timeout;
	int st;

	if (v->pid <= 0)
		return v->status;
	while (vmm_now() < end) {
		pid_t r = waitpid(v->pid, &st, WNOHANG);

		if (r == v->pid) {
			v->pid = 0;
			v->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			return v->status;
		}
		usleep(200000);
	}
	fprintf(stderr, "# vibevmm did not finish within %d s: killed\n", timeout);
	kill(v->pid, SIGKILL);
	waitpid(v->pid, &st, 0);
	v->pid = 0;
	v->status = -1;
	return -1;
}

void vmm_kill(struct vmm *v)
{
	if (v->pid > 0) {
		kill(v->pid, SIGKILL);
		waitpid(v->pid, NULL, 0);
		v->pid = 0;
	}
}

/*
 * The guest's console (stdout) and vibevmm's messages (stderr) share the
 * log, so a message can land inside a console line: "V" "vibevmm: ...\n"
 * "FIO-EJECTED 2" (CI, vmm_hotplug_test), and a search for the console
 * line then fails.  vibevmm writes each message whole, in one write(), so
 * every "vibevmm: " that does not start a line is a message that cut one:
 * move it (through its newline) in front of the line it cut.
 */
static void untangle_log(char *buf)
{
	char *p = buf, *start, *end, *tmp;
	size_t msg;

	while ((p = strstr(p, "vibevmm: "))) {
		if (p == buf || p[-1] == '\n') {
			p++;
			continue;
		}
		end = strchr(p, '\n');
		if (!end)
			return;		/* still being written */
		for (start = p; start > buf && start[-1] != '\n'; start--)
			;
		msg = end + 1 - p;
		tmp = malloc(msg);
		if (!tmp)
			return;
		memcpy(tmp, p, msg);
		memmove(start + msg, start, p - start);
		memcpy(start, tmp, msg);
		free(tmp);
		p = start + msg;
	}
}

/*
 * The whole log, NUL-terminated, malloc'ed (NULL if unreadable).  While
 * the VMM runs, complete lines only: the guest's serial output reaches the
 * log a few bytes at a time, and a half-written "completions=12" would
 * read as 1 (or a key as missing).
 */
char *read_log(const struct vmm *v)
{
	char *buf = NULL;
	size_t len = 0, n;
	FILE *f = fopen(v->log, "r");

	if (!f)
		return NULL;
	buf = malloc(1 << 20);
	if (buf) {
		len = fread(buf, 1, (1 << 20) - 1, f);
		buf[len] = '\0';
		/*
		 * A NUL inside (seen on the debug kernel when the log was on
		 * the 9p share) must not hide what follows from strstr().
		 */
		for (n = len; n--;)
			if (!buf[n])
				buf[n] = '?';
		if (v->pid > 0) {
			char *nl = strrchr(buf, '\n');

			*(nl ? nl + 1 : buf) = '\0';
		}
		untangle_log(buf);
	}
	fclose(f);
	return buf;
}

bool log_has(const struct vmm *v, const char *needle)
{
	char *buf = read_log(v);
	bool found = buf && strstr(buf, needle);

	free(buf);
	return found;
}

/* The log's "BDF: assigned as ..." line for @bdf contains @needle. */
bool assigned_has(const struct vmm *v, const char *bdf, const char *needle)
{
	char *buf = read_log(v), *line, *end, key[64];
	bool found = false;

	snprintf(key, sizeof(key), "%s: assigned as ", bdf);
	line = buf ? strstr(buf, key) : NULL;
	if (line) {
		end = strchr(line, '\n');
		if (end)
			*end = '\0';
		found = strstr(line, needle);
	}
	free(buf);
	return found;
}

/* Wait until the log contains @needle, or the VMM exits, or @timeout. */
bool wait_log(struct vmm *v, const char *needle, int timeout)
{
	double end = vmm_now() + timeout;

	while (vmm_now() < end) {
		if (log_has(v, needle))
			return true;
		if (v->pid > 0 && waitpid(v->pid, &v->status, WNOHANG) == v->pid) {
			v->pid = 0;
			v->status = WIFEXITED(v->status) ? WEXITSTATUS(v->status) : -1;
			return log_has(v, needle);
		}
		usleep(200000);
	}
	return false;
}

/* Print the interesting lines of the log (and its tail) as TAP comments. */
void dump_log(const struct vmm *v)
{
	lab_sh("grep -a -e '^vibevmm' -e VFIO- -e GUEST- '%s' | tail -n 40 | sed 's/^/#   /' >&2",
	       v->log);
	/* The lab's init copies /tmp/vmm_vfio-* to the run directory. */
	fprintf(stderr, "#   whole log: %s%s\n", getenv("VMTEST_RUN") ? getenv("VMTEST_RUN") : "",
		getenv("VMTEST_RUN") ? strrchr(v->log, '/') : v->log);
}
