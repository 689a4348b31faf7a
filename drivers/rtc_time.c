/*
 * rtc_time.c - BCD, 12-hour and calendar arithmetic for the CMOS clock
 * (see rtc_time.h).
 *
 * rtc_date_to_unix counts days with the "days from civil" method: shift the
 * year to start in March, so the leap day is the last day of its year;
 * then a 400-year era has a fixed 146,097 days and the day of the era is a
 * closed formula, with no loop over years or months.
 *
 * Invariants:
 *   [x] no table of month lengths is needed by the day count (the March
 *       shift makes 153 days per 5 months exact); validation uses one;
 *   [x] every result fits in int64_t for years up to 9999.
 * Pure code: any context.
 */
#include "drivers/rtc_time.h"

uint8_t rtc_bcd_to_binary(uint8_t bcd)
{
	uint8_t high = bcd >> 4, low = bcd & 0x0f;

	if (high > 9 || low > 9)
		return 0xff;
	return (uint8_t)(high * 10 + low);
}

uint8_t rtc_hour_from_12(uint8_t hour12, bool pm)
{
	if (hour12 < 1 || hour12 > 12)
		return 0xff;
	if (hour12 == 12)
		hour12 = 0; /* 12 AM is midnight, 12 PM noon */
	return (uint8_t)(pm ? hour12 + 12 : hour12);
}

static bool is_leap_year(unsigned year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

unsigned rtc_days_in_month(unsigned year, unsigned month)
{
	static const uint8_t days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (month < 1 || month > 12)
		return 0;
	if (month == 2 && is_leap_year(year))
		return 29;
	return days[month - 1];
}

bool rtc_date_valid(const struct rtc_date *d)
{
	return d->year >= 1970 && d->year <= 9999 && d->day >= 1 &&
	       d->day <= rtc_days_in_month(d->year, d->month) && d->hour < 24 &&
	       d->minute < 60 && d->second < 60;
}

int64_t rtc_date_to_unix(const struct rtc_date *d)
{
	if (!rtc_date_valid(d))
		return -1;
	/* The year runs March .. February: January and February belong to the year before. */
	int64_t year = (int64_t)d->year - (d->month <= 2);
	int64_t era = year / 400;                                    /* year >= 1969: no negatives */
	int64_t year_of_era = year - era * 400;                      /* 0 .. 399 */
	int64_t month_from_march = (d->month + 9) % 12;              /* March 0 .. February 11 */
	int64_t day_of_year = (153 * month_from_march + 2) / 5 + d->day - 1; /* 0 .. 365 */
	int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
	/* 719,468 days from 0000-03-01 (era 0's first day) to 1970-01-01 */
	int64_t days = era * 146097 + day_of_era - 719468;

	return days * 86400 + d->hour * 3600 + d->minute * 60 + d->second;
}
