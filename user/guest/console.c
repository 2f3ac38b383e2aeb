// SPDX-License-Identifier: GPL-2.0
/*
 * bench guest: polled 8250 UART console on 0x3f8, a printf subset
 * (%s %c %d %u %x with optional l/ll, and a field width for %x/%u), and the
 * exit path through the VMM's ACPI PM1a control register (S5 = poweroff).
 */
#include <stdarg.h>

#include "guest.h"
#include "io.h"

#define COM1		0x3f8
#define PM1A_CNT	0x604		/* vibevmm's FADT PM1a control block */
#define SLP_TYP_S5	5
#define SLP_EN		(1u << 13)

void con_init(void)
{
	outb(COM1 + 1, 0x00);		/* no UART interrupts */
	outb(COM1 + 3, 0x80);		/* DLAB */
	outb(COM1 + 0, 0x01);		/* 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);		/* 8N1 */
	outb(COM1 + 2, 0x00);		/* no FIFO */
}

static void con_putc(char c)
{
	unsigned int spins = 100000;

	if (c == '\n')
		con_putc('\r');
	while (!(inb(COM1 + 5) & 0x20) && --spins)
		cpu_relax();
	outb(COM1, c);
}

static void put_num(uint64_t v, unsigned int base, bool neg, unsigned int width)
{
	char buf[24];
	int i = 0;

	do {
		buf[i++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		buf[i++] = '-';
	while ((unsigned int)i < width--)
		con_putc(base == 16 ? '0' : ' ');
	while (i)
		con_putc(buf[--i]);
}

void con_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	for (; *fmt; fmt++) {
		unsigned int width = 0, longs = 0;
		const char *s;
		uint64_t u;
		int64_t d;

		if (*fmt != '%') {
			con_putc(*fmt);
			continue;
		}
		fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l') {
			longs++;
			fmt++;
		}
		switch (*fmt) {
		case 's':
			for (s = va_arg(ap, const char *); *s; s++)
				con_putc(*s);
			break;
		case 'c':
			con_putc((char)va_arg(ap, int));
			break;
		case 'd':
			d = longs ? va_arg(ap, long) : va_arg(ap, int);
			put_num(d < 0 ? -(uint64_t)d : (uint64_t)d, 10, d < 0, width);
			break;
		case 'u':
		case 'x':
			u = longs ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int);
			put_num(u, *fmt == 'x' ? 16 : 10, false, width);
			break;
		case '%':
			con_putc('%');
			break;
		default:
			con_putc('?');
			break;
		}
	}
	va_end(ap);
}

void guest_exit(bool ok)
{
	con_printf("GUEST-BENCH: exit %s\n", ok ? "ok" : "failed");
	outw(PM1A_CNT, SLP_EN | (SLP_TYP_S5 << 10));
	for (;;) {
		irq_disable();
		__asm__ volatile("hlt");
	}
}
