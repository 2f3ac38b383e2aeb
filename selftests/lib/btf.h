/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading the running kernel's BTF (/sys/kernel/btf/): the parameter types
 * of a function pointer typedef, as C, for tests that must know a kernel
 * prototype exactly (a tracepoint's btf_trace_<name>).  Returns 0 or a
 * negative errno and prints one line on failure, like lab.h.
 */
#ifndef _SELFTESTS_BTF_H
#define _SELFTESTS_BTF_H

#include <stddef.h>

/*
 * The parameters of the function pointer typedef @name, found in the BTF
 * of @module (split BTF on top of vmlinux's) or, with @module NULL, of
 * vmlinux: "void *, unsigned int, u64, bool" (typedef names as they are,
 * pointers as "T *", structs as "struct S").  -ENOENT: no such BTF or
 * typedef.
 */
int btf_fn_params(const char *module, const char *name, char *out, size_t len);

#endif /* _SELFTESTS_BTF_H */
