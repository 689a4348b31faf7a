/*
 * com2d.c - the COM2 driver in user space: a 16550 UART at ports
 * 0x2f8-0x2ff on IRQ 3, driven by an ordinary process that registers
 * "com2" with the name server and serves pagoda/com2.h's requests.
 *
 * Why: in a microkernel a driver is a process. The kernel lends it exactly
 * three things: its ports (ioperm: the TSS I/O bitmap lets ring 3 run in/out
 * on 0x2f8-0x2ff and nothing else), its interrupt (irq_bind: IRQ 3 sets a
 * bit in a notification and stays masked until irq_ack), and IPC to reach
 * its clients. A bug here kills this process, never the kernel (the kernel's
 * own serial driver keeps COM1, the console).
 *
 * The loop. A process has one thread, and it must hear two sources: client
 * calls on its endpoint and interrupts on its notification. It waits on the
 * endpoint with a timeout (POLL_MS) and, after every message or timeout,
 * polls the notification without waiting; a read that finds the buffer
 * empty waits on the notification alone (the caller blocks in its call
 * meanwhile, other clients queue at the endpoint: one pending reply per
 * process). So a byte that arrives while the driver is idle waits in the
 * UART's 16-byte FIFO for at most POLL_MS (QEMU's UART holds back its
 * input while the FIFO is full; real hardware at full speed would need a
 * shorter poll, or a helper process turning each notification into a call).
 *
 * Receiving: an interrupt masks IRQ 3 and sets the bit; the driver first
 * acks (unmasks), then drains the UART until its line status says empty.
 * In that order no byte is stranded: a byte arriving after the drain
 * raises the line again while it is unmasked (an edge while masked is
 * lost at the I/O APIC), and one arriving during the drain is drained.
 *
 * Invariants:
 *   [x] the receive ring is empty when head == tail, full when one slot
 *       is left (a full ring counts the byte as dropped);
 *   [x] every reply's label is a count or a negative errno (pagoda/com2.h);
 *   [x] the UART is touched only after ioperm granted its ports, and its
 *       receive interrupt is enabled only after irq_bind succeeded.
 * Context: `run -b com2d`, then `run com2 ...` (docs/ipc.md, "A driver in
 * user space"). Exits 1, saying why, without COM2 or if it is taken.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/io.h>
#include <time.h>
#include <unistd.h>

#include "pagoda/com2.h"
#include "pagoda/nameserver.h"
#include "pagoda/uart16550.h"

#define COM2_IRQ 3
#define IRQ_BIT 1u           /* the notification bit IRQ 3 sets */
#define POLL_MS 10           /* longest wait on the endpoint before polling the IRQ */

#define RING_SIZE 4096

static uint8_t ring[RING_SIZE];
static unsigned ring_head, ring_tail;
static uint64_t stat_irqs, stat_received, stat_dropped, stat_written;
static long notification;

static unsigned ring_count(void)
{
	return (ring_head - ring_tail + RING_SIZE) % RING_SIZE;
}

/* 115200 8N1, FIFOs on; the loopback self-test says whether a UART is there. */
static int uart_init(void)
{
	outb(0, COM2_PORT + UART_IER);
	outb(LCR_DLAB, COM2_PORT + UART_LCR);
	outb(BAUD_BASE / 115200, COM2_PORT + UART_DIVISOR_LOW);
	outb(0, COM2_PORT + UART_DIVISOR_HIGH);
	outb(LCR_8N1, COM2_PORT + UART_LCR);
	outb(FCR_ENABLE_CLEAR, COM2_PORT + UART_FCR);
	outb(MCR_LOOPBACK | MCR_DTR_RTS, COM2_PORT + UART_MCR);
	outb(0xae, COM2_PORT + UART_DATA);
	int present = inb(COM2_PORT + UART_DATA) == 0xae;
	outb(MCR_DTR_RTS | MCR_OUT2, COM2_PORT + UART_MCR); /* OUT2 gates IRQ 3 */
	return present ? 0 : -1;
}

/* Take every byte the UART holds into the ring. */
static void uart_drain(void)
{
	while (inb(COM2_PORT + UART_LSR) & LSR_DATA_READY) {
		uint8_t c = inb(COM2_PORT + UART_DATA);
		unsigned next = (ring_head + 1) % RING_SIZE;
		stat_received++;
		if (next == ring_tail) {
			stat_dropped++;
			continue;
		}
		ring[ring_head] = c;
		ring_head = next;
	}
}

static void uart_put(uint8_t c)
{
	while (!(inb(COM2_PORT + UART_LSR) & LSR_THR_EMPTY))
		;
	outb(c, COM2_PORT + UART_DATA);
}

/* IRQ 3 fired (its bit came): unmask it, then empty the UART (see the top). */
static void irq_serviced(void)
{
	stat_irqs++;
	irq_ack(COM2_IRQ);
	uart_drain();
}

/* Wait up to ms for IRQ 3 (0: just look). True if it had fired. */
static int irq_wait(long ms)
{
	uint64_t bits = 0;

	if (ipc_notify_wait(notification, &bits, ms) != 0 || !(bits & IRQ_BIT))
		return 0;
	irq_serviced();
	return 1;
}

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* COM2_WRITE: m's words hold the bytes; the reply is the count. */
static long do_write(const struct ipc_msg *m)
{
	unsigned n = COM2_COUNT(IPC_TAG_LABEL(m->tag));
	const uint8_t *bytes = (const uint8_t *)m->w;

	if (n > COM2_BYTES_MAX || (n + 7) / 8 > IPC_TAG_WORDS(m->tag))
		return -EINVAL;
	for (unsigned i = 0; i < n; i++)
		uart_put(bytes[i]);
	stat_written += n;
	return n;
}

/* COM2_READ: up to w[0] bytes, waiting up to w[1] ms for the first. */
static long do_read(struct ipc_msg *m)
{
	uint64_t want = m->w[0];
	long wait = m->w[1] > COM2_WAIT_MAX ? COM2_WAIT_MAX : (long)m->w[1];

	if (want == 0 || want > COM2_BYTES_MAX)
		return -EINVAL;
	long deadline = now_ms() + wait;
	for (long left = wait; ring_count() == 0 && left > 0; left = deadline - now_ms())
		irq_wait(left);
	unsigned n = ring_count() < want ? ring_count() : (unsigned)want;
	uint8_t *out = (uint8_t *)m->w;
	memset(m->w, 0, sizeof(m->w));
	for (unsigned i = 0; i < n; i++) {
		out[i] = ring[ring_tail];
		ring_tail = (ring_tail + 1) % RING_SIZE;
	}
	return n;
}

static long do_stats(struct ipc_msg *m)
{
	m->w[0] = stat_irqs;
	m->w[1] = stat_received;
	m->w[2] = stat_dropped;
	m->w[3] = stat_written;
	m->w[4] = ring_count();
	m->w[5] = 0;
	return 0;
}

/* The request in m becomes its reply. */
static void serve(struct ipc_msg *m)
{
	unsigned label = IPC_TAG_LABEL(m->tag);
	long status;

	if (m->handle > 0)
		handle_close(m->handle); /* no request carries a handle */
	m->handle = 0;
	switch (COM2_OP(label)) {
	case COM2_WRITE:
		status = do_write(m);
		memset(m->w, 0, sizeof(m->w));
		break;
	case COM2_READ:
		status = do_read(m);
		break;
	case COM2_STATS:
		status = do_stats(m);
		break;
	default:
		status = -ENOSYS;
	}
	m->tag = IPC_TAG((unsigned)status, status > 0 ? (status + 7) / 8 : 0);
	if (COM2_OP(label) == COM2_STATS)
		m->tag = IPC_TAG(0, 5);
}

/* Ports, interrupt, endpoint, name: 0, or 1 after saying what failed. */
static int setup(long *ep)
{
	long r;

	if (ioperm(COM2_PORT, COM2_PORTS, 1) != 0) {
		perror("com2d: ioperm(0x2f8, 8)");
		return 1;
	}
	if (uart_init() != 0) {
		fprintf(stderr, "com2d: no UART at 0x2f8 (QEMU needs a second -serial)\n");
		return 1;
	}
	notification = ipc_notification_create();
	if (notification < 0) {
		fprintf(stderr, "com2d: ipc_notification_create: %ld\n", notification);
		return 1;
	}
	r = irq_bind(COM2_IRQ, notification, IRQ_BIT);
	if (r) {
		fprintf(stderr, "com2d: irq_bind(3): %ld%s\n", r,
			r == -EBUSY ? " (another com2d is running)" : "");
		return 1;
	}
	outb(IER_RECEIVED_DATA, COM2_PORT + UART_IER);
	uart_drain(); /* what came before the interrupt was on */
	*ep = ipc_endpoint_create();
	if (*ep < 0) {
		fprintf(stderr, "com2d: ipc_endpoint_create: %ld\n", *ep);
		return 1;
	}
	r = ns_register(COM2_SERVICE, *ep);
	if (r) {
		fprintf(stderr, "com2d: ns_register(\"com2\"): %ld\n", r);
		return 1;
	}
	return 0;
}

int main(void)
{
	long ep;

	if (setup(&ep))
		return 1;
	printf("com2d: pid %d serving \"com2\" (COM2 at 0x2f8, IRQ 3)\n", (int)getpid());
	fflush(stdout);
	for (;;) {
		struct ipc_msg m = {0};
		long r = ipc_recv(ep, &m, POLL_MS);
		irq_wait(0);
		if (r == -ETIMEDOUT || r == -EINTR)
			continue;
		if (r) {
			fprintf(stderr, "com2d: receive failed (%ld): stopping\n", r);
			return 1;
		}
		serve(&m);
		ipc_reply(&m); /* -EPIPE: the caller is gone; nothing to do */
	}
}
