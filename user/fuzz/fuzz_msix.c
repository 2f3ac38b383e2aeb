// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the MSI-X table and PBA model (vmm/msix.c).
 *
 * Input: 2 bytes table size, then 12-byte operations (table read/write,
 * PBA read, control word, set/take pending) with 64-bit offsets.  The
 * target keeps its own copy of the table, mask states and pending bits, and
 * checks after every operation:
 *  - a table write changes only the dwords it covers, with the documented
 *    bits (address low bits and vector control reserved bits dropped);
 *    writes outside the table, misaligned or of a bad length change nothing;
 *  - table reads return what was written, 0 beyond the table, all ones for
 *    a bad length or alignment;
 *  - vector_update is called exactly when a vector's message changes, with
 *    the new message; vector_mask exactly when its effective mask changes;
 *    enable exactly when MSI-X enable changes;
 *  - PBA reads return the pending bits (0 beyond the PBA), take_pending
 *    clears and returns the bit.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/pci_regs.h>

#include "fuzz.h"
#include "vmm/msix.h"

struct shadow {
	unsigned int nr;
	struct msix_entry *t;
	bool *masked;		/* effective mask as last notified */
	uint64_t *pend;
	bool enabled;
	unsigned int updates;	/* vector_update calls for the current op */
	unsigned int masks;
	struct msix *m;
};

static void cb_update(void *o, unsigned int vec, uint64_t addr, uint32_t data)
{
	struct shadow *s = o;

	FUZZ_CHECK(vec < s->nr, "vector_update for vector %u of %u", vec, s->nr);
	FUZZ_CHECK(addr == ((uint64_t)s->m->table[vec].addr_hi << 32 |
			    s->m->table[vec].addr_lo) && data == s->m->table[vec].data,
		   "vector_update with a message that is not the entry's");
	s->updates++;
}

static void cb_mask(void *o, unsigned int vec, bool masked)
{
	struct shadow *s = o;

	FUZZ_CHECK(vec < s->nr, "vector_mask for vector %u of %u", vec, s->nr);
	FUZZ_CHECK(s->masked[vec] != masked, "vector_mask(%u, %d) without a change",
		   vec, masked);
	FUZZ_CHECK(msix_masked(s->m, vec) == masked, "vector_mask(%u, %d) disagrees",
		   vec, masked);
	s->masked[vec] = masked;
	s->masks++;
}

static void cb_enable(void *o, bool enabled)
{
	struct shadow *s = o;

	FUZZ_CHECK(s->enabled != enabled, "enable(%d) without a change", enabled);
	s->enabled = enabled;
}

static const struct msix_ops ops = {
	.vector_update = cb_update, .vector_mask = cb_mask, .enable = cb_enable,
};

/* The shadow's expectation of one dword write. */
static void shadow_write32(struct shadow *s, uint64_t off, uint32_t v)
{
	uint64_t vec = off / MSIX_ENTRY_SIZE;
	struct msix_entry *e;
	uint32_t before;

	if (vec >= s->nr)
		return;
	e = &s->t[vec];
	switch ((off % MSIX_ENTRY_SIZE) / 4) {
	case 0:
		before = e->addr_lo;
		e->addr_lo = v & ~3u;
		s->updates -= before != e->addr_lo;
		break;
	case 1:
		before = e->addr_hi;
		e->addr_hi = v;
		s->updates -= before != e->addr_hi;
		break;
	case 2:
		before = e->data;
		e->data = v;
		s->updates -= before != e->data;
		break;
	default:
		e->ctrl = v & PCI_MSIX_ENTRY_CTRL_MASKBIT;
		break;
	}
}

static void check_all(struct shadow *s)
{
	unsigned int i;

	FUZZ_CHECK(!memcmp(s->t, s->m->table, s->nr * sizeof(*s->t)),
		   "table differs from the writes made");
	FUZZ_CHECK(!memcmp(s->pend, s->m->pending, (s->nr + 63) / 64 * 8),
		   "pending bits differ");
	FUZZ_CHECK(s->enabled == s->m->enabled, "enable not notified");
	for (i = 0; i < s->nr; i++)
		FUZZ_CHECK(s->masked[i] == msix_masked(s->m, i),
			   "vector %u mask change not notified", i);
	FUZZ_CHECK(msix_masked(s->m, s->nr), "vector past the table unmasked");
}

static void op_read(struct shadow *s, uint64_t off, unsigned int len, bool pba)
{
	uint32_t w[2] = { 0, 0 }, want[2] = { 0, 0 };
	uint8_t buf[8];
	unsigned int i;

	memset(buf, 0xa5, sizeof(buf));
	if (pba)
		msix_pba_read(s->m, off, buf, len);
	else
		msix_table_read(s->m, off, buf, len);
	if (len != 4 && len != 8) {
		for (i = 0; i < len; i++)
			FUZZ_CHECK(buf[i] == (pba ? 0 : 0xff), "bad-length read byte %#x", buf[i]);
		return;
	}
	memcpy(w, buf, len);
	if (off & (len - 1)) {
		FUZZ_CHECK(pba ? !w[0] && !w[1] : w[0] == ~0u && (len == 4 || w[1] == ~0u),
			   "misaligned read gave %#x %#x", w[0], w[1]);
		return;
	}
	for (i = 0; i < len / 4; i++) {
		uint64_t o = off + 4 * i;

		if (pba) {
			if (off < msix_pba_size(s->m))
				want[i] = s->pend[off / 8] >> (o & 4 ? 32 : 0);
		} else if (o / MSIX_ENTRY_SIZE < s->nr) {
			const struct msix_entry *e = &s->t[o / MSIX_ENTRY_SIZE];
			const uint32_t words[4] = { e->addr_lo, e->addr_hi, e->data, e->ctrl };

			want[i] = words[(o % MSIX_ENTRY_SIZE) / 4];
		}
	}
	FUZZ_CHECK(w[0] == want[0] && w[1] == want[1],
		   "%s read at %#llx+%u gave %#x %#x, want %#x %#x", pba ? "PBA" : "table",
		   (unsigned long long)off, len, w[0], w[1], want[0], want[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct shadow s;
	struct msix m;
	unsigned int i;

	memset(&s, 0, sizeof(s));
	s.nr = fuzz_u16(&in) % (MSIX_MAX_VECTORS + 1);
	if (msix_init(&m, s.nr, &ops, &s)) {
		FUZZ_CHECK(!s.nr, "msix_init failed for %u vectors", s.nr);
		return 0;
	}
	FUZZ_CHECK(s.nr, "msix_init accepted 0 vectors");
	s.m = &m;
	s.t = calloc(s.nr, sizeof(*s.t));
	s.masked = calloc(s.nr, sizeof(*s.masked));
	s.pend = calloc((s.nr + 63) / 64, 8);
	if (!s.t || !s.masked || !s.pend)
		abort();
	for (i = 0; i < s.nr; i++) {
		s.t[i].ctrl = PCI_MSIX_ENTRY_CTRL_MASKBIT;
		s.masked[i] = true;
	}
	FUZZ_CHECK(msix_table_size(&m) == s.nr * MSIX_ENTRY_SIZE, "table size");
	FUZZ_CHECK(msix_pba_size(&m) >= (s.nr + 7) / 8 && !(msix_pba_size(&m) & 7),
		   "PBA size %u for %u vectors", msix_pba_size(&m), s.nr);
	check_all(&s);

	while (in.size >= 12) {
		uint8_t op = fuzz_u8(&in), lenb = fuzz_u8(&in);
		uint16_t sel = fuzz_u16(&in);
		uint64_t v = fuzz_u64(&in);
		/* offsets: mostly in or near the table, sometimes anywhere */
		uint64_t off = (lenb & 0x80) ? v : (v & 0xffff);
		unsigned int len = lenb & 0xf;	/* 0..8: guest MMIO sizes */
		uint64_t val = (uint64_t)sel * 0x9e3779b97f4a7c15ull ^ v;
		uint8_t buf[8];

		if (len > 8)
			len = 8;
		switch (op % 6) {
		case 0:
			op_read(&s, off, len, false);
			break;
		case 1:
			op_read(&s, off, len, true);
			break;
		case 2:
			memcpy(buf, &val, 8);
			s.updates = 0;
			msix_table_write(&m, off, buf, len);
			if ((len == 4 || len == 8) && !(off & (len - 1))) {
				uint32_t w[2];

				memcpy(w, buf, 8);
				for (i = 0; i < len / 4; i++)
					shadow_write32(&s, off + 4 * i, w[i]);
			}
			FUZZ_CHECK(!s.updates, "vector_update count off by %d", (int)s.updates);
			break;
		case 3:
			msix_set_ctrl(&m, sel & 1, sel & 2);
			break;
		case 4:
			msix_set_pending(&m, sel);
			if (sel < s.nr)
				s.pend[sel / 64] |= 1ull << (sel % 64);
			break;
		case 5: {
			bool want = sel < s.nr && (s.pend[sel / 64] >> (sel % 64) & 1);

			FUZZ_CHECK(msix_take_pending(&m, sel) == want,
				   "take_pending(%u) != %d", sel, want);
			if (sel < s.nr)
				s.pend[sel / 64] &= ~(1ull << (sel % 64));
			break;
		}
		}
		check_all(&s);
	}
	msix_free(&m);
	free(s.t);
	free(s.masked);
	free(s.pend);
	return 0;
}
