// SPDX-License-Identifier: GPL-2.0
/* vibevmm's signal policy; see signals.h. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "signals.h"

static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

void signals_stop_set(sigset_t *set)
{
	unsigned int i;

	sigemptyset(set);
	for (i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
		sigaddset(set, stop_signals[i]);
}

static void kick_handler(int sig)
{
}

int signals_init(void)
{
	struct sigaction ign = { .sa_handler = SIG_IGN };
	struct sigaction kick = { .sa_handler = kick_handler };	/* no SA_RESTART */
	sigset_t set;
	int err;

	sigemptyset(&ign.sa_mask);
	sigemptyset(&kick.sa_mask);
	if (sigaction(SIGPIPE, &ign, NULL) || sigaction(SIGNALS_KICK, &kick, NULL))
		return -errno;
	signals_stop_set(&set);
	sigaddset(&set, SIGNALS_KICK);
	err = pthread_sigmask(SIG_BLOCK, &set, NULL);
	return -err;
}

int signals_wait_stop(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	sigset_t set;
	int sig;

	signals_stop_set(&set);
	sig = sigtimedwait(&set, NULL, &ts);
	return sig > 0 ? sig : 0;
}

int signals_take_stop(void)
{
	return signals_wait_stop(0);
}

void signals_unblock_kick(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGNALS_KICK);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}
