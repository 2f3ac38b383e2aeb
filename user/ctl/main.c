// SPDX-License-Identifier: GPL-2.0
/* vfpostctl: list, watch, claim and release SR-IOV VFs tracked by vfpost. */
#include <stdio.h>

#include "ctl.h"

int main(int argc, char **argv)
{
	return vfpostctl_main(argc, argv, stdout, stderr);
}
