/*
 * rtc_time.h - what the CMOS clock's registers mean: BCD and 12-hour
 * decoding, and a calendar date (UTC) turned into Unix time.
 *
 * Separate from rtc.c, which reads the hardware, so that the arithmetic is
 * pure and the host tests (tests/host/test_rtc_time.c) can check it against
 * dates whose Unix time is known. The date is the proleptic Gregorian one
 * that POSIX time counts in (leap years: divisible by 4, except centuries
 * not divisible by 400); leap seconds do not exist in Unix time.
 *
 * Invariants:
 *   [x] rtc_date_valid() accepts exactly the real dates of 1970 .. 9999
 *       with times 00:00:00 .. 23:59:59;
 *   [x] rtc_date_to_unix() of a valid date is the number of seconds since
 *       1970-01-01 00:00:00 UTC, days counted with 400-year cycles.
 * Pure code: any context, kernel or host.
 */
#ifndef DRIVERS_RTC_TIME_H
#define DRIVERS_RTC_TIME_H

#include <stdbool.h>
#include <stdint.h>

/* A calendar date and time of day, UTC, as the clock keeps it. */
struct rtc_date {
	unsigned year;   /* e.g. 2026 */
	unsigned month;  /* 1 .. 12 */
	unsigned day;    /* 1 .. 31 */
	unsigned hour;   /* 0 .. 23 */
	unsigned minute; /* 0 .. 59 */
	unsigned second; /* 0 .. 59 */
};

/* The value of a BCD byte (0x59 -> 59); values with a digit above 9 give 0xff. */
uint8_t rtc_bcd_to_binary(uint8_t bcd);

/*
 * A 12-hour clock's hour register, already out of BCD, to 0 .. 23:
 * hour12 is 1 .. 12 and pm says whether bit 7 (PM) was set. 12 AM is 0,
 * 12 PM is 12. Out-of-range hours give 0xff.
 */
uint8_t rtc_hour_from_12(uint8_t hour12, bool pm);

/* Does d name a real date (the month has that day) and time, 1970 .. 9999? */
bool rtc_date_valid(const struct rtc_date *d);

/* Days in month (1 .. 12) of year; 0 for a month out of range. */
unsigned rtc_days_in_month(unsigned year, unsigned month);

/* Seconds from 1970-01-01 00:00:00 UTC to d (rtc_date_valid(d), else -1). */
int64_t rtc_date_to_unix(const struct rtc_date *d);

#endif
