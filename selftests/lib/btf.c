// SPDX-License-Identifier: GPL-2.0
/*
 * A small reader of the kernel's BTF (Documentation/bpf/btf.rst): enough
 * to walk the type section, resolve names in a module's split BTF on top
 * of vmlinux's, and print the parameters of a function prototype.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btf.h"

#define BTF_MAGIC	0xeb9f

enum {
	K_INT = 1, K_PTR, K_ARRAY, K_STRUCT, K_UNION, K_ENUM, K_FWD, K_TYPEDEF,
	K_VOLATILE, K_CONST, K_RESTRICT, K_FUNC, K_FUNC_PROTO, K_VAR, K_DATASEC,
	K_FLOAT, K_DECL_TAG, K_TYPE_TAG, K_ENUM64,
};

struct btf_hdr {
	uint16_t magic;
	uint8_t version, flags;
	uint32_t hdr_len, type_off, type_len, str_off, str_len;
};

struct btf_type {
	uint32_t name_off, info, size_type;
};

/* vmlinux's BTF and, optionally, a module's on top of it. */
struct btf {
	char *data[2];
	const struct btf_type **types;	/* by id; [0] is void */
	unsigned int nr;
	const char *str[2];
	uint32_t str_len[2];
};

static char *slurp(const char *path, size_t *len)
{
	size_t cap = 1 << 20, n = 0;
	char *buf = malloc(cap);
	FILE *f = fopen(path, "r");
	size_t r;

	if (!f || !buf) {
		if (f)
			fclose(f);
		free(buf);
		return NULL;
	}
	while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			char *p = realloc(buf, cap *= 2);

			if (!p) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = p;
		}
	}
	fclose(f);
	*len = n;
	return buf;
}

static size_t extra(const struct btf_type *t)
{
	unsigned int kind = (t->info >> 24) & 0x1f, vlen = t->info & 0xffff;

	switch (kind) {
	case K_INT: case K_VAR: case K_DECL_TAG: return 4;
	case K_ARRAY: return 12;
	case K_STRUCT: case K_UNION: case K_DATASEC: case K_ENUM64: return vlen * 12;
	case K_ENUM: case K_FUNC_PROTO: return vlen * 8;
	}
	return 0;
}

/* Append the types of the BTF blob @i (0: vmlinux) to @b. */
static int add_blob(struct btf *b, int i, size_t len)
{
	const struct btf_hdr *h = (const void *)b->data[i];
	const char *p, *end;

	if (len < sizeof(*h) || h->magic != BTF_MAGIC ||
	    (size_t)h->hdr_len + h->str_off + h->str_len > len ||
	    (size_t)h->hdr_len + h->type_off + h->type_len > len)
		return -EINVAL;
	p = b->data[i] + h->hdr_len + h->type_off;
	end = p + h->type_len;
	b->str[i] = b->data[i] + h->hdr_len + h->str_off;
	b->str_len[i] = h->str_len;
	while (p + sizeof(struct btf_type) <= end) {
		const struct btf_type **n;

		/* b->nr slots until it is a power of two, then twice that */
		if (!(b->nr & (b->nr - 1))) {
			n = realloc(b->types, sizeof(*n) * (b->nr ? 2 * b->nr : 1));
			if (!n)
				return -ENOMEM;
			b->types = n;
		}
		b->types[b->nr++] = (const void *)p;
		p += sizeof(struct btf_type) + extra((const void *)p);
	}
	return p == end ? 0 : -EINVAL;
}

static const char *name_of(const struct btf *b, uint32_t off)
{
	if (off < b->str_len[0])
		return b->str[0] + off;
	off -= b->str_len[0];
	return b->str[1] && off < b->str_len[1] ? b->str[1] + off : "?";
}

/*
 * C text of type @id into @out (qualifiers and pointers, names as named);
 * the snprintf() length, as for snprintf().
 */
static int render(const struct btf *b, uint32_t id, char *out, size_t len)
{
	const struct btf_type *t;
	char inner[128];

	if (!id)
		return snprintf(out, len, "void");
	if (id >= b->nr)
		return snprintf(out, len, "?");
	t = b->types[id];
	switch ((t->info >> 24) & 0x1f) {
	case K_PTR:
		if (render(b, t->size_type, inner, sizeof(inner)) >= (int)sizeof(inner))
			return -1;
		return snprintf(out, len, "%s *", inner);
	case K_CONST:
		if (render(b, t->size_type, inner, sizeof(inner)) >= (int)sizeof(inner))
			return -1;
		return snprintf(out, len, "const %s", inner);
	case K_STRUCT:
		return snprintf(out, len, "struct %s", name_of(b, t->name_off));
	case K_UNION:
		return snprintf(out, len, "union %s", name_of(b, t->name_off));
	}
	return snprintf(out, len, "%s", name_of(b, t->name_off));
}

int btf_fn_params(const char *module, const char *name, char *out, size_t len)
{
	struct btf b = { 0 };
	char path[256];
	size_t n;
	uint32_t id;
	int ret = -ENOMEM;

	/* Type ids start at 1; 0 is void. */
	b.types = calloc(1, sizeof(*b.types));
	if (!b.types)
		goto out;
	b.nr = 1;
	ret = -ENOENT;
	b.data[0] = slurp("/sys/kernel/btf/vmlinux", &n);
	if (!b.data[0] || add_blob(&b, 0, n))
		goto out;
	if (module) {
		snprintf(path, sizeof(path), "/sys/kernel/btf/%s", module);
		b.data[1] = slurp(path, &n);
		if (!b.data[1] || add_blob(&b, 1, n))
			goto out;
	}
	for (id = 1; id < b.nr; id++) {
		const struct btf_type *t = b.types[id], *fp;
		const uint32_t *param;
		unsigned int i, vlen;
		size_t used = 0;

		if (((t->info >> 24) & 0x1f) != K_TYPEDEF || strcmp(name_of(&b, t->name_off), name))
			continue;
		t = t->size_type < b.nr ? b.types[t->size_type] : NULL;
		if (!t || ((t->info >> 24) & 0x1f) != K_PTR || t->size_type >= b.nr)
			break;
		fp = b.types[t->size_type];
		if (((fp->info >> 24) & 0x1f) != K_FUNC_PROTO)
			break;
		vlen = fp->info & 0xffff;
		param = (const uint32_t *)(fp + 1);
		out[0] = '\0';
		for (i = 0; i < vlen; i++) {
			char one[160];
			int r = render(&b, param[2 * i + 1], one, sizeof(one));

			if (r < 0 || r >= (int)sizeof(one))
				snprintf(one, sizeof(one), "?");
			used += snprintf(out + used, used < len ? len - used : 0, "%s%s",
					 i ? ", " : "", one);
		}
		ret = used < len ? 0 : -ENOSPC;
		break;
	}
out:
	if (ret)
		fprintf(stderr, "btf: no function typedef %s in %s's BTF\n", name,
			module ?: "vmlinux");
	free(b.types);
	free(b.data[0]);
	free(b.data[1]);
	return ret;
}
