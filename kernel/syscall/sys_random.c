/*
 * sys_random.c - getrandom and the kernel's source of random bytes (see
 * sys_random.h).
 *
 * RDRAND can fail when the CPU's generator is drained (CF = 0): Intel's
 * guide says to retry, 10 times at most, before calling it broken; after
 * that Pagoda uses the fallback generator for that word. Bytes go out in
 * chunks of RANDOM_CHUNK through a stack buffer, no chunk crossing a page
 * boundary: a buffer that runs into unmapped memory gets the bytes up to
 * it and their count, as on Linux (-EFAULT only if not one byte fits). A
 * kill pending between chunks ends a long request early with the bytes so
 * far, as Linux does.
 *
 * Invariants:
 *   [x] rdrand_present is computed once (first use) from CPUID;
 *   [x] the fallback's state changes only under random_lock.
 * Context: any for random_u64; getrandom from a system call.
 */
#include "kernel/syscall/sys_random.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/proc/process.h"
#include "kernel/syscall/iovec.h"
#include "kernel/syscall/sys_time.h"
#include "lib/errno.h"
#include "lib/random.h"
#include "mm/spinlock.h"
#include "mm/uaccess.h"

#define CPUID_1_ECX_RDRAND (1u << 30) /* SDM Vol. 2A CPUID leaf 01H, ECX bit 30 */
#define RDRAND_RETRIES 10             /* Intel DRNG guide: retry this often before giving up */
#define RANDOM_CHUNK 256              /* bytes per copy_to_user */

static spinlock_t random_lock = SPINLOCK_INIT("random");
static uint64_t fallback_state;        /* 0: not seeded yet */
static int rdrand_present = -1;        /* -1: not asked yet */

bool random_has_rdrand(void)
{
	if (rdrand_present < 0)
		rdrand_present = (cpuid(1, 0).ecx & CPUID_1_ECX_RDRAND) != 0;
	return rdrand_present;
}

static bool rdrand64(uint64_t *out)
{
	for (int i = 0; i < RDRAND_RETRIES; i++) {
		uint64_t v;
		uint8_t ok;
		__asm__ volatile("rdrand %0; setc %1" : "=r"(v), "=qm"(ok) : : "cc");
		if (ok) {
			*out = v;
			return true;
		}
	}
	return false;
}

static uint64_t fallback_u64(void)
{
	unsigned long flags = spin_lock_irqsave(&random_lock);

	if (fallback_state == 0)
		fallback_state = rdtsc() ^ clock_realtime_ns() ^ 0x9e3779b97f4a7c15ull;
	fallback_state ^= rdtsc() << 17; /* stir: the time of each call is one more secret */
	if (fallback_state == 0)
		fallback_state = 0x9e3779b97f4a7c15ull;
	uint64_t v = random_next(&fallback_state);
	spin_unlock_irqrestore(&random_lock, flags);
	return v;
}

uint64_t random_u64(void)
{
	uint64_t v;

	if (random_has_rdrand() && rdrand64(&v))
		return v;
	return fallback_u64();
}

long sys_getrandom(virt_addr_t buf, size_t len, unsigned flags)
{
	uint8_t chunk[RANDOM_CHUNK];
	size_t done = 0;

	if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
		return -EINVAL;
	if ((flags & GRND_INSECURE) && (flags & GRND_RANDOM))
		return -EINVAL;
	if (!user_range_ok(buf, len))
		return -EFAULT;
	if (len > IOVEC_MAX_RW_COUNT)
		len = IOVEC_MAX_RW_COUNT;
	while (done < len) {
		/* Never across a page boundary: a fault then ends the call at exactly the bytes written. */
		size_t to_page = PAGE_SIZE - ((buf + done) & (PAGE_SIZE - 1));
		size_t n = len - done < RANDOM_CHUNK ? len - done : RANDOM_CHUNK;
		if (n > to_page)
			n = to_page;
		if (done > 0 && signal_pending())
			break;
		for (size_t i = 0; i < n; i += 8) {
			uint64_t v = random_u64();
			for (size_t j = 0; j < 8 && i + j < n; j++)
				chunk[i + j] = (uint8_t)(v >> (8 * j));
		}
		if (copy_to_user(buf + done, chunk, n))
			return done > 0 ? (long)done : -EFAULT;
		done += n;
	}
	return (long)done;
}
