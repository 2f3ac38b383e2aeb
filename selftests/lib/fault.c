// SPDX-License-Identifier: GPL-2.0
/* Fault injection through vfpost_fault.ko; see fault.h. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "fault.h"
#include "lab.h"

#define PARAM "/sys/module/vfpost_fault/parameters/"

int fault_load(const char *func)
{
	char ko[PATH_MAX];
	struct utsname u;

	if (uname(&u))
		return -errno;
	snprintf(ko, sizeof(ko), "%s/selftests/kmod/%s/vfpost_fault.ko",
		 getenv("BUILD") ? getenv("BUILD") : "build", u.release);
	if (access(ko, R_OK)) {
		fprintf(stderr, "fault: %s: not built (make selftests)\n", ko);
		return -ENOENT;
	}
	fault_unload();
	if (lab_sh("insmod %s func=%s", ko, func)) {
		fprintf(stderr, "fault: insmod %s func=%s failed\n", ko, func);
		return -EIO;
	}
	return 0;
}

int fault_unload(void)
{
	if (access("/sys/module/vfpost_fault", F_OK))
		return 0;
	return lab_sh("rmmod vfpost_fault") ? -EBUSY : 0;
}

static int param_write(const char *name, long val)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), PARAM "%s", name);
	snprintf(buf, sizeof(buf), "%ld", val);
	return lab_write_file(path, buf);
}

int fault_arm(int nth, int err)
{
	int ret = param_write("pid", getpid());

	if (!ret)
		ret = param_write("error", err);
	/* Last: writing nth restarts the count. */
	if (!ret)
		ret = param_write("nth", nth);
	return ret;
}

int fault_disarm(void)
{
	return param_write("nth", 0);
}

int fault_delay_all(int ms)
{
	int ret = param_write("nth", 0);

	if (!ret)
		ret = param_write("delay_ms", ms);
	if (!ret)
		ret = param_write("pid", ms ? -1 : 0);
	return ret;
}

long fault_injected(void)
{
	long n;
	int ret = lab_read_long(PARAM "injected", &n);

	return ret ? ret : n;
}
