// SPDX-License-Identifier: GPL-2.0
/* Lab helpers for selftests; see lab.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab.h"

/* Whether @dir/@sub is a directory. */
static bool has_dir(const char *dir, const char *sub)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

const char *lab_root(void)
{
	const char *r = getenv("ROOT");

	return r && *r && has_dir(r, "scripts") ? r : ".";
}

const char *lab_build_dir(void)
{
	const char *b = getenv("BUILD");

	if (b && *b)
		return b;
	return has_dir(".", "build") ? "build" : ".";
}

bool lab_here(char *why, size_t len)
{
	char cmdline[4096] = "", id[16] = "", path[PATH_MAX];
	const char *hide = getenv("VFPOST_LAB");
	const char *miss = NULL;

	if (hide && !strcmp(hide, "0"))
		miss = "VFPOST_LAB=0 hides it";
	else if (lab_read_file("/proc/cmdline", cmdline, sizeof(cmdline)) ||
		 !strstr(cmdline, "vmtest.run="))
		miss = "not booted by scripts/vmtest (no vmtest.run= in /proc/cmdline)";
	else if (lab_read_file(LAB_PF_SYS "/vendor", id, sizeof(id)) ||
		 strcmp(id, "0x1b36") ||
		 access(LAB_PF_SYS "/sriov_totalvfs", F_OK))
		miss = "no QEMU NVMe SR-IOV PF at " LAB_PF_BDF;
	if (!miss) {
		snprintf(path, sizeof(path), "%s/scripts/lab-vfs", lab_root());
		if (access(path, X_OK))
			miss = "no scripts/lab-vfs in the project root ($ROOT, else the current directory)";
	}
	if (miss && why)
		snprintf(why, len, "not the lab: %s", miss);
	return !miss;
}

bool lab_only_ok(char *why, size_t len)
{
	const char *env = getenv("VFPOST_BDF");

	if (!lab_here(why, len))
		return false;
	if (env && *env) {
		if (why)
			snprintf(why, len, "VFPOST_BDF=%s is set: the lab's VFs stay as they are",
				 env);
		return false;
	}
	return true;
}

void lab_only_suite(const char *needs)
{
	char why[256];

	if (lab_only_ok(why, sizeof(why)))
		return;
	printf("TAP version 13\n1..0 # SKIP %s needs the lab (%s); %s\n",
	       program_invocation_short_name, needs, why);
	fflush(stdout);
	exit(4);
}

static int vsh(char *out, size_t len, const char *fmt, va_list ap)
{
	char cmd[4096];
	FILE *p;
	size_t n = 0;
	int st;

	if (vsnprintf(cmd, sizeof(cmd), fmt, ap) >= (int)sizeof(cmd)) {
		fprintf(stderr, "lab: command too long\n");
		return -E2BIG;
	}
	p = popen(cmd, "r");
	if (!p) {
		fprintf(stderr, "lab: popen '%s': %s\n", cmd, strerror(errno));
		return -errno;
	}
	if (out && len) {
		n = fread(out, 1, len - 1, p);
		out[n] = '\0';
	}
	/* Drain whatever is left so the child never blocks on a full pipe. */
	while (fgetc(p) != EOF)
		;
	st = pclose(p);
	if (st < 0)
		return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int lab_sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int st;

	va_start(ap, fmt);
	if (vsnprintf(cmd, sizeof(cmd), fmt, ap) >= (int)sizeof(cmd)) {
		va_end(ap);
		return -E2BIG;
	}
	va_end(ap);
	st = system(cmd);
	if (st < 0)
		return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int lab_sh_out(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vsh(out, len, fmt, ap);
	va_end(ap);
	return ret;
}

long lab_value_of(const char *out, const char *line, const char *key)
{
	const char *l = strstr(out, line), *k, *eol;

	if (!l)
		return -1;
	eol = strchr(l, '\n');
	k = strstr(l, key);
	if (!k || (eol && k > eol))
		return -1;
	return strtol(k + strlen(key), NULL, 10);
}

int lab_read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

int lab_write_file(const char *path, const char *val)
{
	size_t len = strlen(val);
	ssize_t n;
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	if (close(fd) < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int lab_read_long(const char *path, long *val)
{
	char buf[64], *end;
	int ret = lab_read_file(path, buf, sizeof(buf));

	if (ret)
		return ret;
	errno = 0;
	*val = strtol(buf, &end, 0);
	if (errno || end == buf)
		return -EINVAL;
	return 0;
}

int lab_modprobe(const char *module)
{
	int st = lab_sh("modprobe %s", module);

	if (st) {
		fprintf(stderr, "lab: modprobe %s failed (%d)\n", module, st);
		return -ENOENT;
	}
	return 0;
}

int lab_sysfs_bind(const char *bdf, const char *driver)
{
	char path[PATH_MAX], drv[64];
	int ret, tries;

	ret = lab_driver_of(bdf, drv, sizeof(drv));
	if (ret)
		return ret;
	if (*driver && !strcmp(drv, driver))
		return 0;
	/* First, as the kernel documents: no other driver matches it then. */
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf);
	/* An empty write clears it ("\n": sysfs takes no zero-length write). */
	ret = lab_write_file(path, *driver ? driver : "\n");
	if (ret) {
		fprintf(stderr, "lab: %s: driver_override '%s': %s\n", bdf, driver, strerror(-ret));
		return ret;
	}
	/*
	 * A new VF's asynchronous probe by nvme, matched before the override,
	 * can still bind it, or let go of it between our look and the unbind
	 * (-ENODEV): both seen on 7.2.  Look, unbind, probe, look again.
	 */
	for (tries = 0; tries < 3; tries++) {
		if (*drv) {
			snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind", bdf);
			ret = lab_write_file(path, bdf);
			if (ret && ret != -ENODEV && ret != -ENOENT) {
				fprintf(stderr, "lab: %s: unbind from %s: %s\n", bdf, drv,
					strerror(-ret));
				return ret;
			}
		}
		if (!*driver)
			return 0;
		/* drivers_probe fails when no driver takes it: the look says so. */
		lab_write_file("/sys/bus/pci/drivers_probe", bdf);
		ret = lab_driver_of(bdf, drv, sizeof(drv));
		if (ret || !strcmp(drv, driver))
			return ret;
		usleep(100000);
		ret = lab_driver_of(bdf, drv, sizeof(drv));
		if (ret || !strcmp(drv, driver))
			return ret;
	}
	fprintf(stderr, "lab: %s did not bind to %s (bound to '%s'; see dmesg)\n",
		bdf, driver, drv);
	return -EIO;
}

int lab_driver_of(const char *bdf, char *drv, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0) {
		if (errno != ENOENT)
			return -errno;
		drv[0] = '\0';
		return 0;
	}
	target[n] = '\0';
	snprintf(drv, len, "%s", basename(target));
	return 0;
}

int lab_iommu_group(const char *bdf)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	return atoi(basename(target));
}

const char *lab_vfpost_ko(void)
{
	static char path[PATH_MAX];
	struct utsname u;

	if (uname(&u))
		return NULL;
	snprintf(path, sizeof(path), "%s/kmod/%s/vfpost.ko", lab_build_dir(), u.release);
	/* Not built here (an installed selftest tree): the installed module. */
	if (access(path, R_OK))
		snprintf(path, sizeof(path), "vfpost");
	return path;
}

int lab_insmod(const char *ko, const char *args)
{
	int fd, ret = 0;

	/* finit_module, not insmod through a shell: half a second less on debug. */
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || syscall(SYS_finit_module, fd, args, 0)) {
		ret = -errno;
		fprintf(stderr, "lab: insmod %s %s: %s (see dmesg)\n", ko, args, strerror(-ret));
	}
	if (fd >= 0)
		close(fd);
	return ret;
}

int lab_rmmod(const char *name, int wait_ms)
{
	int i, err;

	/* As rmmod does: O_NONBLOCK, the kernel never waits for the users. */
	for (i = 0; syscall(SYS_delete_module, name, O_NONBLOCK); i++) {
		err = errno;
		if (err == ENOENT)
			return 0;
		if (err == EWOULDBLOCK && i * 50 < wait_ms) {
			usleep(50000);
			continue;
		}
		if (err == EWOULDBLOCK)
			fprintf(stderr, "lab: rmmod %s: still in use after %d ms\n", name, wait_ms);
		else
			fprintf(stderr, "lab: rmmod %s: %s\n", name, strerror(err));
		return -err;
	}
	return 0;
}

int lab_test_module_load(const char *name, const char *args)
{
	char ko[PATH_MAX];
	struct utsname u;

	if (uname(&u))
		return -errno;
	snprintf(ko, sizeof(ko), "%s/selftests/kmod/%s/%s.ko", lab_build_dir(), u.release, name);
	if (access(ko, R_OK)) {
		fprintf(stderr, "lab: %s: not built (make selftests)\n", ko);
		return -ENOENT;
	}
	return lab_insmod(ko, args);
}

int lab_command(const char *bdf, uint16_t *cmd, bool write)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(path, (write ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "lab: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	n = write ? pwrite(fd, cmd, 2, 4) : pread(fd, cmd, 2, 4);
	close(fd);
	if (n != 2) {
		fprintf(stderr, "lab: %s: Command not %s\n", path, write ? "written" : "read");
		return -EIO;
	}
	return 0;
}

bool lab_pid_holds(int pid, const char *target)
{
	char dir[64], link[320], to[256];
	struct dirent *de;
	bool found = false;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	d = opendir(dir);
	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		ssize_t n;

		snprintf(link, sizeof(link), "%s/%s", dir, de->d_name);
		n = readlink(link, to, sizeof(to) - 1);
		if (n <= 0)
			continue;
		to[n] = '\0';
		found = !strcmp(to, target);
	}
	closedir(d);
	return found;
}
