/*
 * i8042.c - probe and program the PS/2 controller (see i8042.h).
 *
 * Ports, status bits, commands and the configuration byte are those of the
 * IBM PS/2 "Keyboard and Auxiliary Device Controller" (Technical Reference,
 * section "8042 keyboard controller"), which every later chipset keeps; the
 * keyboard's own commands are from its section "Keyboard commands". The
 * order follows what firmware and other kernels do: disable both devices
 * so nothing arrives mid-probe, flush, self-test (which may reset the
 * configuration, so it is written after), configure, test the port, enable.
 *
 * Invariants:
 *   [x] every wait ends by I8042_TIMEOUT_MS (the keyboard's answer by
 *       I8042_KEYBOARD_TIMEOUT_MS), whatever the hardware does;
 *   [x] the flush reads at most I8042_BUFFER_SIZE bytes.
 * Context: see i8042.h.
 */
#include "drivers/i8042.h"

#include "drivers/arch.h"
#include "lib/errno.h"

#define I8042_DATA 0x60          /* read: output buffer; write: input buffer (data) */
#define I8042_STATUS 0x64        /* read: status register */
#define I8042_COMMAND 0x64       /* write: controller command */

/* Status register (PS/2 TR, "Status Register"). */
#define STATUS_OUTPUT_FULL 0x01  /* bit 0: a byte waits in the output buffer */
#define STATUS_INPUT_FULL 0x02   /* bit 1: the controller has not taken our last byte */
#define STATUS_AUX_DATA 0x20     /* bit 5: the waiting byte came from port 2 (mouse) */
#define STATUS_ABSENT 0xff       /* no device decodes the port: the ISA bus floats high */

/* Controller commands, written to I8042_COMMAND. */
#define CMD_READ_CONFIG 0x20     /* the configuration byte -> output buffer */
#define CMD_WRITE_CONFIG 0x60    /* next data byte -> the configuration byte */
#define CMD_DISABLE_PORT2 0xa7
#define CMD_SELF_TEST 0xaa       /* answers SELF_TEST_PASSED */
#define CMD_TEST_PORT1 0xab      /* interface test: answers PORT_TEST_PASSED */
#define CMD_DISABLE_PORT1 0xad
#define CMD_ENABLE_PORT1 0xae
#define CMD_PULSE_RESET 0xfe     /* pulse output line 0: the CPU's reset */
#define SELF_TEST_PASSED 0x55
#define PORT_TEST_PASSED 0x00

/* Configuration byte (PS/2 TR, "Command Byte"). */
#define CONFIG_PORT1_IRQ 0x01    /* bit 0: IRQ 1 when a port-1 byte arrives */
#define CONFIG_PORT2_IRQ 0x02    /* bit 1: IRQ 12 for port 2 */
#define CONFIG_PORT1_CLOCK_OFF 0x10 /* bit 4: port 1 disabled */
#define CONFIG_PORT2_CLOCK_OFF 0x20 /* bit 5: port 2 disabled */
#define CONFIG_TRANSLATE 0x40    /* bit 6: translate set 2 to set 1 */

/* Keyboard commands, written to I8042_DATA (PS/2 TR, "Keyboard Commands"). */
#define KBD_ENABLE_SCANNING 0xf4 /* start sending scan codes; answers KBD_ACK */
#define KBD_TRIES 3

#define I8042_TIMEOUT_MS 5         /* the controller answers in microseconds */
#define I8042_KEYBOARD_TIMEOUT_MS 25 /* a keyboard answers within ~20 ms */
#define I8042_BUFFER_SIZE 16       /* bytes a controller may hold (QEMU's queue: 16) */

static uint8_t config_byte; /* as i8042_init left it; i8042_enable_irq adds the IRQ bit */

/* The TSC value ms milliseconds from now (assume 4 GHz if not calibrated: longer). */
static uint64_t deadline_ms(unsigned ms)
{
	uint64_t hz = timer_tsc_hz() ? timer_tsc_hz() : 4000000000ull;
	return rdtsc() + hz / 1000 * ms;
}

/* Wait until the status has all bits of mask equal to want; false at the deadline. */
static bool wait_status(uint8_t mask, uint8_t want, unsigned ms)
{
	uint64_t end = deadline_ms(ms);

	do {
		if ((inb(I8042_STATUS) & mask) == want)
			return true;
		cpu_relax();
	} while (rdtsc() < end);
	return false;
}

static int write_port(uint16_t port, uint8_t value)
{
	if (!wait_status(STATUS_INPUT_FULL, 0, I8042_TIMEOUT_MS))
		return -EIO;
	outb(port, value);
	return 0;
}

/* The next byte from the output buffer within ms, or -EIO. */
static int read_data(unsigned ms)
{
	if (!wait_status(STATUS_OUTPUT_FULL, STATUS_OUTPUT_FULL, ms))
		return -EIO;
	return inb(I8042_DATA);
}

/* A controller command with no answer; then one with an answer (0..255 or -errno). */
static int command(uint8_t cmd)
{
	return write_port(I8042_COMMAND, cmd);
}

static int command_answer(uint8_t cmd)
{
	int err = command(cmd);
	return err ? err : read_data(I8042_TIMEOUT_MS);
}

/* Empty the output buffer (bytes typed or queued before the probe). */
static void flush(void)
{
	for (int i = 0; i < I8042_BUFFER_SIZE && (inb(I8042_STATUS) & STATUS_OUTPUT_FULL); i++)
		(void)inb(I8042_DATA);
}

int i8042_keyboard_command(uint8_t cmd)
{
	for (int i = 0; i < KBD_TRIES; i++) {
		int err = write_port(I8042_DATA, cmd);
		if (err)
			return err;
		int answer = read_data(I8042_KEYBOARD_TIMEOUT_MS);
		if (answer == KBD_ACK)
			return 0;
		if (answer != KBD_RESEND)
			return answer < 0 ? answer : -EIO;
	}
	return -EIO;
}

static int fail(struct i8042_probe *out, const char *problem)
{
	out->problem = problem;
	(void)command(CMD_DISABLE_PORT1); /* leave nothing half on (no-op when absent) */
	return -ENODEV;
}

int i8042_init(struct i8042_probe *out)
{
	ASSERT_IRQS_OFF();
	*out = (struct i8042_probe){.status = inb(I8042_STATUS)};
	if (out->status == STATUS_ABSENT) {
		out->problem = "status 0xff";
		return -ENODEV;
	}
	if (command(CMD_DISABLE_PORT1) || command(CMD_DISABLE_PORT2))
		return fail(out, "the controller takes no command");
	flush();
	int config = command_answer(CMD_READ_CONFIG);
	if (config < 0)
		return fail(out, "no configuration byte");
	config &= ~(CONFIG_PORT1_IRQ | CONFIG_PORT2_IRQ | CONFIG_TRANSLATE);
	if (command(CMD_WRITE_CONFIG) || write_port(I8042_DATA, (uint8_t)config))
		return fail(out, "the configuration byte cannot be written");
	if (command_answer(CMD_SELF_TEST) != SELF_TEST_PASSED)
		return fail(out, "self-test failed");
	out->controller = true;
	/* The self-test may have reset the configuration: write the one we want now. */
	config = (config | CONFIG_TRANSLATE | CONFIG_PORT2_CLOCK_OFF) & ~CONFIG_PORT1_CLOCK_OFF;
	if (command(CMD_WRITE_CONFIG) || write_port(I8042_DATA, (uint8_t)config))
		return fail(out, "the configuration byte cannot be written");
	if (command_answer(CMD_TEST_PORT1) != PORT_TEST_PASSED)
		return fail(out, "port 1 interface test failed");
	if (command(CMD_ENABLE_PORT1))
		return fail(out, "port 1 cannot be enabled");
	flush();
	if (i8042_keyboard_command(KBD_ENABLE_SCANNING) != 0)
		return fail(out, "no keyboard answers on port 1");
	out->keyboard = true;
	config_byte = (uint8_t)config;
	return 0;
}

int i8042_enable_irq(void)
{
	ASSERT_IRQS_OFF();
	config_byte |= CONFIG_PORT1_IRQ;
	if (command(CMD_WRITE_CONFIG) || write_port(I8042_DATA, config_byte))
		return -EIO;
	return 0;
}

int i8042_keyboard_send(uint8_t byte)
{
	if (inb(I8042_STATUS) & STATUS_INPUT_FULL)
		return -EBUSY;
	outb(I8042_DATA, byte);
	return 0;
}

bool i8042_read_data(uint8_t *byte)
{
	for (int i = 0; i < I8042_BUFFER_SIZE; i++) {
		uint8_t status = inb(I8042_STATUS);
		if (!(status & STATUS_OUTPUT_FULL) || status == STATUS_ABSENT)
			return false;
		uint8_t data = inb(I8042_DATA);
		if (!(status & STATUS_AUX_DATA)) {
			*byte = data;
			return true;
		}
	}
	return false;
}

void i8042_pulse_reset(void)
{
	(void)command(CMD_PULSE_RESET);
}
