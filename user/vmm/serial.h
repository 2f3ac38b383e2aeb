/* SPDX-License-Identifier: GPL-2.0 */
/*
 * 16550A UART at 0x3f8, IRQ 4: the guest's console (ttyS0).  Output goes to
 * stdout.  With --console the terminal is put in raw mode and its input is
 * fed to the UART; Ctrl-A x stops the VM, Ctrl-A Ctrl-A sends Ctrl-A.  The
 * terminal mode is restored on every exit path (normal exit, errors, fatal
 * signals).
 */
#ifndef VIBEVMM_SERIAL_H
#define VIBEVMM_SERIAL_H

#include <stdbool.h>
#include <stdint.h>

struct vm;
struct serial;

#define SERIAL_PORT	0x3f8
#define SERIAL_IRQ	4

struct serial *serial_create(struct vm *vm, bool console);
int serial_start(struct serial *s);	/* raw mode + input thread */
void serial_stop(struct serial *s);	/* restores the terminal */
void serial_destroy(struct serial *s);

/* UART model, exposed for unit tests. */
struct uart {
	uint8_t ier, lcr, mcr, lsr_extra, msr, scr, dll, dlm, fcr;
	bool thr_ipending;		/* THR empty interrupt latched */
	uint8_t rx[256];
	unsigned int rx_head, rx_count;
	void (*tx)(void *opaque, uint8_t c);
	void (*irq)(void *opaque, int level);
	void *opaque;
	int irq_level;
};

void uart_init(struct uart *u);
void uart_io(struct uart *u, unsigned int reg, uint8_t *val, bool is_write);
/* Queue input bytes; returns how many fit. */
unsigned int uart_rx(struct uart *u, const uint8_t *buf, unsigned int n);

#endif
