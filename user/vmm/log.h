/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vibevmm logging.  --log 0..4 selects how much is printed on stderr:
 * 0 errors only, 1 warnings, 2 notices/info (default), 3 verbose, 4 debug.
 * Every line is prefixed with "vibevmm: ".
 */
#ifndef VIBEVMM_LOG_H
#define VIBEVMM_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum {
	LOG_ERR = 0,
	LOG_WARN = 1,
	LOG_INFO = 2,
	LOG_VERBOSE = 3,
	LOG_DEBUG = 4,
};

extern int log_level;

void log_msg(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Rate limiting, for every line a guest can trigger: each call site prints
 * at most LOG_RL_BURST lines per LOG_RL_INTERVAL_MS; the first line it
 * prints after a quiet interval is preceded by "<site>: N messages
 * suppressed".  log_ratelimit() is the policy (clock given, for tests);
 * log_rl() is the call site.
 */
#define LOG_RL_BURST		10
#define LOG_RL_INTERVAL_MS	5000

struct log_ratelimit {
	bool started;
	uint64_t begin_ms;	/* start of the current interval */
	unsigned int printed, missed;
};

/* May a line be printed at @now_ms?  *@missed: lines suppressed before. */
bool log_ratelimit(struct log_ratelimit *rl, uint64_t now_ms, unsigned int *missed);
/* Thread-safe log_ratelimit() on CLOCK_MONOTONIC; reports what was missed. */
bool log_ratelimit_now(struct log_ratelimit *rl, const char *site);

#define log_rl(level, ...) do {						\
	static struct log_ratelimit rl_;				\
									\
	if ((level) <= log_level && log_ratelimit_now(&rl_, __func__))	\
		log_msg(level, __VA_ARGS__);				\
} while (0)

#define log_err(...)	log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define log_verbose(...) log_msg(LOG_VERBOSE, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_warn_rl(...)	log_rl(LOG_WARN, __VA_ARGS__)
#define log_err_rl(...)		log_rl(LOG_ERR, __VA_ARGS__)
#define log_verbose_rl(...)	log_rl(LOG_VERBOSE, __VA_ARGS__)
#define log_debug_rl(...)	log_rl(LOG_DEBUG, __VA_ARGS__)

#endif
