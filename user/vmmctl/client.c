// SPDX-License-Identifier: GPL-2.0
/* vibevmm-ctl: requests, the exchange and the tables; see vmmctl.h. */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmmctl.h"

/* Each command and how many operands it takes (min, max). */
static const struct {
	const char *name;
	int min, max;
	const char *usage;
} commands[] = {
	{ "list-devices", 0, 0, "list-devices" },
	{ "stats", 0, 0, "stats" },
	{ "shutdown", 0, 0, "shutdown" },
	{ "add-device", 1, 2, "add-device BDF[,rom=on|off] [IRQ_PATH]" },
	{ "remove-device", 1, 2, "remove-device BDF [TIMEOUT_MS]" },
};

/*
 * add-device's BDF[,rom=on|off] (as vibevmm's --vfio) into @args' "bdf"
 * and "rom"; 0, or -1 with @err set.
 */
static int add_options(json_object *args, const char *val, char *err, size_t errlen)
{
	const char *comma = strchr(val, ','), *opt;
	char *bdf = strndup(val, comma ? (size_t)(comma - val) : strlen(val));

	if (!bdf) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	json_object_object_add(args, "bdf", json_object_new_string(bdf));
	free(bdf);
	for (opt = comma ? comma + 1 : NULL; opt; opt = comma ? comma + 1 : NULL) {
		size_t n;

		comma = strchr(opt, ',');
		n = comma ? (size_t)(comma - opt) : strlen(opt);
		if ((n == 6 && !strncmp(opt, "rom=on", 6)) || (n == 7 && !strncmp(opt, "rom=off", 7))) {
			json_object_object_add(args, "rom", json_object_new_string(n == 6 ? "on" : "off"));
			continue;
		}
		snprintf(err, errlen, "add-device: unknown device option '%.*s'; the one there is: rom=on or rom=off",
			 (int)n, opt);
		return -1;
	}
	return 0;
}

char *vmmctl_request(int argc, char **argv, char *err, size_t errlen)
{
	json_object *req, *args = NULL;
	char *s = NULL;
	unsigned int i;
	int n = argc - 1;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[0], commands[i].name))
			break;
	if (i == sizeof(commands) / sizeof(commands[0])) {
		snprintf(err, errlen, "unknown command '%s'; use list-devices, stats, shutdown, add-device or remove-device",
			 argv[0]);
		return NULL;
	}
	if (n < commands[i].min || n > commands[i].max) {
		snprintf(err, errlen, "%s: %s operands; usage: %s", argv[0],
			 n < commands[i].min ? "missing" : "too many", commands[i].usage);
		return NULL;
	}
	req = json_object_new_object();
	if (!req || json_object_object_add(req, "command", json_object_new_string(argv[0])))
		goto out;
	if (n) {
		args = json_object_new_object();
		if (!args || json_object_object_add(req, "arguments", args)) {
			json_object_put(args);
			goto out;
		}
		if (!strcmp(argv[0], "add-device")) {
			if (add_options(args, argv[1], err, errlen))
				goto out_err;
		} else {
			json_object_object_add(args, "bdf", json_object_new_string(argv[1]));
		}
		if (n > 1 && !strcmp(argv[0], "add-device")) {
			json_object_object_add(args, "irq_path", json_object_new_string(argv[2]));
		} else if (n > 1) {
			char *end;
			long long ms = strtoll(argv[2], &end, 10);

			if (!*argv[2] || *end || ms < 0) {
				snprintf(err, errlen, "%s: timeout '%s' is not a number of milliseconds",
					 argv[0], argv[2]);
				goto out_err;
			}
			json_object_object_add(args, "timeout_ms", json_object_new_int64(ms));
		}
	}
	s = strdup(json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN));
out:
	if (!s)
		snprintf(err, errlen, "out of memory");
out_err:
	json_object_put(req);
	return s;
}

static int send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= n;
	}
	return 0;
}

/* One line from @fd into a malloc'd string (newline dropped), or NULL. */
static char *read_line(int fd, char *err, size_t errlen)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *nl = NULL;

	while (buf && !nl) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;
		char *b;

		if (len + 1 >= cap) {
			if (cap >= VMMCTL_MAX_REPLY) {
				snprintf(err, errlen, "reply longer than %d bytes", VMMCTL_MAX_REPLY);
				goto fail;
			}
			b = realloc(buf, cap * 2);
			if (!b)
				break;
			buf = b;
			cap *= 2;
		}
		n = poll(&p, 1, VMMCTL_TIMEOUT_MS);
		if (n == 0) {
			snprintf(err, errlen, "no reply within %d s; is the VM stuck?",
				 VMMCTL_TIMEOUT_MS / 1000);
			goto fail;
		}
		if (n > 0)
			n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "reading the reply: %s", strerror(errno));
			goto fail;
		}
		if (n == 0) {
			snprintf(err, errlen, "vibevmm closed the connection without a reply");
			goto fail;
		}
		nl = memchr(buf + len, '\n', n);
		len += n;
	}
	if (!buf) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	*nl = '\0';
	return buf;
fail:
	free(buf);
	return NULL;
}

json_object *vmmctl_exchange(int fd, const char *req, char *err, size_t errlen)
{
	json_object *reply;
	char *line;
	int ret;

	ret = send_all(fd, req, strlen(req));
	if (!ret)
		ret = send_all(fd, "\n", 1);
	if (ret) {
		snprintf(err, errlen, "sending the request: %s", strerror(-ret));
		return NULL;
	}
	line = read_line(fd, err, errlen);
	if (!line)
		return NULL;
	reply = json_tokener_parse(line);
	if (!reply || !json_object_is_type(reply, json_type_object)) {
		snprintf(err, errlen, "vibevmm's reply is not a JSON object: %.80s", line);
		json_object_put(reply);
		reply = NULL;
	}
	free(line);
	return reply;
}

/* Member @key of @o as a string ("-" if absent or null). */
static const char *str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return "-";
	return json_object_get_string(v);
}

static bool yes(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

static long num(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? (long)json_object_get_int64(v) : 0;
}

static void print_list_row(FILE *f, json_object *d)
{
	fprintf(f, "%-13s %-8s %-9s %-12s %s\n", str(d, "bdf"), str(d, "guest"),
		str(d, "state"), str(d, "driver"), str(d, "irq_path"));
}

static void print_stats_row(FILE *f, json_object *d)
{
	json_object *cmd = NULL, *msix = NULL, *msi = NULL, *intx = NULL;
	char decode[16], vec[48];

	json_object_object_get_ex(d, "command", &cmd);
	json_object_object_get_ex(d, "msix", &msix);
	json_object_object_get_ex(d, "msi", &msi);
	json_object_object_get_ex(d, "intx", &intx);
	snprintf(decode, sizeof(decode), "%s%s%s", yes(cmd, "memory") ? "M" : "-",
		 yes(cmd, "io") ? "I" : "-", yes(cmd, "bus_master") ? "B" : "-");
	if (msix)
		snprintf(vec, sizeof(vec), "%s%s %ld/%ld/%ld/%ld",
			 yes(msix, "enabled") ? "on" : "off", yes(msix, "maskall") ? "+mask" : "",
			 num(msix, "vectors"), num(msix, "unmasked"), num(msix, "wired"),
			 num(msix, "irqfd"));
	else
		snprintf(vec, sizeof(vec), "-");
	fprintf(f, "%-13s %-8s %-9s %-8s %-6s %-26s %-4s %s\n", str(d, "bdf"), str(d, "guest"),
		str(d, "state"), str(d, "irq_path"), decode, vec,
		msi ? (yes(msi, "enabled") ? "on" : "off") : "-",
		intx ? (yes(intx, "enabled") ? "on" : "off") : "-");
}

int vmmctl_print(FILE *f, const char *cmd, json_object *result, char *err, size_t errlen)
{
	void (*row)(FILE *, json_object *) = NULL;
	size_t i, n;

	if (!strcmp(cmd, "list-devices")) {
		row = print_list_row;
		fprintf(f, "%-13s %-8s %-9s %-12s %s\n", "BDF", "GUEST", "STATE", "DRIVER",
			"IRQ-PATH");
	} else if (!strcmp(cmd, "stats")) {
		row = print_stats_row;
		fprintf(f, "%-13s %-8s %-9s %-8s %-6s %-26s %-4s %s\n", "BDF", "GUEST", "STATE",
			"IRQ-PATH", "DECODE", "MSI-X VEC/UNM/WIRED/IRQFD", "MSI", "INTX");
	} else if (!strcmp(cmd, "add-device")) {
		fprintf(f, "%s: added\n", str(result, "bdf"));
		return 0;
	} else if (!strcmp(cmd, "remove-device")) {
		fprintf(f, "%s\n", yes(result, "ejected") ? "ejected by the guest, removed" :
			"removed by force (the guest did not eject it in time)");
		return 0;
	} else {
		return 0;
	}
	if (!json_object_is_type(result, json_type_array)) {
		snprintf(err, errlen, "the reply to %s holds no device list", cmd);
		return -1;
	}
	n = json_object_array_length(result);
	for (i = 0; i < n; i++) {
		json_object *d = json_object_array_get_idx(result, i);

		if (!json_object_is_type(d, json_type_object)) {
			snprintf(err, errlen, "the reply to %s holds a device that is not an object",
				 cmd);
			return -1;
		}
		row(f, d);
	}
	return 0;
}
