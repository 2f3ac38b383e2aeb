// SPDX-License-Identifier: GPL-2.0
/*
 * vfpostctl commands (Documentation/man/vfpostctl.8.rst).
 *
 *   vfpostctl [-j] list [PF]        VFs (of one PF)
 *   vfpostctl [-j] show BDF         one VF in detail
 *   vfpostctl [-j] stats BDF        per-vector statistics (VF on vfpost)
 *   vfpostctl [-j] watch            lifecycle events, one per line
 *   vfpostctl [-j] claim BDF        bind the VF to vfpost
 *   vfpostctl [-j] release BDF      give it back to its previous driver
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "format.h"
#include "libvfpost.h"

#define MAX_VECTORS 2048

struct ctl {
	FILE *out, *err;
	bool json;
	bool pretty;
	bool first;
	unsigned int count;
};

static const char usage_text[] =
	"Usage: vfpostctl [-j] [-p] COMMAND [ARGS]\n"
	"\n"
	"Commands:\n"
	"  list [PF]      list SR-IOV VFs (of one PF) tracked by vfpost\n"
	"  show BDF       show one VF in detail\n"
	"  stats BDF      per-vector MSI-X statistics of a VF bound to vfpost\n"
	"                 (needs CAP_NET_ADMIN)\n"
	"  watch          print lifecycle events as they happen (Ctrl-C stops;\n"
	"                 needs CAP_NET_ADMIN)\n"
	"  claim BDF      bind a VF to the vfpost driver (needs CAP_SYS_ADMIN)\n"
	"  release BDF    give a claimed VF back to its previous driver\n"
	"                 (needs CAP_SYS_ADMIN)\n"
	"\n"
	"Options:\n"
	"  -j, --json     JSON output (watch: one JSON object per line)\n"
	"  -p, --pretty   JSON output, indented\n"
	"  -V, --version  print the version and exit\n"
	"  -h, --help     this help\n"
	"\n"
	"BDF is a PCI address as sysfs names it (0000:00:03.1) or lspci's short\n"
	"form (00:03.1).\n"
	"\n"
	"Exit status: 0 done, 1 the command failed (the module refused it or is\n"
	"not loaded), 2 usage error.\n";

static int fail_open(struct ctl *c, int err)
{
	fprintf(c->err, "vfpostctl: %s\n", vfpost_strerror(err));
	return 1;
}

static int fail(struct ctl *c, struct vfpost *h)
{
	fprintf(c->err, "vfpostctl: %s\n", vfpost_errmsg(h));
	vfpost_close(h);
	return 1;
}

static int check_bdf(struct ctl *c, const char *bdf)
{
	char b[VFPOST_BDF_LEN];

	if (vfpost_parse_bdf(bdf, b)) {
		fprintf(c->err,
			"vfpostctl: '%s' is not a PCI address (expected dddd:bb:dd.f, e.g. 0000:00:03.1)\n",
			bdf);
		return 2;
	}
	return 0;
}

static int list_one(const struct vfpost_vf *vf, void *arg)
{
	struct ctl *c = arg;

	if (c->json) {
		fputs(c->first ? "" : ",", c->out);
		fmt_vf_json(c->out, vf);
	} else {
		if (c->first)
			fmt_vf_table_header(c->out);
		fmt_vf_table_row(c->out, vf);
	}
	c->first = false;
	c->count++;
	return 0;
}

/*
 * The rows go to a buffer first and to the output only once the dump is
 * over: a failed list prints its error line and never half a table.  With
 * -j it always prints one complete array: the VFs received before the
 * failure (none if the module could not be reached), and exits 1.
 */
static int cmd_list(struct ctl *c, const char *pf)
{
	FILE *out = c->out;
	struct vfpost *h;
	size_t len = 0;
	char *buf = NULL;
	int err, ret;

	if (pf && check_bdf(c, pf))
		return 2;
	h = vfpost_open(&err);
	if (!h) {
		if (c->json)
			fputs("[]\n", out);
		return fail_open(c, err);
	}
	c->out = open_memstream(&buf, &len);
	if (!c->out) {
		c->out = out;
		ret = -ENOMEM;
	} else {
		c->first = true;
		ret = vfpost_vf_list(h, pf, list_one, c);
		/* Rows lost to a failed buffer: none rather than half of one. */
		if (fclose(c->out)) {
			free(buf);
			buf = NULL;
			ret = ret ?: -ENOMEM;
		}
		c->out = out;
	}
	if (c->json)
		fprintf(out, "[%s]\n", buf ? buf : "");
	else if (!ret && c->count)
		fputs(buf, out);
	else if (!ret)
		fprintf(out, "no SR-IOV VFs%s%s\n", pf ? " on " : "",
			pf ? pf : "");
	free(buf);
	if (ret == -ENOMEM && !vfpost_errmsg(h)[0]) {
		fprintf(c->err, "vfpostctl: out of memory\n");
		vfpost_close(h);
		return 1;
	}
	if (ret)
		return fail(c, h);
	vfpost_close(h);
	return 0;
}

enum vf_op { OP_SHOW, OP_CLAIM, OP_RELEASE };

static int cmd_vf(struct ctl *c, enum vf_op op, const char *bdf)
{
	struct vfpost_vf vf;
	struct vfpost *h;
	int err, ret;

	if (check_bdf(c, bdf))
		return 2;
	h = vfpost_open(&err);
	if (!h)
		return fail_open(c, err);
	if (op == OP_CLAIM)
		ret = vfpost_claim(h, bdf, &vf);
	else if (op == OP_RELEASE)
		ret = vfpost_release(h, bdf, &vf);
	else
		ret = vfpost_vf_get(h, bdf, &vf);
	if (ret)
		return fail(c, h);
	if (c->json) {
		fmt_vf_json(c->out, &vf);
		fputc('\n', c->out);
	} else if (op == OP_SHOW) {
		fmt_vf_detail(c->out, &vf);
	} else if (op == OP_CLAIM) {
		fprintf(c->out, "%s claimed: bound to vfpost (was %s)\n",
			vf.bdf, vf.prev_driver[0] ? vf.prev_driver : "unbound");
	} else {
		fprintf(c->out, "%s released: %s\n", vf.bdf,
			vf.driver[0] ? vf.driver : "unbound");
	}
	vfpost_close(h);
	return 0;
}

static int cmd_stats(struct ctl *c, const char *bdf)
{
	struct vfpost_vector *vec;
	struct timespec now;
	struct vfpost_vf vf;
	uint64_t now_ns;
	struct vfpost *h;
	int err, n;

	if (check_bdf(c, bdf))
		return 2;
	h = vfpost_open(&err);
	if (!h)
		return fail_open(c, err);
	vec = calloc(MAX_VECTORS, sizeof(*vec));
	if (!vec) {
		fprintf(c->err, "vfpostctl: out of memory\n");
		vfpost_close(h);
		return 1;
	}
	n = vfpost_vf_stats(h, bdf, &vf, vec, MAX_VECTORS);
	if (n < 0) {
		free(vec);
		return fail(c, h);
	}
	if (n > MAX_VECTORS)
		n = MAX_VECTORS;
	/* The posting decisions' times are CLOCK_BOOTTIME. */
	if (clock_gettime(CLOCK_BOOTTIME, &now)) {
		fprintf(c->err, "vfpostctl: clock_gettime(CLOCK_BOOTTIME): %s\n",
			strerror(errno));
		free(vec);
		vfpost_close(h);
		return 1;
	}
	now_ns = (uint64_t)now.tv_sec * 1000000000ull + now.tv_nsec;
	if (c->json) {
		fputs("{\"bdf\":", c->out);
		fmt_json_str(c->out, vf.bdf);
		fputs(",\"vectors\":", c->out);
		fmt_vectors_json(c->out, vec, n, now_ns);
		fputs("}\n", c->out);
	} else if (!n) {
		fprintf(c->out, "%s: no MSI-X vectors attached\n", vf.bdf);
	} else {
		fmt_vectors_table(c->out, vec, n, now_ns);
	}
	free(vec);
	vfpost_close(h);
	return 0;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

/* One event as JSON, indented with -p. */
static void watch_json(struct ctl *c, const struct vfpost_event *ev)
{
	size_t len = 0;
	char *buf = NULL;
	FILE *f;

	f = c->pretty ? open_memstream(&buf, &len) : NULL;
	if (!f) {
		fmt_event_json(c->out, ev);
		return;
	}
	fmt_event_json(f, ev);
	if (!fclose(f))
		fmt_json_pretty(c->out, buf, len);
	else
		fmt_event_json(c->out, ev);
	free(buf);
}

static void watch_one(const struct vfpost_event *ev, void *arg)
{
	struct ctl *c = arg;

	if (c->json)
		watch_json(c, ev);
	else
		fmt_event_line(c->out, ev);
	fflush(c->out);
}

static int cmd_watch(struct ctl *c)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct vfpost_events *e;
	int err, ret;

	e = vfpost_events_open(watch_one, c, &err);
	if (!e && err == -EPERM) {
		fprintf(c->err, "vfpostctl: watch: %s: joining the lifecycle group needs CAP_NET_ADMIN\n",
			strerror(EPERM));
		return 1;
	}
	if (!e)
		return fail_open(c, err);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!stop) {
		ret = vfpost_events_wait(e, 1000);
		if (ret < 0 && ret != -EINTR) {
			fprintf(c->err, "vfpostctl: %s\n",
				vfpost_events_errmsg(e));
			vfpost_events_close(e);
			return 1;
		}
	}
	/* Print what arrived before the signal. */
	vfpost_events_process(e);
	vfpost_events_close(e);
	return 0;
}

static const struct option long_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "pretty", no_argument, NULL, 'p' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int need_args(struct ctl *c, const char *cmd, int have, int min,
		     int max)
{
	if (have < min || have > max) {
		fprintf(c->err,
			"vfpostctl: '%s' takes %s%s argument%s (see vfpostctl --help)\n",
			cmd, min == max ? "" : "at most ",
			max ? (max == 1 ? "one" : "two") : "no",
			max == 1 ? "" : "s");
		return 2;
	}
	return 0;
}

static int run_cmd(struct ctl *c, const char *cmd, int n, char **argv)
{
	if (!strcmp(cmd, "list"))
		return need_args(c, cmd, n, 0, 1) ?: cmd_list(c, n ? argv[0] : NULL);
	if (!strcmp(cmd, "show"))
		return need_args(c, cmd, n, 1, 1) ?: cmd_vf(c, OP_SHOW, argv[0]);
	if (!strcmp(cmd, "claim"))
		return need_args(c, cmd, n, 1, 1) ?: cmd_vf(c, OP_CLAIM, argv[0]);
	if (!strcmp(cmd, "release"))
		return need_args(c, cmd, n, 1, 1) ?:
			cmd_vf(c, OP_RELEASE, argv[0]);
	if (!strcmp(cmd, "stats"))
		return need_args(c, cmd, n, 1, 1) ?: cmd_stats(c, argv[0]);
	if (!strcmp(cmd, "watch"))
		return need_args(c, cmd, n, 0, 0) ?: cmd_watch(c);
	if (!strcmp(cmd, "help")) {
		fputs(usage_text, c->out);
		return 0;
	}
	fprintf(c->err, "vfpostctl: unknown command '%s' (see vfpostctl --help)\n",
		cmd);
	return 2;
}

/*
 * -p: the command writes compact JSON to a buffer, re-indented here
 * (watch indents each event as it comes).
 */
static int run_pretty(struct ctl *c, const char *cmd, int n, char **argv)
{
	FILE *out = c->out;
	size_t len = 0;
	char *buf = NULL;
	int ret;

	if (!strcmp(cmd, "watch") || !strcmp(cmd, "help"))
		return run_cmd(c, cmd, n, argv);
	c->out = open_memstream(&buf, &len);
	if (!c->out) {
		fprintf(c->err, "vfpostctl: out of memory\n");
		return 1;
	}
	ret = run_cmd(c, cmd, n, argv);
	if (fclose(c->out)) {
		free(buf);
		fprintf(c->err, "vfpostctl: out of memory\n");
		return 1;
	}
	fmt_json_pretty(out, buf, len);
	free(buf);
	c->out = out;
	return ret;
}

int vfpostctl_main(int argc, char **argv, FILE *out, FILE *err)
{
	struct ctl c = { .out = out, .err = err };
	const char *cmd;
	int opt, n;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+jpVh", long_opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			c.json = true;
			break;
		case 'p':
			c.json = true;
			c.pretty = true;
			break;
		case 'V':
			fprintf(out, "vfpostctl %s (libvfpost %s)\n",
				LIBVFPOST_VERSION, vfpost_version());
			return 0;
		case 'h':
			fputs(usage_text, out);
			return 0;
		default:
			fprintf(err,
				"vfpostctl: unknown option '%s' (see vfpostctl --help)\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(err, "vfpostctl: no command given (see vfpostctl --help)\n");
		return 2;
	}
	cmd = argv[optind];
	n = argc - optind - 1;
	argv += optind + 1;
	if (c.pretty)
		return run_pretty(&c, cmd, n, argv);
	return run_cmd(&c, cmd, n, argv);
}
