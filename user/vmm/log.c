// SPDX-License-Identifier: GPL-2.0
/* vibevmm logging: one line per message on stderr, filtered by --log. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
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

bool log_ratelimit(struct log_ratelimit *rl, uint64_t now_ms, unsigned int *missed)
{
	*missed = 0;
	if (!rl->started || now_ms - rl->begin_ms >= LOG_RL_INTERVAL_MS) {
		*missed = rl->missed;
		rl->started = true;
		rl->begin_ms = now_ms;
		rl->printed = 0;
		rl->missed = 0;
	}
	if (rl->printed < LOG_RL_BURST) {
		rl->printed++;
		return true;
	}
	rl->missed++;
	return false;
}

static pthread_mutex_t rl_lock = PTHREAD_MUTEX_INITIALIZER;

bool log_ratelimit_now(struct log_ratelimit *rl, const char *site)
{
	struct timespec ts;
	unsigned int missed;
	bool ok;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	pthread_mutex_lock(&rl_lock);
	ok = log_ratelimit(rl, (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, &missed);
	pthread_mutex_unlock(&rl_lock);
	if (missed)
		log_msg(LOG_WARN, "%s: %u messages suppressed", site, missed);
	return ok;
}
