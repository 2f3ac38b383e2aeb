// SPDX-License-Identifier: GPL-2.0
/* Fault injection: fail-nth or vfpost_fault.ko; see fault.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"
#include "lab.h"

#define PARAM		"/sys/module/vfpost_fault/parameters/"
#define DEBUGFS		"/sys/kernel/debug"
#define FAIL_FUNCTION	DEBUGFS "/fail_function"
#define FAILSLAB	DEBUGFS "/failslab"
#define FAIL_NTH	"/proc/thread-self/fail-nth"

/*
 * Debian's kernels: the allocators a module calls directly (kzalloc,
 * kmalloc, kvcalloc, alloc_skb/genlmsg_new), as they are named on 6.1 and
 * on 6.12.  Without fault_only_from(), they fail for any caller.
 */
static const char *const kprobe_slab[] = {
	"kmalloc_trace,__kmalloc,kvmalloc_node,__alloc_skb",
	"__kmalloc_cache_noprof,__kmalloc_noprof,__kvmalloc_node_noprof,__alloc_skb",
};
/* How deep failslab looks for the module's frame: its direct callers. */
#define FAILSLAB_DEPTH	"6"

static enum { NONE, FAIL_NTH_BACKEND, KPROBE_BACKEND } backend;
static char fn_name[128];	/* fail_function's current target */
static bool slab, armed;
static long nth_injected, injected_at_arm;

static bool in_kallsyms(const char *sym)
{
	char line[256], name[128];
	bool found = false;
	FILE *f = fopen("/proc/kallsyms", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%*s %*s %127s", name) == 1 && !strcmp(name, sym);
	fclose(f);
	return found;
}

/* Whether @func is one fail_function can inject into. */
static bool fail_function_can(const char *func)
{
	char cmd[192];

	if (access(FAIL_FUNCTION "/injectable", R_OK) || access(FAIL_NTH, W_OK))
		return false;
	snprintf(cmd, sizeof(cmd), "grep -q '^%s\\b' " FAIL_FUNCTION "/injectable", func);
	return lab_sh("%s", cmd) == 0;
}

static int debugfs_mounted(void)
{
	if (!access(DEBUGFS "/fail_function", F_OK) || !access(FAILSLAB, F_OK))
		return 0;
	return lab_sh("mount -t debugfs none " DEBUGFS " 2>/dev/null") ? -ENOENT : 0;
}

/*
 * The kernel's own attributes: probability 0 and task-filter on, so nothing
 * fails but the fail-nth of the thread that asks (lib/fault-inject.c checks
 * fail-nth before anything else).
 */
static int attr_quiet(const char *dir)
{
	char path[128];
	static const char *const set[][2] = {
		{ "probability", "0" }, { "task-filter", "Y" }, { "verbose", "0" },
		{ "times", "-1" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(set) / sizeof(set[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, set[i][0]);
		if (lab_write_file(path, set[i][1]))
			return -EIO;
	}
	return 0;
}

/*
 * failslab as the kernel boots it: any caller (no stack range) and sleeping
 * allocations left alone.  These settings outlive the test process (each
 * harness test is a process of its own), and fail-nth counts the fault
 * points of every attribute: a range or ignore-gfp-wait=N left behind by an
 * earlier test would change what a later one counts, so fault_load() and
 * fault_unload() put them back.  Start first: while the two are written the
 * range only widens.
 */
static int failslab_neutral(void)
{
	static const char *const set[][2] = {
		{ "require-start", "0" }, { "require-end", "0xffffffffffffffff" },
		{ "stacktrace-depth", "32" },
	};
	unsigned int i;

	if (access(FAILSLAB, F_OK))
		return 0;
	if (lab_write_file(FAILSLAB "/ignore-gfp-wait", "Y"))
		return -EIO;
	if (access(FAILSLAB "/require-start", W_OK))	/* no stack filter */
		return 0;
	for (i = 0; i < sizeof(set) / sizeof(set[0]); i++) {
		char path[128];

		snprintf(path, sizeof(path), FAILSLAB "/%s", set[i][0]);
		if (lab_write_file(path, set[i][1]))
			return -EIO;
	}
	return 0;
}

static int load_fail_nth(const char *func)
{
	if (slab) {
		/* GFP_KERNEL allocations too, not only atomic ones. */
		if (attr_quiet(FAILSLAB) ||
		    lab_write_file(FAILSLAB "/ignore-gfp-wait", "N"))
			return -EIO;
	} else {
		if (attr_quiet(FAIL_FUNCTION) ||
		    lab_write_file(FAIL_FUNCTION "/inject", func))
			return -EIO;
		snprintf(fn_name, sizeof(fn_name), "%s", func);
	}
	backend = FAIL_NTH_BACKEND;
	return 0;
}

static int load_kprobe(const char *func)
{
	char args[256];
	int ret;

	/* The allocators fail with NULL. */
	if (slab)
		func = in_kallsyms("kmalloc_trace") ? kprobe_slab[0] : kprobe_slab[1];
	snprintf(args, sizeof(args), "func=%s error=%d", func, slab ? 0 : -ENOMEM);
	ret = lab_test_module_load("vfpost_fault", args);
	if (!ret)
		backend = KPROBE_BACKEND;
	return ret;
}

int fault_load(const char *func)
{
	fault_unload();
	slab = !strcmp(func, FAULT_SLAB);
	nth_injected = 0;
	armed = false;
	if (!debugfs_mounted() && failslab_neutral())
		return -EIO;
	if (!debugfs_mounted() && !access(FAIL_NTH, W_OK) &&
	    (slab ? !access(FAILSLAB, F_OK) : fail_function_can(func)))
		return load_fail_nth(func);
	return load_kprobe(func);
}

int fault_unload(void)
{
	int ret = 0;

	if (backend == FAIL_NTH_BACKEND) {
		fault_disarm();
		if (fn_name[0] &&
		    lab_write_file(FAIL_FUNCTION "/inject", ""))
			ret = -EIO;
		fn_name[0] = '\0';
		if (failslab_neutral())
			ret = -EIO;
	}
	backend = NONE;
	if (lab_rmmod("vfpost_fault", 0))
		ret = -EBUSY;
	return ret;
}

static int load_real_vf(const char *bdf, bool no_soft_reset)
{
	char args[96];

	fault_unload();
	snprintf(args, sizeof(args), "func= no_mse=%s%s", bdf,
		 no_soft_reset ? " no_soft_reset=1" : "");
	return lab_test_module_load("vfpost_fault", args);
}

int fault_no_mse(const char *bdf)
{
	return load_real_vf(bdf, false);
}

int fault_no_soft_reset(const char *bdf)
{
	return load_real_vf(bdf, true);
}

long fault_count(const char *name)
{
	char path[128];
	long n;
	int ret;

	snprintf(path, sizeof(path), PARAM "%s", name);
	ret = lab_read_long(path, &n);
	return ret ? ret : n;
}

long fault_mse_count(const char *what)
{
	char name[32];

	snprintf(name, sizeof(name), "mse_%s", what);
	return fault_count(name);
}

static int param_write_str(const char *name, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), PARAM "%s", name);
	return lab_write_file(path, val);
}

static int param_write(const char *name, long val)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld", val);
	return param_write_str(name, buf);
}

/* The core of @module as [start, end), from /proc/modules. */
static int module_range(const char *module, unsigned long *start, unsigned long *end)
{
	char line[512], name[64];
	unsigned long size, base;
	int found = 0;
	FILE *f = fopen("/proc/modules", "re");

	if (!f)
		return -errno;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%63s %lu %*s %*s %*s %lx", name, &size, &base) == 3 &&
			!strcmp(name, module);
	fclose(f);
	if (!found || !base) {
		fprintf(stderr, "fault: module %s not loaded (or no address: run as root)\n",
			module);
		return -ENOENT;
	}
	*start = base;
	*end = base + size;
	return 0;
}

int fault_only_from(const char *module, bool beneath)
{
	unsigned long start = 0, end = 0;
	char val[32];
	int ret = module ? module_range(module, &start, &end) : 0;

	if (ret)
		return ret;
	/*
	 * failslab filters by stack only with FAULT_INJECTION_STACKTRACE_FILTER
	 * (require-start); without it, the kprobe module filters instead.
	 */
	if (backend == FAIL_NTH_BACKEND && slab &&
	    access(FAILSLAB "/require-start", W_OK)) {
		fault_unload();
		slab = true;
		ret = load_kprobe(FAULT_SLAB);
		if (ret)
			return ret;
	}
	if (backend == KPROBE_BACKEND) {
		/* End first, so the range is never half set. */
		ret = param_write("caller_end", 0);
		if (!ret)
			ret = param_write("caller_depth", beneath ? 32 : 0);
		snprintf(val, sizeof(val), "%lu", start);
		if (!ret)
			ret = param_write_str("caller_start", val);
		snprintf(val, sizeof(val), "%lu", end);
		if (!ret && end)
			ret = param_write_str("caller_end", val);
		return ret;
	}
	if (backend != FAIL_NTH_BACKEND)
		return -EINVAL;
	/* failslab's stack filter: the module within the nearest frames. */
	if (!module)
		end = ~0ul;
	snprintf(val, sizeof(val), "%#lx", start);
	if (lab_write_file(FAILSLAB "/require-start", val))
		return -EIO;
	snprintf(val, sizeof(val), "%#lx", end);
	if (lab_write_file(FAILSLAB "/require-end", val) ||
	    lab_write_file(FAILSLAB "/stacktrace-depth",
			   module && !beneath ? FAILSLAB_DEPTH : "32"))
		return -EIO;
	return 0;
}

const char *fault_backend(void)
{
	return backend == FAIL_NTH_BACKEND ? "fail-nth" :
	       backend == KPROBE_BACKEND ? "kprobe" : "none";
}


int fault_arm(int nth, int err)
{
	char path[sizeof(FAIL_FUNCTION) + sizeof(fn_name) + 8], buf[32];
	int ret;

	if (backend == FAIL_NTH_BACKEND) {
		if (fn_name[0]) {
			snprintf(path, sizeof(path), FAIL_FUNCTION "/%s/retval", fn_name);
			snprintf(buf, sizeof(buf), "%d", err);
			if (lab_write_file(path, buf))
				return -EIO;
		}
		snprintf(buf, sizeof(buf), "%d", nth);
		ret = lab_write_file(FAIL_NTH, buf);
		armed = !ret;
		return ret;
	}
	injected_at_arm = fault_injected();
	ret = param_write("pid", getpid());
	if (!ret)
		ret = param_write("error", slab ? 0 : err);
	/* Last: writing nth restarts the count. */
	if (!ret)
		ret = param_write("nth", nth);
	armed = !ret;
	return ret;
}

/* fail-nth reads 0 once its failure was injected. */
static bool fail_nth_fired(void)
{
	long left;

	return armed && !lab_read_long(FAIL_NTH, &left) && left == 0;
}

bool fault_disarm(void)
{
	bool fired;

	if (backend == FAIL_NTH_BACKEND) {
		fired = fail_nth_fired();
		lab_write_file(FAIL_NTH, "0");
		nth_injected += fired;
		armed = false;
		return fired;
	}
	param_write("nth", 0);
	fired = armed && fault_injected() != injected_at_arm;
	armed = false;
	return fired;
}

int fault_delay_all(int ms)
{
	char func[sizeof(fn_name)];
	int ret;

	/* fail_function cannot delay a call: delays always take the kprobe. */
	if (backend == FAIL_NTH_BACKEND && !slab) {
		snprintf(func, sizeof(func), "%s", fn_name);
		fault_unload();
		ret = load_kprobe(func);
		if (ret)
			return ret;
	}
	ret = param_write("nth", 0);

	if (!ret)
		ret = param_write("delay_ms", ms);
	if (!ret)
		ret = param_write("pid", ms ? -1 : 0);
	return ret;
}

long fault_injected(void)
{
	long n;
	int ret;

	if (backend == FAIL_NTH_BACKEND)
		return nth_injected + fail_nth_fired();
	ret = lab_read_long(PARAM "injected", &n);
	return ret ? ret : n;
}
