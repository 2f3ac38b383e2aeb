// SPDX-License-Identifier: GPL-2.0
/* 16550A UART console. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "log.h"
#include "serial.h"
#include "thread.h"
#include "vm.h"

#define UART_IER_RDI	0x01
#define UART_IER_THRI	0x02
#define UART_IIR_NONE	0x01
#define UART_IIR_THRI	0x02
#define UART_IIR_RDI	0x04
#define UART_IIR_FIFO	0xc0
#define UART_LCR_DLAB	0x80
#define UART_MCR_LOOP	0x10
#define UART_LSR_DR	0x01
#define UART_LSR_THRE	0x20
#define UART_LSR_TEMT	0x40

struct serial {
	struct vm *vm;
	struct uart uart;
	pthread_mutex_t lock;
	bool console;
	/*
	 * Stop flag for the input thread, set by serial_start/serial_stop
	 * and polled by the thread: atomic, relaxed (nothing is published
	 * through it; serial_stop joins the thread before anything is torn
	 * down, and the join orders the rest).
	 */
	atomic_bool running;
	pthread_t input;
	bool input_started;
	bool ctrl_a;
	bool out_closed;	/* under lock: stdout gone, output dropped */
};

void uart_init(struct uart *u)
{
	u->ier = u->lcr = u->mcr = u->scr = u->dll = u->dlm = u->fcr = 0;
	u->dll = 12;			/* 9600 baud */
	u->msr = 0xb0;			/* DCD, DSR, CTS */
	u->thr_ipending = false;
	u->rx_head = u->rx_count = 0;
	u->irq_level = 0;
}

static uint8_t uart_iir(struct uart *u)
{
	uint8_t fifo = (u->fcr & 1) ? UART_IIR_FIFO : 0;

	if ((u->ier & UART_IER_RDI) && u->rx_count)
		return UART_IIR_RDI | fifo;
	if ((u->ier & UART_IER_THRI) && u->thr_ipending)
		return UART_IIR_THRI | fifo;
	return UART_IIR_NONE | fifo;
}

static void uart_update_irq(struct uart *u)
{
	int level = !(uart_iir(u) & UART_IIR_NONE);

	if (level != u->irq_level) {
		u->irq_level = level;
		if (u->irq)
			u->irq(u->opaque, level);
	}
}

unsigned int uart_rx(struct uart *u, const uint8_t *buf, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n && u->rx_count < sizeof(u->rx); i++) {
		u->rx[(u->rx_head + u->rx_count) % sizeof(u->rx)] = buf[i];
		u->rx_count++;
	}
	uart_update_irq(u);
	return i;
}

void uart_io(struct uart *u, unsigned int reg, uint8_t *val, bool is_write)
{
	bool dlab = u->lcr & UART_LCR_DLAB;
	uint8_t v = *val;

	if (is_write) {
		switch (reg) {
		case 0:
			if (dlab) {
				u->dll = v;
				break;
			}
			if (u->mcr & UART_MCR_LOOP)
				uart_rx(u, &v, 1);
			else if (u->tx)
				u->tx(u->opaque, v);
			u->thr_ipending = true;		/* sent at once */
			break;
		case 1:
			if (dlab) {
				u->dlm = v;
				break;
			}
			/* enabling THRI with THR empty raises the interrupt */
			if ((v & UART_IER_THRI) && !(u->ier & UART_IER_THRI))
				u->thr_ipending = true;
			u->ier = v & 0x0f;
			break;
		case 2:
			u->fcr = v & 0xc9;
			if (v & 0x02)				/* clear RX FIFO */
				u->rx_head = u->rx_count = 0;
			break;
		case 3:
			u->lcr = v;
			break;
		case 4:
			u->mcr = v & 0x1f;
			break;
		case 7:
			u->scr = v;
			break;
		}
	} else {
		switch (reg) {
		case 0:
			if (dlab) {
				v = u->dll;
			} else if (u->rx_count) {
				v = u->rx[u->rx_head];
				u->rx_head = (u->rx_head + 1) % sizeof(u->rx);
				u->rx_count--;
			} else {
				v = 0;
			}
			break;
		case 1:
			v = dlab ? u->dlm : u->ier;
			break;
		case 2:
			v = uart_iir(u);
			if ((v & 0x0f) == UART_IIR_THRI)
				u->thr_ipending = false;
			break;
		case 3:
			v = u->lcr;
			break;
		case 4:
			v = u->mcr;
			break;
		case 5:
			v = UART_LSR_THRE | UART_LSR_TEMT | (u->rx_count ? UART_LSR_DR : 0);
			break;
		case 6:
			if (u->mcr & UART_MCR_LOOP)	/* loopback: RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD */
				v = ((u->mcr & 0x02) << 3) | ((u->mcr & 0x01) << 5) |
				    ((u->mcr & 0x04) << 4) | ((u->mcr & 0x08) << 4);
			else
				v = u->msr;
			break;
		case 7:
			v = u->scr;
			break;
		default:
			v = 0xff;
		}
		*val = v;
	}
	uart_update_irq(u);
}

/* ---- the device in the VM ---- */

static struct termios saved_tio;
static volatile sig_atomic_t tio_saved;

static void restore_tty(void)
{
	if (tio_saved) {
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
		tio_saved = 0;
	}
}

static void fatal_signal(int sig)
{
	restore_tty();
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * Called with s->lock held, from a vCPU thread.  A slow stdout slows the
 * guest down (no output is lost), but the wait is bounded: the thread polls
 * for room and gives up as soon as the VM is stopping, so a stdout nobody
 * reads never keeps the lock (nor the vCPU) past vm_request_exit().  A
 * closed stdout (EPIPE; SIGPIPE is ignored) drops the output from then on.
 */
static void serial_tx(void *opaque, uint8_t c)
{
	struct serial *s = opaque;
	struct pollfd p = { .fd = STDOUT_FILENO, .events = POLLOUT };
	ssize_t n;
	int r;

	while (!s->out_closed && !vm_exiting(s->vm)) {
		r = poll(&p, 1, 200);
		if (r < 0 && errno != EINTR)
			break;
		if (r <= 0)
			continue;
		n = write(STDOUT_FILENO, &c, 1);
		if (n == 1)
			return;
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		s->out_closed = true;
		log_warn("console: stdout: %s; dropping the guest's console output from now on",
			 n < 0 ? strerror(errno) : "nothing written");
	}
}

static void serial_irq(void *opaque, int level)
{
	struct serial *s = opaque;

	vm_irq_line(s->vm, SERIAL_IRQ, level);
}

static void serial_pio(void *opaque, uint64_t off, void *data, unsigned int len, bool is_write)
{
	struct serial *s = opaque;
	uint8_t *b = data;
	unsigned int i;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < len; i++)
		uart_io(&s->uart, (off + i) & 7, &b[i], is_write);
	pthread_mutex_unlock(&s->lock);
}

struct serial *serial_create(struct vm *vm, bool console)
{
	struct serial *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return NULL;
	s->vm = vm;
	s->console = console;
	pthread_mutex_init(&s->lock, NULL);
	uart_init(&s->uart);
	s->uart.tx = serial_tx;
	s->uart.irq = serial_irq;
	s->uart.opaque = s;
	ret = vm_register_pio(vm, SERIAL_PORT, 8, serial_pio, s);
	if (ret) {
		log_err("serial: cannot register port %#x: %s", SERIAL_PORT, strerror(-ret));
		pthread_mutex_destroy(&s->lock);
		free(s);
		return NULL;
	}
	return s;
}

static void *input_thread(void *arg)
{
	struct serial *s = arg;
	uint8_t buf[64], out[64];

	while (atomic_load_explicit(&s->running, memory_order_relaxed) &&
	       !vm_exiting(s->vm)) {
		struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
		ssize_t n, i;
		unsigned int k = 0, done = 0;

		if (poll(&p, 1, 200) <= 0)
			continue;
		n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n <= 0) {
			if (n == 0 || (errno != EINTR && errno != EAGAIN))
				break;		/* EOF: stop reading input */
			continue;
		}
		for (i = 0; i < n; i++) {
			if (s->ctrl_a) {
				s->ctrl_a = false;
				if (buf[i] == 'x' || buf[i] == 'X') {
					log_info("console: Ctrl-A x; stopping the VM");
					vm_request_exit(s->vm, 0);
					return NULL;
				}
				if (buf[i] == 0x01)
					out[k++] = 0x01;
				continue;
			}
			if (buf[i] == 0x01) {
				s->ctrl_a = true;
				continue;
			}
			out[k++] = buf[i];
		}
		/* The guest drains the FIFO; wait while it is full. */
		while (done < k && atomic_load_explicit(&s->running, memory_order_relaxed) &&
		       !vm_exiting(s->vm)) {
			pthread_mutex_lock(&s->lock);
			done += uart_rx(&s->uart, out + done, k - done);
			pthread_mutex_unlock(&s->lock);
			if (done < k)
				usleep(10000);
		}
	}
	return NULL;
}

int serial_start(struct serial *s)
{
	struct termios tio;
	int err;

	if (!s->console)
		return 0;
	if (isatty(STDIN_FILENO)) {
		struct sigaction sa = { .sa_handler = fatal_signal };
		static const int sigs[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL };
		unsigned int i;

		if (tcgetattr(STDIN_FILENO, &saved_tio) < 0) {
			log_err("--console: cannot read the terminal mode: %s", strerror(errno));
			return -1;
		}
		tio_saved = 1;
		atexit(restore_tty);
		sigemptyset(&sa.sa_mask);
		for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			sigaction(sigs[i], &sa, NULL);
		tio = saved_tio;
		cfmakeraw(&tio);
		if (tcsetattr(STDIN_FILENO, TCSANOW, &tio) < 0) {
			log_err("--console: cannot set raw mode: %s", strerror(errno));
			restore_tty();
			return -1;
		}
		log_info("console: Ctrl-A x quits");
	}
	atomic_store_explicit(&s->running, true, memory_order_relaxed);
	err = vmm_thread_start(&s->input, input_thread, s);
	if (err) {
		log_err("--console: cannot start the input thread: %s", strerror(err));
		atomic_store_explicit(&s->running, false, memory_order_relaxed);
		restore_tty();
		return -1;
	}
	s->input_started = true;
	return 0;
}

void serial_stop(struct serial *s)
{
	if (!s)
		return;
	atomic_store_explicit(&s->running, false, memory_order_relaxed);
	if (s->input_started) {
		pthread_join(s->input, NULL);
		s->input_started = false;
	}
	restore_tty();
}

void serial_destroy(struct serial *s)
{
	if (!s)
		return;
	serial_stop(s);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
