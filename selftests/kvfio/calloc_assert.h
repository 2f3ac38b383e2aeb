/* SPDX-License-Identifier: GPL-2.0 */
/*
 * linux-source-7.2 (7.2.13) ships a lib/vfio_pci_device.c that calls
 * calloc_assert() while no header of its library defines it (a stable
 * backport without the commit that added the helper).  scripts/kvfio-build
 * force-includes this definition into the library's compilation only when
 * the tree lacks one.
 */
#ifndef _SELFTESTS_KVFIO_CALLOC_ASSERT_H
#define _SELFTESTS_KVFIO_CALLOC_ASSERT_H

#include <stdlib.h>

#define calloc_assert(_nmemb, _size) ({					\
	size_t __nmemb = (_nmemb), __size = (_size);			\
	void *__p = calloc(__nmemb, __size);				\
	VFIO_ASSERT_NOT_NULL(__p, "calloc(%zu, %zu) failed\n",		\
			     __nmemb, __size);				\
	__p;								\
})

#endif /* _SELFTESTS_KVFIO_CALLOC_ASSERT_H */
