/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vibevmm logging.  --log 0..4 selects how much is printed on stderr:
 * 0 errors only, 1 warnings, 2 notices/info (default), 3 verbose, 4 debug.
 * Every line is prefixed with "vibevmm: ".
 */
#ifndef VIBEVMM_LOG_H
#define VIBEVMM_LOG_H

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

#define log_err(...)	log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define log_verbose(...) log_msg(LOG_VERBOSE, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
