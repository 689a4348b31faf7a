/*
 * rtc.h - the PC's battery-backed CMOS clock (the MC146818 real-time clock
 * and its successors in every chipset): the date and time of day.
 *
 * Pagoda reads it once at boot (sys_time.c's clock_realtime_init) and
 * from then on counts with the TSC: CLOCK_REALTIME is that reading plus
 * CLOCK_MONOTONIC's progress since. The clock's registers hold a date in
 * BCD or binary, 12- or 24-hour, as status register B says; the
 * decoding is rtc_time.h's. The clock is taken to keep UTC (QEMU's default,
 * and Linux's convention for a PC's hardware clock).
 *
 * Invariants:
 *   [x] ports 0x70/0x71 are used with interrupts off (index then data: an
 *       interrupt between them could change the index);
 *   [x] a reading is taken between updates (UIP clear) and twice, until
 *       two consecutive readings agree.
 * Context: process or boot context; a reading spins at most a few ms.
 */
#ifndef DRIVERS_RTC_H
#define DRIVERS_RTC_H

#include "drivers/rtc_time.h"

/*
 * Read the date and time (UTC) into *out. Returns 0; -EIO if the clock
 * never stops updating or never gives the same reading twice (no clock),
 * or gives a date that is not valid (rtc_date_valid: *out holds what was
 * read). Interrupts on or off.
 */
int rtc_read(struct rtc_date *out);

#endif
