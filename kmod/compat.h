/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every kernel-version difference vfpost cares about, in one place.
 * Supported: 6.1 .. 6.16 (tested: Debian 6.1 and 6.12); 6.17+ irq bypass API.
 */
#ifndef _VFPOST_COMPAT_H
#define _VFPOST_COMPAT_H

#include <linux/version.h>

#endif /* _VFPOST_COMPAT_H */
