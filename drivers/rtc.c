/*
 * rtc.c - reading the CMOS real-time clock (see rtc.h).
 *
 * The clock's registers are reached through an index port and a data port.
 * The clock updates its registers once a second, taking about 2 ms; while
 * status A's UIP bit is set an update is in progress or imminent (244 us
 * ahead) and the registers may be half-changed. So: wait for UIP clear, read
 * all the registers, and do it again until two readings agree (a reading
 * that straddled an update differs from the next). Then decode BCD and
 * 12-hour formats as status B says, and the century: register 0x32 where
 * it holds a plausible BCD century (QEMU and most PCs; ACPI's FADT names
 * it), else 20xx.
 *
 * Invariants:
 *   [x] every index-then-data access runs with interrupts off;
 *   [x] every wait is bounded (RTC_MAX_POLLS, RTC_MAX_TRIES): a machine
 *       without a clock gives -EIO, never a hang.
 * Context: any thread or boot; spins at most a few ms.
 */
#include "drivers/rtc.h"

#include "drivers/arch.h"
#include "lib/errno.h"
#include "lib/string.h"

/* Ports (PC/AT): write a register's index to 0x70, then read its value at 0x71. */
#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71

/* Register indexes (MC146818A datasheet, "Address map"). */
#define RTC_SECONDS 0x00
#define RTC_MINUTES 0x02
#define RTC_HOURS 0x04
#define RTC_DAY_OF_MONTH 0x07
#define RTC_MONTH 0x08
#define RTC_YEAR 0x09       /* 0 .. 99 */
#define RTC_STATUS_A 0x0a
#define RTC_STATUS_B 0x0b
#define RTC_CENTURY 0x32    /* not in the MC146818; the PC convention (ACPI FADT CENTURY) */

#define RTC_A_UIP 0x80      /* status A bit 7: update in progress (or within 244 us) */
#define RTC_B_24_HOUR 0x02  /* status B bit 1: hours 0 .. 23 (else 1 .. 12 with RTC_HOUR_PM) */
#define RTC_B_BINARY 0x04   /* status B bit 2: values in binary (else BCD) */
#define RTC_HOUR_PM 0x80    /* hours register bit 7, 12-hour mode: afternoon */

#define RTC_MAX_POLLS 100000 /* UIP checks before giving up (each ~1 us: an I/O read) */
#define RTC_MAX_TRIES 8      /* readings before two agree or we give up */

/* The raw registers of one reading. */
struct rtc_raw {
	uint8_t second, minute, hour, day, month, year, century, status_b;
};

static uint8_t cmos_read(uint8_t index)
{
	outb(CMOS_INDEX, index);
	return inb(CMOS_DATA);
}

/* Wait for no update in progress, then read every register. false: UIP never cleared. */
static bool rtc_read_raw(struct rtc_raw *raw)
{
	unsigned long flags = arch_irq_save();
	bool settled = false;

	for (unsigned i = 0; i < RTC_MAX_POLLS && !settled; i++)
		settled = !(cmos_read(RTC_STATUS_A) & RTC_A_UIP);
	if (settled) {
		raw->second = cmos_read(RTC_SECONDS);
		raw->minute = cmos_read(RTC_MINUTES);
		raw->hour = cmos_read(RTC_HOURS);
		raw->day = cmos_read(RTC_DAY_OF_MONTH);
		raw->month = cmos_read(RTC_MONTH);
		raw->year = cmos_read(RTC_YEAR);
		raw->century = cmos_read(RTC_CENTURY);
		raw->status_b = cmos_read(RTC_STATUS_B);
	}
	arch_irq_restore(flags);
	return settled;
}

/* A register's value in binary, as status B says it is stored. */
static uint8_t rtc_value(const struct rtc_raw *raw, uint8_t v)
{
	return (raw->status_b & RTC_B_BINARY) ? v : rtc_bcd_to_binary(v);
}

static void rtc_decode(const struct rtc_raw *raw, struct rtc_date *out)
{
	uint8_t hour = raw->hour;

	if (raw->status_b & RTC_B_24_HOUR)
		hour = rtc_value(raw, hour);
	else
		hour = rtc_hour_from_12(rtc_value(raw, hour & (uint8_t)~RTC_HOUR_PM),
					hour & RTC_HOUR_PM);
	out->second = rtc_value(raw, raw->second);
	out->minute = rtc_value(raw, raw->minute);
	out->hour = hour;
	out->day = rtc_value(raw, raw->day);
	out->month = rtc_value(raw, raw->month);
	/* The century register is BCD on every clock that has it (19, 20, 21...). */
	uint8_t century = rtc_bcd_to_binary(raw->century);
	if (century < 19 || century > 99)
		century = 20;
	out->year = century * 100u + rtc_value(raw, raw->year);
}

int rtc_read(struct rtc_date *out)
{
	struct rtc_raw previous, now;

	if (!rtc_read_raw(&previous))
		return -EIO;
	for (unsigned tries = 0; tries < RTC_MAX_TRIES; tries++) {
		if (!rtc_read_raw(&now))
			return -EIO;
		if (memcmp(&previous, &now, sizeof(now)) == 0) {
			rtc_decode(&now, out);
			return rtc_date_valid(out) ? 0 : -EIO;
		}
		previous = now;
	}
	return -EIO;
}
