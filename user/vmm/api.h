/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vibevmm's control socket (--api-socket PATH); see Documentation/vibevmm.rst.
 *
 * Protocol: one JSON object per line each way.  A request is
 *   {"command": NAME}  or  {"command": NAME, "arguments": {...}}
 * and its reply is
 *   {"ok": true, "result": ...}  or  {"ok": false, "error": "one line"}
 * Commands: list-devices, stats, shutdown, add-device (arguments: "bdf",
 * optional "irq_path" and "rom": "on" or "off"), remove-device (argument
 * "bdf", optional "timeout_ms").  A request that is not one
 * JSON object (malformed, trailing bytes, a NUL byte, nested deeper than
 * API_MAX_DEPTH), names no known command, or carries members the command
 * does not take gets an error reply and changes nothing.
 *
 * api_handle() is the parser and dispatcher, free of sockets (unit tests,
 * fuzzing); api_server_*() serve it on a Unix socket from one thread.
 */
#ifndef VIBEVMM_API_H
#define VIBEVMM_API_H

#include <stdbool.h>
#include <stddef.h>

#include "devices.h"

#define API_MAX_LINE	(64 * 1024)	/* request bytes, newline excluded */
#define API_MAX_DEPTH	8
#define API_MAX_CLIENTS	4
#define API_EJECT_MS	VMM_EJECT_MS	/* remove-device: default wait for the guest */
#define API_MAX_EJECT_MS VMM_MAX_EJECT_MS

/* What the commands act on; the VMM's are in main.c, the tests' fake. */
struct api_ops {
	/* Snapshot up to @max devices into @out; the count. */
	int (*devices)(void *ctx, struct vmm_device_info *out, int max);
	/* Stop the VM (the reply is sent before vibevmm exits). */
	void (*shutdown)(void *ctx);
	/*
	 * Add/remove the device at the normalized @bdf; @path an enum
	 * irq_path or -1 for the VM's; @opts what --vfio BDF,OPTS would give.
	 * 0, or -errno with one line in @err.
	 */
	int (*add_device)(void *ctx, const char *bdf, int path, const struct vfio_dev_opts *opts,
			  char *err, size_t errlen);
	/*
	 * Removal first asks the guest to eject and waits up to @timeout_ms;
	 * *@ejected: the guest released it (else it was detached by force).
	 */
	int (*remove_device)(void *ctx, const char *bdf, unsigned int timeout_ms, bool *ejected,
			     char *err, size_t errlen);
};

/*
 * Handle the request @line (@len bytes, no newline; need not be
 * NUL-terminated).  Returns the reply as a malloc'd NUL-terminated line
 * without its newline, or NULL when out of memory.
 */
char *api_handle(const struct api_ops *ops, void *ctx, const char *line, size_t len);
/* An error reply {"ok":false,"error":...} (malloc'd), or NULL. */
char *api_error_reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

struct api_server;

/*
 * Create the socket at @path (mode 0600): refuses to replace anything but
 * a stale socket (one nobody listens on), which it unlinks.  NULL after
 * one error line naming the path and what to do.
 */
struct api_server *api_server_open(const char *path);
/* Serve @ops from the server's own thread.  0, or -1 after one error line. */
int api_server_start(struct api_server *s, const struct api_ops *ops, void *ctx);
/* The directory fd the socket is unlinked through (for the seccomp filter). */
int api_server_dirfd(const struct api_server *s);
/* Stop the thread, close every connection, unlink the socket.  NULL: no-op. */
void api_server_close(struct api_server *s);

#endif
