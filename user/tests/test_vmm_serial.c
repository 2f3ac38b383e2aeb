// SPDX-License-Identifier: GPL-2.0
/* 16550A UART model: transmit, receive, interrupt identification, line. */
#include <string.h>

/* the harness defines non-static helpers without prototypes */
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include "kselftest_harness.h"
#include "vmm/serial.h"

struct sink {
	char out[64];
	unsigned int n;
	int level, edges;
};

static void tx(void *opaque, uint8_t c)
{
	struct sink *s = opaque;

	if (s->n < sizeof(s->out) - 1)
		s->out[s->n++] = c;
}

static void irq(void *opaque, int level)
{
	struct sink *s = opaque;

	if (level && !s->level)
		s->edges++;
	s->level = level;
}

static uint8_t rd(struct uart *u, unsigned int reg)
{
	uint8_t v = 0;

	uart_io(u, reg, &v, false);
	return v;
}

static void wr(struct uart *u, unsigned int reg, uint8_t v)
{
	uart_io(u, reg, &v, true);
}

FIXTURE(uart) {
	struct uart u;
	struct sink s;
};

FIXTURE_SETUP(uart)
{
	memset(&self->s, 0, sizeof(self->s));
	memset(&self->u, 0, sizeof(self->u));
	uart_init(&self->u);
	self->u.tx = tx;
	self->u.irq = irq;
	self->u.opaque = &self->s;
}

FIXTURE_TEARDOWN(uart)
{
}

TEST_F(uart, transmit_and_lsr)
{
	wr(&self->u, 0, 'h');
	wr(&self->u, 0, 'i');
	EXPECT_STREQ("hi", self->s.out);
	EXPECT_EQ(0x60, rd(&self->u, 5));	/* THRE | TEMT, no data */
	EXPECT_EQ(0, self->s.level);		/* interrupts disabled */
}

TEST_F(uart, divisor_latch)
{
	wr(&self->u, 3, 0x80);			/* DLAB */
	wr(&self->u, 0, 0x01);
	wr(&self->u, 1, 0x00);
	EXPECT_EQ(0x01, rd(&self->u, 0));
	EXPECT_EQ(0x00, rd(&self->u, 1));
	wr(&self->u, 3, 0x03);			/* 8N1 */
	EXPECT_EQ(0, self->s.n);		/* divisor writes are not output */
	EXPECT_EQ(0x03, rd(&self->u, 3));
	EXPECT_EQ(0x00, rd(&self->u, 1));	/* IER again */
}

TEST_F(uart, thre_interrupt)
{
	wr(&self->u, 1, 0x02);			/* enable THRI: THR is empty */
	EXPECT_EQ(1, self->s.level);
	EXPECT_EQ(0x02, rd(&self->u, 2));	/* IIR: THRE; reading clears it */
	EXPECT_EQ(0, self->s.level);
	EXPECT_EQ(0x01, rd(&self->u, 2));
	wr(&self->u, 0, 'x');			/* transmitted at once: THRE again */
	EXPECT_EQ(1, self->s.level);
	EXPECT_EQ(2, self->s.edges);
	/* Linux's THRE test: IER off and on re-raises */
	rd(&self->u, 2);
	wr(&self->u, 1, 0x00);
	wr(&self->u, 1, 0x02);
	EXPECT_EQ(0x02, rd(&self->u, 2));
}

TEST_F(uart, receive)
{
	const uint8_t in[] = "ab";

	wr(&self->u, 1, 0x01);			/* RDI */
	EXPECT_EQ(0, self->s.level);
	EXPECT_EQ(2u, uart_rx(&self->u, in, 2));
	EXPECT_EQ(1, self->s.level);
	EXPECT_EQ(0x04, rd(&self->u, 2) & 0x0f);
	EXPECT_EQ(0x61, rd(&self->u, 5));	/* DR */
	EXPECT_EQ('a', rd(&self->u, 0));
	EXPECT_EQ('b', rd(&self->u, 0));
	EXPECT_EQ(0x60, rd(&self->u, 5));
	EXPECT_EQ(0, self->s.level);
	EXPECT_EQ(0x01, rd(&self->u, 2));
}

TEST_F(uart, rx_fifo_limit_and_clear)
{
	uint8_t buf[300];

	memset(buf, 'z', sizeof(buf));
	EXPECT_EQ(256u, uart_rx(&self->u, buf, sizeof(buf)));
	EXPECT_EQ(0u, uart_rx(&self->u, buf, 1));
	wr(&self->u, 2, 0x03);			/* enable + clear RX FIFO */
	EXPECT_EQ(0x60, rd(&self->u, 5));
	EXPECT_EQ(0xc1, rd(&self->u, 2));	/* FIFO enabled bits, no interrupt */
}

TEST_F(uart, loopback)
{
	wr(&self->u, 4, 0x10 | 0x0b);		/* LOOP, OUT2, RTS, DTR */
	wr(&self->u, 0, 'q');
	EXPECT_EQ(0u, self->s.n);		/* not sent out */
	EXPECT_EQ('q', rd(&self->u, 0));
	EXPECT_EQ(0xb0, rd(&self->u, 6));	/* DCD (OUT2), DSR (DTR), CTS (RTS) */
}

TEST_F(uart, scratch)
{
	wr(&self->u, 7, 0x5a);
	EXPECT_EQ(0x5a, rd(&self->u, 7));
}

TEST_HARNESS_MAIN
