// SPDX-License-Identifier: GPL-2.0
/*
 * vibevmm-ctl: talk to a running vibevmm through its control socket.
 *
 *   vibevmm-ctl [-j] -s PATH COMMAND [OPERAND...]
 *
 * Exit status: 0 done; 1 vibevmm answered with an error, or the socket
 * cannot be reached; 2 bad command line.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmmctl.h"

#ifndef LIBVFPOST_VERSION
#define LIBVFPOST_VERSION "unknown"
#endif

static void usage(FILE *f)
{
	fprintf(f,
"Usage: vibevmm-ctl [-j] [-s PATH] COMMAND [OPERAND...]\n"
"Talk to a running vibevmm through its control socket (--api-socket).\n"
"\n"
"Commands:\n"
"  list-devices   the passthrough devices: host BDF, guest slot, state,\n"
"                 host driver, interrupt path\n"
"  stats          per device: interrupt path, config decode bits, MSI-X\n"
"                 vectors (table size/unmasked/wired/by irqfd), MSI, INTx\n"
"  shutdown       stop the VM; vibevmm exits with status 0\n"
"  add-device BDF[,rom=on|off] [IRQ_PATH]\n"
"                 add the host device BDF to the running VM (IRQ_PATH:\n"
"                 auto, vfpost, vfio or relay; default vibevmm's --irq-path;\n"
"                 rom=off hides its ROM BAR, as with --vfio)\n"
"  remove-device BDF [TIMEOUT_MS]\n"
"                 ask the guest to eject BDF, wait up to TIMEOUT_MS (default\n"
"                 10000) for it, else detach by force; then reset and given\n"
"                 back to the host\n"
"\n"
"Options:\n"
"  -s, --socket PATH  the control socket (default: $VIBEVMM_SOCKET)\n"
"  -j, --json         print the reply's result as JSON\n"
"  -h, --help         show this help and exit\n"
"  -V, --version      show the version and exit\n"
"\n"
"Exit status: 0 done, 1 error reply or socket unreachable, 2 bad usage.\n");
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "vibevmm-ctl: socket path %s is too long (max %zu bytes)\n",
			path, sizeof(sa.sun_path) - 1);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "vibevmm-ctl: socket: %s\n", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "vibevmm-ctl: %s: %s; is vibevmm running with --api-socket %s?\n",
			path, strerror(errno), path);
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = getenv("VIBEVMM_SOCKET"), *cmd;
	json_object *reply, *ok = NULL, *result = NULL, *msg = NULL;
	bool json = false;
	char err[512], *req;
	int c, fd, ret = 1;

	while ((c = getopt_long(argc, argv, "+s:jhV", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			path = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("vibevmm-ctl %s\n", LIBVFPOST_VERSION);
			return 0;
		default:
			fprintf(stderr, "vibevmm-ctl: see vibevmm-ctl --help\n");
			return 2;
		}
	}
	if (optind == argc) {
		fprintf(stderr, "vibevmm-ctl: no command; give one of list-devices, stats, shutdown, add-device, remove-device\n");
		return 2;
	}
	if (!path || !*path) {
		fprintf(stderr, "vibevmm-ctl: no socket; give -s PATH (vibevmm's --api-socket) or set VIBEVMM_SOCKET\n");
		return 2;
	}
	cmd = argv[optind];
	req = vmmctl_request(argc - optind, argv + optind, err, sizeof(err));
	if (!req) {
		fprintf(stderr, "vibevmm-ctl: %s\n", err);
		return 2;
	}
	fd = connect_to(path);
	if (fd < 0) {
		free(req);
		return 1;
	}
	reply = vmmctl_exchange(fd, req, err, sizeof(err));
	close(fd);
	free(req);
	if (!reply) {
		fprintf(stderr, "vibevmm-ctl: %s: %s\n", path, err);
		return 1;
	}
	json_object_object_get_ex(reply, "ok", &ok);
	json_object_object_get_ex(reply, "result", &result);
	json_object_object_get_ex(reply, "error", &msg);
	if (!json_object_get_boolean(ok)) {
		fprintf(stderr, "vibevmm-ctl: %s: vibevmm: %s\n", cmd,
			msg ? json_object_get_string(msg) : "error without a message");
	} else if (json) {
		printf("%s\n", json_object_to_json_string_ext(result, JSON_C_TO_STRING_PLAIN));
		ret = 0;
	} else if (vmmctl_print(stdout, cmd, result, err, sizeof(err))) {
		fprintf(stderr, "vibevmm-ctl: %s: %s\n", cmd, err);
	} else {
		ret = 0;
	}
	json_object_put(reply);
	if (!ret && fflush(stdout)) {
		fprintf(stderr, "vibevmm-ctl: writing the output: %s\n", strerror(errno));
		ret = 1;
	}
	return ret;
}
