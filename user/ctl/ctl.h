/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _VFPOSTCTL_CTL_H
#define _VFPOSTCTL_CTL_H

#include <stdio.h>

/*
 * The whole of vfpostctl: parse @argv, run the command, print results to
 * @out and one error line to @err.  Returns the exit status (0 ok, 1 the
 * command failed, 2 usage error).
 */
int vfpostctl_main(int argc, char **argv, FILE *out, FILE *err);

#endif /* _VFPOSTCTL_CTL_H */
