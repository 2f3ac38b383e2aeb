/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vibevmm-ctl: the client of vibevmm's control socket (--api-socket).
 * client.c holds what the unit tests reach: the request for a command,
 * the exchange over a connected socket and the table printers.
 */
#ifndef VIBEVMM_CTL_H
#define VIBEVMM_CTL_H

#include <stddef.h>
#include <stdio.h>
#include <json.h>

#define VMMCTL_MAX_REPLY	(16 << 20)
#define VMMCTL_TIMEOUT_MS	30000

/*
 * The request line (no newline) for the command @argv[0] and its operands,
 * or NULL after an error in @err.
 */
char *vmmctl_request(int argc, char **argv, char *err, size_t errlen);
/*
 * Send @req and a newline on @fd, read one reply line and parse it.
 * The reply object, or NULL with one line in @err.
 */
json_object *vmmctl_exchange(int fd, const char *req, char *err, size_t errlen);
/*
 * Print the result of a successful reply to @cmd as a table (or nothing
 * for commands without one).  0, or -1 if the result is not what @cmd
 * returns (an error line in @err).
 */
int vmmctl_print(FILE *f, const char *cmd, json_object *result, char *err, size_t errlen);

#endif
