// SPDX-License-Identifier: GPL-2.0
/*
 * setirqs_fuzz_test: a hostile VMM fuzzes vfpost's interrupt ioctls on a
 * vfpost-bound VF: 100,000 SET_IRQS calls per run, GET_IRQ_INFO calls
 * among them (VFPOST_STRESS_RUNS runs, default 2; the seed is printed per
 * run and VFPOST_FUZZ_SEED replays it, see lib/fuzz.h).
 *
 * VFIO_DEVICE_SET_IRQS gets random header fields (argsz too small, short of
 * its data, larger, huge; flag combinations with invalid bits; every index
 * and beyond; start and count inside, beyond and wrapping the table), data
 * that ends early (the buffer ends at a PROT_NONE page), bool arrays, and
 * fds: -1, other negatives, closed fds, a pipe, a memfd, /dev/null, a
 * socket, the VFIO device itself, eventfds, a dup() of one, the same one
 * on several vectors.  In racing batches two threads rewrite the header
 * fields and the data words between four requests while the ioctl runs,
 * a third issues those requests concurrently from a buffer of its own and
 * a fourth turns one of the fds into a pipe and back.
 * VFIO_DEVICE_GET_IRQ_INFO gets random argsz, index and truncated buffers.
 *
 * Every answer is checked against a model of the VFIO contract as
 * vfio-pci keeps it (vfio_set_irqs_validate_and_prepare(), then the
 * index's handler): success only for a valid request, else the errno that
 * request must get.  For a racing call the allowed set is the union over
 * every mix of the four requests, field by field and byte by byte: the
 * kernel reads each request once, but copy_from_user() may read a word
 * while a racing thread rewrites it (see byte_mixes()).  Every 2,000 calls and after each racing
 * batch, the vectors vfpost has requested (/proc/interrupts) must be
 * exactly those the model attached, and vfio_pci_core must never have
 * requested an irq of its own.  After every run MSI-X off leaves no vfpost
 * irq and no vector on the VF, and vector 0 still delivers; at the end the
 * fixture checks that close leaves no irq and that vfpost unloads; the lab
 * fails the run on any kernel splat.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vf_fixture.h"
#include "fuzz.h"
#include "stress.h"

#define CALLS_PER_RUN	100000
#define CHECK_EVERY	2000
#define RACE_CALLS	64	/* calls per racing batch */
#define RACE_PERMILLE	4	/* chance of a batch, per call slot */
#define NCAND		4	/* requests a racing batch mixes */
#define MAXD		16	/* data words after the header */
#define SET_MINSZ	((uint32_t)offsetof(struct vfio_irq_set, data))
#define INFO_MINSZ	((uint32_t)sizeof(struct vfio_irq_info))
#define FD_TABLE	4096	/* fds classified; none is open above */

#define DATA_MASK	VFIO_IRQ_SET_DATA_TYPE_MASK
#define ACTION_MASK	VFIO_IRQ_SET_ACTION_TYPE_MASK

/* What a call answered, and sets of them. */
enum res { ANS_OK, ANS_EINVAL, ANS_EFAULT, ANS_EBADF, ANS_ENOTTY, ANS_OTHER, ANS_NR };
#define AB(r)	(1u << (r))
static const char * const res_name[ANS_NR] = {
	"ok", "EINVAL", "EFAULT", "EBADF", "ENOTTY", "other",
};

/* What a data word is as an fd. */
enum fdc { C_EVENTFD, C_DETACH, C_NEGATIVE, C_CLOSED, C_NOT_EVENTFD };
#define CB(c)	(1u << (c))

/* One request as generated: argsz, flags, index, start, count; data. */
struct req {
	uint32_t h[5];
	int32_t d[MAXD];
};

enum { H_ARGSZ, H_FLAGS, H_INDEX, H_START, H_COUNT };

struct fz {
	struct fuzz_rng rng;
	int dev;
	struct vfio_dev *vdev;
	const char *bdf;
	unsigned int nvec;
	int32_t pool[24];	/* fds and fd numbers to draw from */
	int npool, nevent;	/* the first nevent are eventfds */
	unsigned char fdclass[FD_TABLE];
	char *page;		/* two pages, the second PROT_NONE */
	size_t pagesz;
	/* The model: ERR, REQ trigger 0 none, 1 set, 2 unknown. */
	int trig[2];
	bool attached[MAXD];
	bool unknown;		/* after a racing batch, until resync */
	unsigned long seen[ANS_NR];
	unsigned long racing, info, concurrent;
	unsigned long torn;	/* racing answers only a torn read explains */
	int flip_fd, flip_ev, flip_other;	/* see race_fds() */
};

static enum res res_of(int ret)
{
	if (!ret)
		return ANS_OK;
	switch (errno) {
	case EINVAL:
		return ANS_EINVAL;
	case EFAULT:
		return ANS_EFAULT;
	case EBADF:
		return ANS_EBADF;
	case ENOTTY:
		return ANS_ENOTTY;
	default:
		return ANS_OTHER;
	}
}

static void set_names(unsigned int set, char *buf, size_t len)
{
	size_t off = 0;
	int r;

	buf[0] = '\0';
	for (r = 0; r < ANS_NR; r++)
		if (set & AB(r))
			off += snprintf(buf + off, len - off, "%s%s",
					off ? "|" : "", res_name[r]);
}

/* The class of every fd number below FD_TABLE, as it is now. */
static void classify_fds(struct fz *f)
{
	char path[64], target[64];
	ssize_t n;
	int fd;

	for (fd = 0; fd < FD_TABLE; fd++) {
		f->fdclass[fd] = C_CLOSED;
		if (fcntl(fd, F_GETFD) < 0)
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = '\0';
		f->fdclass[fd] = strcmp(target, "anon_inode:[eventfd]") ?
				 C_NOT_EVENTFD : C_EVENTFD;
	}
}

static enum fdc fd_class(const struct fz *f, int32_t v)
{
	if (v == -1)
		return C_DETACH;
	if (v < 0)
		return C_NEGATIVE;
	return v < FD_TABLE ? f->fdclass[v] : C_CLOSED;
}

static unsigned int irq_count(const struct fz *f, uint32_t index)
{
	switch (index) {
	case VFIO_PCI_MSIX_IRQ_INDEX:
		return f->nvec;
	case VFIO_PCI_ERR_IRQ_INDEX:	/* the lab's VFs are PCIe */
	case VFIO_PCI_REQ_IRQ_INDEX:
		return 1;
	default:
		return 0;
	}
}

/* Bytes per vector of the data type in @flags; -1 if it names none or two. */
static int data_size(uint32_t flags)
{
	switch (flags & DATA_MASK) {
	case VFIO_IRQ_SET_DATA_NONE:
		return 0;
	case VFIO_IRQ_SET_DATA_BOOL:
		return 1;
	case VFIO_IRQ_SET_DATA_EVENTFD:
		return 4;
	default:
		return -1;
	}
}

/*
 * Eventfds for @count vectors, each word's possible classes in @cls: the
 * first word that is not an eventfd or -1 decides the errno (a negative
 * or a non-eventfd is EINVAL, a closed fd EBADF).
 */
static unsigned int predict_fds(const unsigned int *cls, uint32_t count)
{
	unsigned int set = 0;
	uint32_t i;

	for (i = 0; i < count; i++) {
		if (cls[i] & (CB(C_NEGATIVE) | CB(C_NOT_EVENTFD)))
			set |= AB(ANS_EINVAL);
		if (cls[i] & CB(C_CLOSED))
			set |= AB(ANS_EBADF);
		if (!(cls[i] & (CB(C_EVENTFD) | CB(C_DETACH))))
			return set;
	}
	return set | AB(ANS_OK);
}

/*
 * What SET_IRQS may answer for header @h with data words of classes @cls,
 * @avail bytes of data readable after a header that is readable if
 * @hdr_ok.  The VFIO contract as vfio-pci keeps it.
 */
static unsigned int predict_set(const struct fz *f, const uint32_t *h,
				const unsigned int *cls, size_t avail,
				bool hdr_ok)
{
	uint32_t argsz = h[H_ARGSZ], flags = h[H_FLAGS], index = h[H_INDEX];
	uint32_t start = h[H_START], count = h[H_COUNT];
	uint32_t dtype = flags & DATA_MASK, action = flags & ACTION_MASK;
	unsigned int num, set;
	int trig, size;

	if (!hdr_ok)
		return AB(ANS_EFAULT);
	if (argsz < SET_MINSZ || index >= VFIO_PCI_NUM_IRQS ||
	    count >= UINT32_MAX - start || (flags & ~(DATA_MASK | ACTION_MASK)))
		return AB(ANS_EINVAL);
	num = irq_count(f, index);
	if (start >= num || start + count > num)
		return AB(ANS_EINVAL);
	size = data_size(flags);
	if (size < 0)
		return AB(ANS_EINVAL);
	if (size && argsz - SET_MINSZ < count * (unsigned int)size)
		return AB(ANS_EINVAL);
	if (count * (size_t)size > avail)
		return AB(ANS_EFAULT);

	if (index == VFIO_PCI_MSIX_IRQ_INDEX) {
		if (action != VFIO_IRQ_SET_ACTION_MASK &&
		    action != VFIO_IRQ_SET_ACTION_UNMASK &&
		    action != VFIO_IRQ_SET_ACTION_TRIGGER)
			return AB(ANS_EINVAL);
		if (dtype != VFIO_IRQ_SET_DATA_EVENTFD)
			return AB(ANS_OK);
		if (action != VFIO_IRQ_SET_ACTION_TRIGGER || !count)
			return AB(ANS_EINVAL);
		return predict_fds(cls, count);
	}
	/* ERR and REQ: triggers only, one eventfd each. */
	if (action != VFIO_IRQ_SET_ACTION_TRIGGER)
		return AB(ANS_ENOTTY);
	trig = f->trig[index - VFIO_PCI_ERR_IRQ_INDEX];
	switch (dtype) {
	case VFIO_IRQ_SET_DATA_NONE:	/* signal (count 1) or release */
		set = 0;
		if (trig != 1)
			set |= AB(ANS_EINVAL);
		if (trig != 0)
			set |= AB(ANS_OK);
		return set;
	case VFIO_IRQ_SET_DATA_BOOL:
		return count ? AB(ANS_OK) : AB(ANS_EINVAL);
	default:
		return count ? predict_fds(cls, 1) : AB(ANS_EINVAL);
	}
}

/* The model after a successful, non-racing request. */
static void model_apply(struct fz *f, const struct req *r)
{
	uint32_t dtype = r->h[H_FLAGS] & DATA_MASK;
	uint32_t action = r->h[H_FLAGS] & ACTION_MASK;
	uint32_t index = r->h[H_INDEX], i;

	if (action != VFIO_IRQ_SET_ACTION_TRIGGER)
		return;
	if (index == VFIO_PCI_MSIX_IRQ_INDEX) {
		if (dtype == VFIO_IRQ_SET_DATA_EVENTFD)
			for (i = 0; i < r->h[H_COUNT]; i++)
				f->attached[r->h[H_START] + i] = r->d[i] != -1;
		else if (dtype == VFIO_IRQ_SET_DATA_NONE && !r->h[H_COUNT])
			memset(f->attached, 0, sizeof(f->attached));
		return;
	}
	if (dtype == VFIO_IRQ_SET_DATA_NONE && !r->h[H_COUNT])
		f->trig[index - VFIO_PCI_ERR_IRQ_INDEX] = 0;
	else if (dtype == VFIO_IRQ_SET_DATA_EVENTFD)
		f->trig[index - VFIO_PCI_ERR_IRQ_INDEX] = r->d[0] != -1;
}

static int32_t pick_fd(struct fz *f)
{
	return f->pool[fuzz_below(&f->rng, f->npool)];
}

static void gen_req(struct fz *f, struct req *r)
{
	static const uint32_t indexes[] = {
		VFIO_PCI_MSIX_IRQ_INDEX, VFIO_PCI_MSIX_IRQ_INDEX,
		VFIO_PCI_MSIX_IRQ_INDEX, VFIO_PCI_MSIX_IRQ_INDEX,
		VFIO_PCI_ERR_IRQ_INDEX, VFIO_PCI_ERR_IRQ_INDEX,
		VFIO_PCI_REQ_IRQ_INDEX, VFIO_PCI_REQ_IRQ_INDEX,
		VFIO_PCI_INTX_IRQ_INDEX, VFIO_PCI_MSI_IRQ_INDEX,
	};
	static const uint32_t dtypes[] = {
		VFIO_IRQ_SET_DATA_NONE, VFIO_IRQ_SET_DATA_BOOL,
		VFIO_IRQ_SET_DATA_EVENTFD, VFIO_IRQ_SET_DATA_EVENTFD,
	};
	static const uint32_t actions[] = {
		VFIO_IRQ_SET_ACTION_MASK, VFIO_IRQ_SET_ACTION_UNMASK,
		VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_IRQ_SET_ACTION_TRIGGER,
	};
	struct fuzz_rng *g = &f->rng;
	uint32_t index, flags, start, count, num, need, size, p;
	unsigned int i;

	p = fuzz_below(g, 100);
	if (p < 90)
		index = indexes[fuzz_below(g, ARRAY_SIZE(indexes))];
	else if (p < 95)
		index = VFIO_PCI_NUM_IRQS + fuzz_below(g, 12);
	else
		index = fuzz_u32(g);

	flags = dtypes[fuzz_below(g, 4)] | actions[fuzz_below(g, 4)];
	p = fuzz_below(g, 100);
	if (p < 6)		/* any combination of the six bits */
		flags = fuzz_below(g, 64);
	else if (p < 10)	/* a valid pair plus an undefined bit */
		flags |= 1u << (6 + fuzz_below(g, 26));
	else if (p < 12)
		flags = fuzz_u32(g);

	num = index < VFIO_PCI_NUM_IRQS ? irq_count(f, index) : f->nvec;
	p = fuzz_below(g, 100);
	if (p < 75) {		/* inside the table, count 0 included */
		start = fuzz_below(g, num + 1);
		count = fuzz_below(g, num - start + 1);
		if (!count && fuzz_pct(g, 70) && start < num)
			count = 1;
	} else if (p < 80) {	/* beyond the table */
		start = fuzz_below(g, num + 1);
		count = num - start + 1 + fuzz_below(g, 4);
	} else if (p < 84) {
		start = fuzz_u32(g);
		count = fuzz_below(g, 4);
	} else if (p < 89) {	/* start + count wraps, or nearly */
		start = UINT32_MAX - fuzz_below(g, 4);
		count = 1 + fuzz_below(g, 8);
	} else if (p < 93) {
		start = fuzz_below(g, 4);
		count = UINT32_MAX - fuzz_below(g, 8);
	} else {
		start = fuzz_below(g, num + 2);
		count = fuzz_below(g, 2);
	}

	size = data_size(flags) < 0 ? 4 : data_size(flags);
	need = SET_MINSZ + (count <= MAXD ? count * size : MAXD * 4);
	p = fuzz_below(g, 100);
	if (p < 65)
		r->h[H_ARGSZ] = need;
	else if (p < 78)
		r->h[H_ARGSZ] = need + 1 + fuzz_below(g, 64);
	else if (p < 83)	/* shorter than the header */
		r->h[H_ARGSZ] = fuzz_below(g, SET_MINSZ);
	else if (p < 88)	/* shorter than the data */
		r->h[H_ARGSZ] = need > SET_MINSZ ?
				need - 1 - fuzz_below(g, need - SET_MINSZ) :
				SET_MINSZ - 1;
	else if (p < 93)
		r->h[H_ARGSZ] = UINT32_MAX - fuzz_below(g, 4);
	else if (p < 97)
		r->h[H_ARGSZ] = 0x80000000u + fuzz_below(g, 64);
	else
		r->h[H_ARGSZ] = fuzz_u32(g);
	r->h[H_FLAGS] = flags;
	r->h[H_INDEX] = index;
	r->h[H_START] = start;
	r->h[H_COUNT] = count;

	if ((flags & DATA_MASK) == VFIO_IRQ_SET_DATA_BOOL) {
		unsigned char *b = (unsigned char *)r->d;

		for (i = 0; i < sizeof(r->d); i++)
			b[i] = fuzz_pct(g, 80) ? fuzz_below(g, 2) : fuzz_u32(g);
		return;
	}
	p = fuzz_below(g, 100);
	for (i = 0; i < MAXD; i++) {
		if (p < 30)	/* one eventfd everywhere */
			r->d[i] = i ? r->d[0] : f->pool[fuzz_below(g, f->nevent)];
		else if (p < 55)
			r->d[i] = fuzz_pct(g, 80) ?
				  f->pool[fuzz_below(g, f->nevent)] : -1;
		else
			r->d[i] = pick_fd(f);
	}
}

/* Where a request goes: @avail data bytes readable after the header. */
static uint32_t *place(struct fz *f, size_t avail, bool hdr_ok)
{
	size_t at = hdr_ok ? SET_MINSZ + avail : 4 * fuzz_below(&f->rng, 5);

	return (uint32_t *)(f->page + f->pagesz - at);
}

static void write_req(uint32_t *buf, const struct req *r, size_t avail,
		      bool hdr_ok)
{
	if (!hdr_ok)
		return;
	memcpy(buf, r->h, sizeof(r->h));
	memcpy(buf + 5, r->d, avail);
}

/*
 * Bytes of data the request finds readable: nearly always all, sometimes
 * fewer than it needs (EFAULT).  Whole words, so the header stays aligned.
 */
static size_t gen_avail(struct fz *f)
{
	return fuzz_pct(&f->rng, 96) ? MAXD * 4 : 4 * fuzz_below(&f->rng, 3);
}

static void log_req(struct __test_metadata *_metadata, const char *what,
		    uint32_t seed, long call, const struct req *r,
		    size_t avail, bool hdr_ok, int ret, unsigned int allowed)
{
	char got[16], ok[64];

	set_names(AB(res_of(ret)), got, sizeof(got));
	set_names(allowed, ok, sizeof(ok));
	TH_LOG("seed %u call %ld %s: argsz %#x flags %#x index %#x start %#x count %#x data %d %d %d %d, %zu data bytes readable%s: %s (%s), allowed %s",
	       seed, call, what, r->h[0], r->h[1], r->h[2], r->h[3], r->h[4],
	       r->d[0], r->d[1], r->d[2], r->d[3], avail,
	       hdr_ok ? "" : ", header cut", got, strerror(errno), ok);
}

static void check_irqs(struct __test_metadata *_metadata, struct fz *f,
		       uint32_t seed, long call);

/* An MSI-X eventfd range that only its fds kept from succeeding. */
static bool refused_for_an_fd(const struct fz *f, const struct req *r,
			      size_t avail, bool hdr_ok)
{
	unsigned int good[MAXD], i;

	for (i = 0; i < MAXD; i++)
		good[i] = CB(C_EVENTFD);
	return r->h[H_INDEX] == MSIX &&
	       (r->h[H_FLAGS] & DATA_MASK) == VFIO_IRQ_SET_DATA_EVENTFD &&
	       predict_set(f, r->h, good, avail, hdr_ok) == AB(ANS_OK);
}

/* One SET_IRQS call from the generator, checked against the model. */
static void one_set(struct __test_metadata *_metadata, struct fz *f,
		    uint32_t seed, long call)
{
	unsigned int cls[MAXD], allowed, i;
	bool hdr_ok = !fuzz_pct(&f->rng, 1);
	size_t avail = gen_avail(f);
	uint32_t *buf = place(f, avail, hdr_ok);
	struct req r;
	enum res got;
	int ret;

	gen_req(f, &r);
	for (i = 0; i < MAXD; i++)
		cls[i] = CB(fd_class(f, r.d[i]));
	allowed = predict_set(f, r.h, cls, avail, hdr_ok);
	write_req(buf, &r, avail, hdr_ok);
	ret = ioctl(f->dev, VFIO_DEVICE_SET_IRQS, buf);
	got = res_of(ret);
	f->seen[got]++;
	if (!(allowed & AB(got)))
		log_req(_metadata, "SET_IRQS", seed, call, &r, avail, hdr_ok,
			ret, allowed);
	ASSERT_TRUE(!!(allowed & AB(got)));
	if (!ret)
		model_apply(f, &r);
	else if (refused_for_an_fd(f, &r, avail, hdr_ok))
		/* Changed nothing: an eventfd range is all or nothing. */
		check_irqs(_metadata, f, seed, call);
}

/* One GET_IRQ_INFO: random argsz and index, sometimes a cut buffer. */
static void one_info(struct __test_metadata *_metadata, struct fz *f,
		     uint32_t seed, long call)
{
	static const uint32_t want_flags[VFIO_PCI_NUM_IRQS] = {
		VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE |
		VFIO_IRQ_INFO_AUTOMASKED,
		VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE,
		VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE,
		VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE,
		VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE,
	};
	struct fuzz_rng *g = &f->rng;
	struct vfio_irq_info *info, in;
	size_t tail = 4 * fuzz_below(g, 5);	/* sentinel bytes after it */
	bool cut = fuzz_pct(g, 3);
	unsigned char *after;
	unsigned int allowed;
	uint32_t p = fuzz_below(g, 100);
	int ret;

	in.argsz = p < 60 ? INFO_MINSZ + fuzz_below(g, 32) :
		   p < 80 ? fuzz_below(g, INFO_MINSZ) : fuzz_u32(g);
	p = fuzz_below(g, 100);
	in.index = p < 75 ? fuzz_below(g, VFIO_PCI_NUM_IRQS) :
		   p < 90 ? VFIO_PCI_NUM_IRQS + fuzz_below(g, 8) : fuzz_u32(g);
	in.flags = fuzz_u32(g);
	in.count = fuzz_u32(g);
	info = (void *)(f->page + f->pagesz - (cut ? 4 * fuzz_below(g, 4) :
					       INFO_MINSZ + tail));
	after = (unsigned char *)(info + 1);
	if (cut) {
		allowed = AB(ANS_EFAULT);
	} else {
		*info = in;
		memset(after, 0xa5, tail);
		allowed = in.argsz < INFO_MINSZ ||
			  in.index >= VFIO_PCI_NUM_IRQS ? AB(ANS_EINVAL) : AB(ANS_OK);
	}
	ret = ioctl(f->dev, VFIO_DEVICE_GET_IRQ_INFO, info);
	f->seen[res_of(ret)]++;
	f->info++;
	ASSERT_TRUE(!!(allowed & AB(res_of(ret))))
		TH_LOG("seed %u call %ld GET_IRQ_INFO argsz %#x index %#x%s: %d (%s)",
		       seed, call, in.argsz, in.index, cut ? " cut" : "", ret,
		       strerror(errno));
	if (ret)
		return;
	ASSERT_EQ(in.argsz, info->argsz);
	ASSERT_EQ(in.index, info->index);
	ASSERT_EQ(irq_count(f, in.index), info->count)
		TH_LOG("seed %u call %ld index %u", seed, call, in.index);
	ASSERT_EQ(want_flags[in.index], info->flags)
		TH_LOG("seed %u call %ld index %u", seed, call, in.index);
	for (p = 0; p < tail; p++) {
		ASSERT_EQ(0xa5, after[p])
			TH_LOG("seed %u call %ld: GET_IRQ_INFO wrote past its struct",
			       seed, call);
	}
}

/* A racing batch: threads rewrite the buffer from these requests. */
struct race {
	struct req cand[NCAND];
	volatile uint32_t *buf;
	atomic_bool stop;
	uint32_t seed;
	int dev;
	int flip_fd, flip_ev, flip_other;	/* see race_fds() */
	unsigned int allowed;
	atomic_uint bad;	/* answers the issuer got and should not */
	atomic_long issued;
};

static void *race_header(void *arg)
{
	struct race *rc = arg;
	struct fuzz_rng g;
	unsigned int k, j;

	fuzz_rng_init(&g, rc->seed);
	while (!atomic_load_explicit(&rc->stop, memory_order_relaxed)) {
		k = fuzz_below(&g, NCAND);
		j = fuzz_below(&g, 5);
		rc->buf[j] = rc->cand[k].h[j];
	}
	return NULL;
}

static void *race_data(void *arg)
{
	struct race *rc = arg;
	struct fuzz_rng g;
	unsigned int k, i;

	fuzz_rng_init(&g, ~(uint64_t)rc->seed);
	while (!atomic_load_explicit(&rc->stop, memory_order_relaxed)) {
		k = fuzz_below(&g, NCAND);
		i = fuzz_below(&g, MAXD);
		rc->buf[5 + i] = (uint32_t)rc->cand[k].d[i];
	}
	return NULL;
}

/*
 * A second VMM thread on the same device: whole candidate requests from
 * its own buffer, concurrently with the main thread's racing calls.
 */
static void *race_issuer(void *arg)
{
	struct race *rc = arg;
	struct {
		struct vfio_irq_set hdr;
		int32_t d[MAXD];
	} req;
	struct fuzz_rng g;
	const struct req *c;
	enum res got;
	int ret;

	fuzz_rng_init(&g, rc->seed + 1);
	while (!atomic_load_explicit(&rc->stop, memory_order_relaxed)) {
		c = &rc->cand[fuzz_below(&g, NCAND)];
		memcpy(&req.hdr, c->h, sizeof(c->h));
		memcpy(req.d, c->d, sizeof(req.d));
		ret = ioctl(rc->dev, VFIO_DEVICE_SET_IRQS, &req);
		got = res_of(ret);
		if (!(rc->allowed & AB(got)))
			atomic_fetch_or(&rc->bad, AB(got));
		atomic_fetch_add(&rc->issued, 1);
	}
	return NULL;
}

/*
 * The fd table changes under the requests: one fd number that requests
 * use is an eventfd and a pipe in turn, and the eventfd again at the end.
 */
static void *race_fds(void *arg)
{
	struct race *rc = arg;

	while (!atomic_load_explicit(&rc->stop, memory_order_relaxed)) {
		dup2(rc->flip_other, rc->flip_fd);
		dup2(rc->flip_ev, rc->flip_fd);
	}
	return NULL;
}

/*
 * The values a reader can see in a 32-bit word that threads rewrite with
 * @vals while it reads: any of them, or a byte-wise mix of them.  The
 * kernel copies a request with copy_from_user(), which promises no
 * atomicity per word ("rep movsb" moves bytes, and QEMU's TCG, the lab's
 * L1, emulates it a byte at a time), so a word being rewritten from -1 to
 * 6 can be read as 0x000000ff, a closed fd.  Returns how many distinct
 * values are in @out (at most NCAND^4).
 */
#define MIXES_MAX	(NCAND * NCAND * NCAND * NCAND)
static unsigned int byte_mixes(const uint32_t *vals, uint32_t *out)
{
	uint8_t b[4][NCAND];
	unsigned int nb[4] = { 0 }, n = 0, i, j, k, sel[4];
	uint32_t v;

	for (j = 0; j < 4; j++)
		for (k = 0; k < NCAND; k++) {
			uint8_t x = vals[k] >> (8 * j);

			for (i = 0; i < nb[j] && b[j][i] != x; i++)
				;
			if (i == nb[j])
				b[j][nb[j]++] = x;
		}
	for (sel[0] = 0; sel[0] < nb[0]; sel[0]++)
		for (sel[1] = 0; sel[1] < nb[1]; sel[1]++)
			for (sel[2] = 0; sel[2] < nb[2]; sel[2]++)
				for (sel[3] = 0; sel[3] < nb[3]; sel[3]++) {
					for (v = 0, j = 0; j < 4; j++)
						v |= (uint32_t)b[j][sel[j]] << (8 * j);
					out[n++] = v;
				}
	return n;
}

/* Header field @j of every candidate. */
static void field_of(const struct race *rc, unsigned int j, uint32_t *vals)
{
	unsigned int k;

	for (k = 0; k < NCAND; k++)
		vals[k] = rc->cand[k].h[j];
}

/*
 * The header words a racing call can see, made enumerable: at most
 * RACE_COMBOS headers.  Where the byte-wise mixes of the candidates'
 * fields make more, the candidates that differ most from the first take
 * its upper three bytes in the widest field, until they fit.  The batch
 * still races every field it raced (the low bytes differ).
 */
#define RACE_COMBOS	4096
static void tame_headers(struct race *rc,
			 uint32_t mix[5][MIXES_MAX], unsigned int *nmix)
{
	uint32_t vals[NCAND];
	unsigned int j, k, wide;
	unsigned long combos;

	for (;;) {
		combos = 1;
		wide = 0;
		for (j = 0; j < 5; j++) {
			field_of(rc, j, vals);
			nmix[j] = byte_mixes(vals, mix[j]);
			combos *= nmix[j];
			if (nmix[j] > nmix[wide])
				wide = j;
		}
		if (combos <= RACE_COMBOS)
			return;
		for (k = 1; k < NCAND; k++)
			rc->cand[k].h[wide] = (rc->cand[k].h[wide] & 0xff) |
					      (rc->cand[0].h[wide] & ~0xffu);
	}
}

/*
 * Everything the batch's requests may answer: the union over every header
 * a racing reader can see (each field any candidate's or a byte-wise mix
 * of them) with each data word any of the values it can see.  Also, in
 * @whole, what whole-word reads alone allow (the run counts answers only
 * a torn read explains).
 */
static unsigned int predict_race(const struct fz *f, struct race *rc,
				 unsigned int *whole)
{
	static uint32_t mix[5][MIXES_MAX];
	unsigned int cls[MAXD] = { 0 }, wcls[MAXD] = { 0 };
	unsigned int nmix[5], set = 0, wset = 0, combo, k, i, j, n, c;
	uint32_t vals[NCAND], dmix[MIXES_MAX], h[5];

	tame_headers(rc, mix, nmix);
	for (i = 0; i < MAXD; i++) {
		for (k = 0; k < NCAND; k++) {
			vals[k] = (uint32_t)rc->cand[k].d[i];
			wcls[i] |= CB(fd_class(f, rc->cand[k].d[i]));
			if (rc->cand[k].d[i] == rc->flip_fd)
				wcls[i] |= CB(C_NOT_EVENTFD);
		}
		n = byte_mixes(vals, dmix);
		for (k = 0; k < n; k++) {
			cls[i] |= CB(fd_class(f, (int32_t)dmix[k]));
			if ((int32_t)dmix[k] == rc->flip_fd)
				cls[i] |= CB(C_NOT_EVENTFD);
		}
	}
	for (combo = 0; combo < NCAND * NCAND * NCAND * NCAND * NCAND; combo++) {
		for (j = 0, k = combo; j < 5; j++, k /= NCAND)
			h[j] = rc->cand[k % NCAND].h[j];
		wset |= predict_set(f, h, wcls, MAXD * 4, true);
	}
	for (n = 1, j = 0; j < 5; j++)
		n *= nmix[j];
	for (combo = 0; combo < n; combo++) {
		for (j = 0, c = combo; j < 5; j++) {
			h[j] = mix[j][c % nmix[j]];
			c /= nmix[j];
		}
		set |= predict_set(f, h, cls, MAXD * 4, true);
	}
	*whole = wset;
	return set;
}

static int race_batch(struct __test_metadata *_metadata, struct fz *f,
		      uint32_t seed, long call)
{
	struct race rc = {
		.seed = fuzz_u32(&f->rng), .dev = f->dev,
		.flip_fd = f->flip_fd, .flip_ev = f->flip_ev,
		.flip_other = f->flip_other,
	};
	unsigned int allowed, whole, k;
	pthread_t th, td, ti, tf;
	char ok[64];
	enum res got;
	int i, ret;

	for (k = 0; k < NCAND; k++)
		gen_req(f, &rc.cand[k]);
	f->trig[0] = f->trig[1] = 2;
	f->unknown = true;
	allowed = rc.allowed = predict_race(f, &rc, &whole);
	rc.buf = place(f, MAXD * 4, true);
	write_req((uint32_t *)rc.buf, &rc.cand[0], MAXD * 4, true);
	ASSERT_EQ(0, pthread_create(&th, NULL, race_header, &rc));
	ASSERT_EQ(0, pthread_create(&td, NULL, race_data, &rc));
	ASSERT_EQ(0, pthread_create(&ti, NULL, race_issuer, &rc));
	ASSERT_EQ(0, pthread_create(&tf, NULL, race_fds, &rc));
	for (i = 0; i < RACE_CALLS; i++) {
		ret = ioctl(f->dev, VFIO_DEVICE_SET_IRQS, (void *)rc.buf);
		got = res_of(ret);
		f->seen[got]++;
		if (!(allowed & AB(got)))
			break;
		f->torn += !(whole & AB(got));
	}
	atomic_store(&rc.stop, true);
	pthread_join(th, NULL);
	pthread_join(td, NULL);
	pthread_join(ti, NULL);
	pthread_join(tf, NULL);
	f->racing += i < RACE_CALLS ? i + 1 : RACE_CALLS;
	f->concurrent += atomic_load(&rc.issued);
	set_names(atomic_load(&rc.bad), ok, sizeof(ok));
	ASSERT_EQ(0u, atomic_load(&rc.bad))
		TH_LOG("seed %u call %ld: the second thread got %s", seed, call, ok);
	if (i < RACE_CALLS) {
		set_names(allowed, ok, sizeof(ok));
		for (k = 0; k < NCAND; k++)
			log_req(_metadata, "racing candidate", seed, call + i,
				&rc.cand[k], MAXD * 4, true, 0, allowed);
		TH_LOG("racing call answered %s (%s), allowed %s",
		       res_name[got], strerror(errno), ok);
	}
	ASSERT_EQ(RACE_CALLS, i);
	return RACE_CALLS;
}

/* Back to a known state: MSI-X index off, ERR and REQ released. */
static void resync(struct __test_metadata *_metadata, struct fz *f)
{
	int none = -1;

	ASSERT_EQ(0, vfio_dev_irq_set_eventfds(f->vdev, MSIX, 0, 0, NULL));
	ASSERT_EQ(0, vfio_dev_irq_set_eventfds(f->vdev, VFIO_PCI_ERR_IRQ_INDEX,
					       0, 1, &none));
	ASSERT_EQ(0, vfio_dev_irq_set_eventfds(f->vdev, VFIO_PCI_REQ_IRQ_INDEX,
					       0, 1, &none));
	memset(f->attached, 0, sizeof(f->attached));
	f->trig[0] = f->trig[1] = 0;
	f->unknown = false;
}

/* vfpost has requested exactly the vectors the model attached. */
static void check_irqs(struct __test_metadata *_metadata, struct fz *f,
		       uint32_t seed, long call)
{
	unsigned int i;

	ASSERT_EQ(0, fp_irq_lines(CORE_MSIX_IRQ))
		TH_LOG("seed %u call %ld: vfio_pci_core requested an irq", seed, call);
	if (f->unknown)
		return;
	/* Braces: the harness runs TH_LOG after the statement it ends. */
	for (i = 0; i < f->nvec; i++) {
		ASSERT_EQ(f->attached[i], fp_host_count(f->bdf, i) >= 0)
			TH_LOG("seed %u call %ld: vector %u %s in the model", seed,
			       call, i, f->attached[i] ? "attached" : "detached");
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

FIXTURE_SETUP(vf)
{
	vf_fixture_open_live(_metadata, self);
}

FIXTURE_TEARDOWN(vf)
{
	vf_fixture_close(_metadata, self);
}

/* The fds a request draws from; closed at the end of the test. */
static void make_pool(struct __test_metadata *_metadata, struct fz *f,
		      FIXTURE_DATA(vf) *self, int *opened, int *nopened)
{
	int p[2], s[2], fd, i;

	f->pool[f->npool++] = self->efd[0];
	f->pool[f->npool++] = self->efd[1];
	fd = dup(self->efd[1]);		/* the same eventfd, another fd */
	ASSERT_LE(0, fd);
	opened[(*nopened)++] = f->pool[f->npool++] = fd;
	f->flip_fd = fd;
	f->flip_ev = self->efd[1];
	fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, fd);
	opened[(*nopened)++] = f->pool[f->npool++] = fd;
	f->nevent = f->npool;

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s));
	fd = memfd_create("setirqs-fuzz", MFD_CLOEXEC);
	ASSERT_LE(0, fd);
	opened[(*nopened)++] = fd;
	for (i = 0; i < 2; i++) {
		opened[(*nopened)++] = f->pool[f->npool++] = p[i];
		opened[(*nopened)++] = f->pool[f->npool++] = s[i];
	}
	f->flip_other = p[0];
	f->pool[f->npool++] = fd;
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	opened[(*nopened)++] = f->pool[f->npool++] = fd;
	f->pool[f->npool++] = self->dev.fd;
	/* A closed fd: above every fd the test opens later. */
	fd = fcntl(self->efd[0], F_DUPFD_CLOEXEC, 1000);
	ASSERT_LE(1000, fd);
	close(fd);
	f->pool[f->npool++] = fd;
	f->pool[f->npool++] = 1 << 30;
	f->pool[f->npool++] = -1;
	f->pool[f->npool++] = -1;
	f->pool[f->npool++] = -2;
	f->pool[f->npool++] = INT_MIN;
}

/* The suite's lab timeout bounds it; make stress runs 20 times as long. */
TEST_F_TIMEOUT(vf, fuzz_set_irqs_and_irq_info, 36000)
{
	int opened[16], nopened = 0, runs = fuzz_runs(), run, i;
	uint32_t seed0 = fuzz_seed(), seed;
	struct stress_row row;
	struct fz *f;
	uint16_t ctrl;
	char line[256];
	size_t off;
	double t0;
	long call;
	int cap;

	STRESS_ROW_WANTED("setirqs_fuzz");
	f = calloc(1, sizeof(*f));
	ASSERT_NE(NULL, f);
	f->dev = self->dev.fd;
	f->vdev = &self->dev;
	f->bdf = self->bdf;
	cap = vfio_dev_find_cap(&self->dev, 0x11);	/* MSI-X */
	ASSERT_LT(0, cap);
	ASSERT_EQ(0, vfio_dev_cfg_read(&self->dev, cap + 2, &ctrl, sizeof(ctrl)));
	f->nvec = (ctrl & 0x7ffu) + 1;
	ASSERT_GE(MAXD, (int)f->nvec);
	f->pagesz = sysconf(_SC_PAGESIZE);
	f->page = mmap(NULL, 2 * f->pagesz, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, f->page);
	ASSERT_EQ(0, mprotect(f->page + f->pagesz, f->pagesz, PROT_NONE));
	make_pool(_metadata, f, self, opened, &nopened);
	classify_fds(f);
	f->attached[0] = true;	/* by the fixture */
	TH_LOG("%s: MSI-X table of %u vectors", self->bdf, f->nvec);

	stress_begin(&row, "setirqs_fuzz");
	for (run = 0; run < runs; run++) {
		RUN_START();

		seed = seed0 + run;
		fuzz_rng_init(&f->rng, seed);
		memset(f->seen, 0, sizeof(f->seen));
		f->racing = f->info = f->concurrent = f->torn = 0;
		TH_LOG("run %d of %d: seed %u (replay: VFPOST_FUZZ_SEED=%u VFPOST_STRESS_RUNS=1)",
		       run + 1, runs, seed, seed);
		t0 = now();
		/* CALLS_PER_RUN of SET_IRQS; GET_IRQ_INFO comes on top. */
		for (call = 0; call - (long)f->info < CALLS_PER_RUN;) {
			long before = call;

			if (fuzz_below(&f->rng, 1000) < RACE_PERMILLE) {
				call += race_batch(_metadata, f, seed, call);
				resync(_metadata, f);
				check_irqs(_metadata, f, seed, call);
			} else if (fuzz_pct(&f->rng, 10)) {
				one_info(_metadata, f, seed, call++);
			} else {
				one_set(_metadata, f, seed, call++);
			}
			if (call / CHECK_EVERY != before / CHECK_EVERY)
				check_irqs(_metadata, f, seed, call);
		}
		off = 0;
		for (i = 0; i < ANS_NR; i++)
			off += snprintf(line + off, sizeof(line) - off, " %s %lu",
					res_name[i], f->seen[i]);
		TH_LOG("run %d: %ld calls (%lu of them GET_IRQ_INFO, the others SET_IRQS; %lu racing, %lu of them answered as only a torn read explains, and %lu from a second thread) in %.1f s:%s",
		       run + 1, call, f->info, f->racing, f->torn,
		       f->concurrent, now() - t0, line);
		EXPECT_EQ(0u, f->seen[ANS_OTHER]);
		/* The generator reaches every answer, or the run proved less. */
		for (i = 0; i < ANS_OTHER; i++) {
			EXPECT_LT(0u, f->seen[i])
				TH_LOG("no %s in run %d", res_name[i], run + 1);
		}
		/*
		 * After every run: MSI-X off leaves no vfpost irq, and vector 0
		 * back on efd[0] still delivers.
		 */
		resync(_metadata, f);
		EXPECT_EQ(0, fp_vfpost_irqs()) TH_LOG("run %d: vfpost irqs with MSI-X off", run + 1);
		EXPECT_EQ(0, fp_msi_irqs(self->bdf))
			TH_LOG("run %d: MSI-X vectors left on the VF with MSI-X off", run + 1);
		ASSERT_EQ(0, vfio_dev_irq_set_eventfds(&self->dev, MSIX, 0, 1, &self->efd[0]));
		f->attached[0] = true;
		vf_vector0_works(_metadata, self);
		EXPECT_EQ(0, fp_irq_lines(CORE_MSIX_IRQ));
		stress_tally(&row, RUN_OK());
	}
	stress_end(&row);

	for (i = 0; i < nopened; i++)
		close(opened[i]);
	munmap(f->page, 2 * f->pagesz);
	free(f);
}

TEST_HARNESS_MAIN
