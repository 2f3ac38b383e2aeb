// SPDX-License-Identifier: GPL-2.0
/* vibevmm logging: one line per message on stderr, filtered by --log. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

int log_level = LOG_INFO;

void log_msg(int level, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	if (level > log_level)
		return;
	n = snprintf(buf, sizeof(buf), "vibevmm: ");
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	/*
	 * The terminal may be in raw mode (--console): end lines with CR LF so
	 * messages start at column 0.  One write() keeps lines from different
	 * threads whole.
	 */
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (isatty(STDERR_FILENO))
		buf[n++] = '\r';
	buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, n) < 0)
		return;
}
