/*
 * lockdep.c - the lock-order validator (lockdep.h has the idea).
 *
 * Classes are a table of names (or unnamed locks); a lock caches its class
 * index. "A held when B was taken" is one bit in a matrix (after[A] has
 * bit B) plus an entry of `orders` with both sites, the first time seen.
 * Taking B with A held, when the bit A->B is new: a breadth-first search
 * from B over the matrix looking for A (at most LOCKDEP_MAX_CLASSES nodes)
 * finds an earlier B ... A chain; found, it is reported with the sites of
 * each step; not found, A->B is recorded. Each CPU's stack of held locks
 * is its own (only that CPU touches it, interrupts off).
 *
 * Invariants:
 *   [x] after[A] has bit B exactly when `orders` holds a live A->B entry
 *       (or the table overflowed, reported once);
 *   [x] held[cpu][0 .. depth[cpu]) are the locks cpu took in that order and
 *       holds now, among those taken while the validator was on.
 * Context: called from mm/spinlock.h with interrupts off. Lock order: the
 * graph's raw lock (graph_lock, never validated) is taken last, and
 * nothing is printed while it is held.
 */
#include "mm/lockdep.h"

#include <stdarg.h>

#include "lib/compiler.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/arch.h"
#include "mm/spinlock.h"

#define NO_CLASS 0xffffu
#define REPORT_MAX 512
#define WORDS ((LOCKDEP_MAX_CLASSES + 63) / 64)

bool lockdep_enabled;

struct lock_class {
	const char *name;    /* the locks' name, or NULL: the class of `lock` alone */
	const void *lock;
};

struct lock_order {
	uint16_t from, to;   /* from held when to was taken; from == NO_CLASS: forgotten */
	const char *from_site, *to_site;
};

struct held_lock {
	const spinlock_t *lock;
	uint16_t cls;
	const char *site;
};

static struct lock_class classes[LOCKDEP_MAX_CLASSES];
static unsigned class_count;
static uint64_t after[LOCKDEP_MAX_CLASSES][WORDS];
static struct lock_order orders[LOCKDEP_MAX_ORDERS];
static unsigned order_count;
static struct held_lock held[MM_MAX_CPUS][LOCKDEP_MAX_DEPTH];
static unsigned depth[MM_MAX_CPUS];
static unsigned untracked[MM_MAX_CPUS];  /* pushes lost to a full stack, per CPU */
static bool inside[MM_MAX_CPUS];         /* this CPU is in the validator */
static volatile uint32_t graph_lock;
static bool classes_full, orders_full, depth_full;
static uint64_t report_count;
static char last_report[REPORT_MAX];

static void graph_take(void)
{
	while (__atomic_exchange_n(&graph_lock, 1, __ATOMIC_ACQUIRE))
		__asm__ volatile("pause");
}

static void graph_drop(void)
{
	__atomic_store_n(&graph_lock, 0, __ATOMIC_RELEASE);
}

static const char *class_name(uint16_t cls)
{
	return classes[cls].name ? classes[cls].name : "(unnamed lock)";
}

/* l's class, added if new; NO_CLASS when the table is full. Graph lock held. */
static uint16_t class_of(spinlock_t *l, char *report, size_t size)
{
	if (l->lockdep_class)
		return (uint16_t)(l->lockdep_class - 1);
	for (unsigned i = 0; i < class_count; i++) {
		bool same = l->name ? classes[i].name && strcmp(classes[i].name, l->name) == 0
				    : !classes[i].name && classes[i].lock == l;
		if (same) {
			l->lockdep_class = (uint16_t)(i + 1);
			return (uint16_t)i;
		}
	}
	if (class_count == LOCKDEP_MAX_CLASSES) {
		if (!classes_full)
			ksnprintf(report, size, "lockdep: more than %d lock classes; %s and later "
				  "ones are not checked", LOCKDEP_MAX_CLASSES,
				  l->name ? l->name : "(unnamed lock)");
		classes_full = true;
		return NO_CLASS;
	}
	classes[class_count] = (struct lock_class){l->name, l};
	l->lockdep_class = (uint16_t)(class_count + 1);
	return (uint16_t)class_count++;
}

static bool order_seen(uint16_t a, uint16_t b)
{
	return after[a][b / 64] & (1ull << (b % 64));
}

/* The recorded a -> b entry (NULL: none, an overflow). */
static const struct lock_order *order_entry(uint16_t a, uint16_t b)
{
	for (unsigned i = 0; i < order_count; i++)
		if (orders[i].from == a && orders[i].to == b)
			return &orders[i];
	return NULL;
}

/* Record a then b with their sites. Graph lock held. */
static void order_add(uint16_t a, uint16_t b, const char *a_site, const char *b_site,
		      char *report, size_t size)
{
	after[a][b / 64] |= 1ull << (b % 64);
	if (order_count == LOCKDEP_MAX_ORDERS) {
		if (!orders_full && !report[0])
			ksnprintf(report, size, "lockdep: more than %d lock orders; sites of later "
				  "ones are not kept", LOCKDEP_MAX_ORDERS);
		orders_full = true;
		return;
	}
	orders[order_count++] = (struct lock_order){a, b, a_site, b_site};
}

/*
 * A chain from `from` to `to` over the recorded orders, as the classes on
 * it written into path[0..n) (path[0] = from, path[n-1] = to); returns n,
 * 0 if there is none. Breadth-first, so the chain is a shortest one.
 */
static unsigned find_chain(uint16_t from, uint16_t to, uint16_t *path)
{
	uint16_t queue[LOCKDEP_MAX_CLASSES], parent[LOCKDEP_MAX_CLASSES];
	uint64_t visited[WORDS] = {0};
	unsigned head = 0, tail = 0;

	queue[tail++] = from;
	visited[from / 64] |= 1ull << (from % 64);
	parent[from] = NO_CLASS;
	while (head < tail) {
		uint16_t c = queue[head++];
		if (c == to) {
			unsigned n = 0;
			for (uint16_t x = c; x != NO_CLASS; x = parent[x])
				path[n++] = x;
			for (unsigned i = 0; i < n / 2; i++) { /* reverse: from first */
				uint16_t t = path[i];
				path[i] = path[n - 1 - i];
				path[n - 1 - i] = t;
			}
			return n;
		}
		for (unsigned w = 0; w < WORDS; w++) {
			uint64_t next = after[c][w] & ~visited[w];
			while (next) {
				unsigned bit = (unsigned)__builtin_ctzll(next);
				next &= next - 1;
				uint16_t d = (uint16_t)(w * 64 + bit);
				visited[w] |= 1ull << bit;
				parent[d] = c;
				queue[tail++] = d;
			}
		}
	}
	return 0;
}

/* Append printf-style text at *len of report. */
static void append(char *report, size_t size, size_t *len, const char *fmt, ...) __printf(4, 5);
static void append(char *report, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;

	if (*len >= size)
		return;
	va_start(ap, fmt);
	int n = kvsnprintf(report + *len, size - *len, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len = MIN(*len + (size_t)n, size - 1);
}

/* The inversion report: h held, b being taken at site, chain b ... h's class. */
static void describe_inversion(const struct held_lock *h, uint16_t b, const char *site,
			       const uint16_t *path, unsigned n, char *report, size_t size)
{
	size_t len = 0;

	append(report, size, &len, "lock order inversion: %s (taken at %s) then %s (taken at "
	       "%s); earlier %s then %s at ", class_name(h->cls), h->site, class_name(b), site,
	       class_name(b), class_name(h->cls));
	for (unsigned i = 0; i + 1 < n; i++) {
		const struct lock_order *o = order_entry(path[i], path[i + 1]);
		append(report, size, &len, "%s%s, %s", i ? "; " : "", o ? o->from_site : "?",
		       o ? o->to_site : "?");
		if (n > 2)
			append(report, size, &len, " (%s then %s)", class_name(path[i]),
			       class_name(path[i + 1]));
	}
}

/* Print a report made under the graph lock, outside it. */
static void emit(const char *report)
{
	if (!report[0])
		return;
	kprintf("%s\n", report);
}

void lockdep_acquire(struct spinlock *l, const char *site)
{
	unsigned cpu = arch_cpu_id();
	char report[REPORT_MAX];

	if (inside[cpu])
		return;
	inside[cpu] = true;
	report[0] = '\0';
	graph_take();
	uint16_t b = class_of(l, report, sizeof(report));
	for (unsigned i = 0; i < depth[cpu] && b != NO_CLASS; i++) {
		const struct held_lock *h = &held[cpu][i];
		if (h->lock == l) {
			if (!report[0])
				ksnprintf(report, sizeof(report), "lock recursion: %s taken at %s "
					  "and again at %s", class_name(b), h->site, site);
			continue;
		}
		if (h->cls == NO_CLASS || h->cls == b || order_seen(h->cls, b))
			continue; /* the same class nests as it likes: not checked */
		uint16_t path[LOCKDEP_MAX_CLASSES];
		unsigned n = find_chain(b, h->cls, path);
		if (n && !report[0])
			describe_inversion(h, b, site, path, n, report, sizeof(report));
		order_add(h->cls, b, h->site, site, report, sizeof(report)); /* reported once */
	}
	if (report[0]) {
		report_count++;
		strlcpy(last_report, report, sizeof(last_report));
	}
	graph_drop();
	if (depth[cpu] < LOCKDEP_MAX_DEPTH) {
		held[cpu][depth[cpu]++] = (struct held_lock){l, b, site};
	} else {
		untracked[cpu]++;
		if (!depth_full) {
			depth_full = true;
			ksnprintf(report, sizeof(report), "lockdep: CPU %u holds more than %d locks "
				  "(%s taken at %s); deeper ones are not checked", cpu,
				  LOCKDEP_MAX_DEPTH, l->name ? l->name : "(unnamed lock)", site);
			report_count++;
			strlcpy(last_report, report, sizeof(last_report));
		}
	}
	emit(report);
	inside[cpu] = false;
}

void lockdep_release(struct spinlock *l)
{
	unsigned cpu = arch_cpu_id();

	if (inside[cpu])
		return; /* a lock the validator's own printing took */
	for (unsigned i = depth[cpu]; i-- > 0;) {
		if (held[cpu][i].lock != l)
			continue;
		for (unsigned j = i; j + 1 < depth[cpu]; j++)
			held[cpu][j] = held[cpu][j + 1];
		depth[cpu]--;
		return;
	}
	if (untracked[cpu] > 0)
		untracked[cpu]--; /* one that did not fit on the stack */
	/* else: taken before the validator was switched on */
}

void lockdep_set_enabled(bool on)
{
	lockdep_enabled = on;
}

uint64_t lockdep_reports(void)
{
	return report_count;
}

const char *lockdep_last_report(void)
{
	return last_report;
}

unsigned lockdep_class_count(void)
{
	return class_count;
}

unsigned lockdep_order_count(void)
{
	return order_count;
}

void lockdep_forget(struct spinlock *l)
{
	unsigned long flags = arch_irq_save();
	char report[REPORT_MAX] = "";

	graph_take();
	uint16_t c = class_of(l, report, sizeof(report));
	if (c != NO_CLASS) {
		for (unsigned i = 0; i < LOCKDEP_MAX_CLASSES; i++)
			after[i][c / 64] &= ~(1ull << (c % 64));
		memset(after[c], 0, sizeof(after[c]));
		for (unsigned i = 0; i < order_count; i++)
			if (orders[i].from == c || orders[i].to == c)
				orders[i].from = orders[i].to = NO_CLASS;
	}
	graph_drop();
	arch_irq_restore(flags);
}

void lockdep_reset(void)
{
	graph_take();
	memset(classes, 0, sizeof(classes));
	memset(after, 0, sizeof(after));
	memset(depth, 0, sizeof(depth));
	memset(untracked, 0, sizeof(untracked));
	class_count = order_count = 0;
	classes_full = orders_full = depth_full = false;
	report_count = 0;
	last_report[0] = '\0';
	graph_drop();
}
