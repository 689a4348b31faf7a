/*
 * test_message.c - suite "message": the tag rules of IPC messages
 * (kernel/ipc/message.c) on the host.
 *
 * Covered: every rule of ipc_tag_check one at a time (reserved bits, the
 * kernel's ERROR bit, more than 6 words, MAP with GRANT, a memory item
 * without 6 words, WRITE without a memory item, HANDLE with a number that
 * cannot be a handle), tags that pass (0..6 words, labels, each flag used
 * as meant), the shape of handle numbers agreeing with kernel/ipc/handle.h,
 * and word delivery: words past the tag's count arrive as 0.
 * message.c is pure; handle.c makes real handle numbers for the shape check.
 */
#include <stdbool.h>
#include <stdint.h>

#include "kernel/ipc/handle.h"
#include "kernel/ipc/message.h"
#include "kernel/selftest.h"
#include "lib/errno.h"

static const char *test_tags_accepted(void)
{
	for (unsigned n = 0; n <= IPC_WORDS_MAX; n++) {
		CHECK(ipc_tag_check(IPC_TAG(0, n), 0) == 0);
		CHECK(ipc_tag_check(IPC_TAG(0xffffffffu, n), 0) == 0);
		CHECK(IPC_TAG_WORDS(IPC_TAG(0x1234, n)) == n && IPC_TAG_LABEL(IPC_TAG(0x1234, n)) == 0x1234);
	}
	CHECK(ipc_tag_check(IPC_TAG(1, 6) | IPC_TAG_MAP, 0) == 0);
	CHECK(ipc_tag_check(IPC_TAG(1, 6) | IPC_TAG_MAP | IPC_TAG_WRITE, 0) == 0);
	CHECK(ipc_tag_check(IPC_TAG(1, 6) | IPC_TAG_GRANT | IPC_TAG_WRITE, 0) == 0);
	CHECK(ipc_tag_check(IPC_TAG(1, 0) | IPC_TAG_HANDLE, 1) == 0);
	CHECK(ipc_tag_check(IPC_TAG(1, 6) | IPC_TAG_HANDLE | IPC_TAG_MAP, 0x7fffffff) == 0);
	/* r14 is ignored without IPC_TAG_HANDLE. */
	CHECK(ipc_tag_check(IPC_TAG(1, 2), -5) == 0);
	return NULL;
}

static const char *test_tags_refused(void)
{
	for (unsigned bit = 41; bit < 64; bit++)
		CHECKF(ipc_tag_check(IPC_TAG(0, 1) | 1ull << bit, 0) == -EINVAL, "reserved bit %u", bit);
	CHECK(ipc_tag_check(IPC_TAG(0, 0) | IPC_TAG_ERROR, 0) == -EINVAL);
	for (unsigned n = IPC_WORDS_MAX + 1; n < 16; n++)
		CHECKF(ipc_tag_check(IPC_TAG(0, n), 0) == -EINVAL, "%u words", n);
	CHECK(ipc_tag_check(IPC_TAG(0, 6) | IPC_TAG_MAP | IPC_TAG_GRANT, 0) == -EINVAL);
	for (unsigned n = 0; n < IPC_WORDS_MAX; n++) {
		CHECK(ipc_tag_check(IPC_TAG(0, n) | IPC_TAG_MAP, 0) == -EINVAL);
		CHECK(ipc_tag_check(IPC_TAG(0, n) | IPC_TAG_GRANT, 0) == -EINVAL);
	}
	CHECK(ipc_tag_check(IPC_TAG(0, 6) | IPC_TAG_WRITE, 0) == -EINVAL);
	const int64_t not_handles[] = {0, -1, 2, 4, -3, (int64_t)1 << 31 | 1, INT64_MAX};
	for (unsigned i = 0; i < sizeof(not_handles) / sizeof(not_handles[0]); i++)
		CHECKF(ipc_tag_check(IPC_TAG(0, 0) | IPC_TAG_HANDLE, not_handles[i]) == -EINVAL,
		       "handle %lld", (long long)not_handles[i]);
	return NULL;
}

static void shape_destroy(struct kobject *o)
{
	(void)o;
}

static const struct kobject_ops shape_ops = {.type = KOBJECT_ENDPOINT, .destroy = shape_destroy};

/* Every number a table hands out passes the HANDLE rule (handle.h's shape). */
static const char *test_handle_shape_agrees(void)
{
	static struct handle_table t;
	static struct kobject o;

	kobject_init(&o, &shape_ops);
	for (uint32_t seed = 0; seed < 64; seed++) {
		handle_table_init(&t, seed * 2654435761u);
		for (unsigned i = 0; i < HANDLE_TABLE_SLOTS; i++) {
			kobject_get(&o);
			int h = handle_install(&t, &o, HANDLE_RIGHT_SEND);
			CHECK(h > 0);
			CHECKF(ipc_tag_check(IPC_TAG(0, 0) | IPC_TAG_HANDLE, h) == 0, "handle %#x", h);
		}
		handle_table_destroy(&t);
	}
	CHECK(kobject_refcount(&o) == 1);
	return NULL;
}

static const char *test_words_delivered(void)
{
	const uint64_t in[IPC_WORDS_MAX] = {11, 22, 33, 44, 55, 66};
	uint64_t out[IPC_WORDS_MAX];

	for (unsigned n = 0; n <= IPC_WORDS_MAX; n++) {
		ipc_words_deliver(IPC_TAG(9, n), in, out);
		for (unsigned i = 0; i < IPC_WORDS_MAX; i++)
			CHECKF(out[i] == (i < n ? in[i] : 0), "%u words: word %u is %llu", n, i,
			       (unsigned long long)out[i]);
	}
	CHECK(ipc_tag_has_memory(IPC_TAG(0, 6) | IPC_TAG_MAP));
	CHECK(ipc_tag_has_memory(IPC_TAG(0, 6) | IPC_TAG_GRANT));
	CHECK(!ipc_tag_has_memory(IPC_TAG(0, 6) | IPC_TAG_HANDLE | IPC_TAG_WRITE));
	return NULL;
}

static const struct selftest message_tests[] = {
	{"tags_accepted", "0..6 words, any label, MAP/GRANT with 6 words, WRITE with them, HANDLE "
	 "with a handle number", test_tags_accepted},
	{"tags_refused", "reserved bits, ERROR, > 6 words, MAP+GRANT, memory without 6 words, "
	 "WRITE alone, HANDLE with a non-handle: -EINVAL", test_tags_refused},
	{"handle_shape_agrees", "every number handle.h's layout makes passes the HANDLE rule",
	 test_handle_shape_agrees},
	{"words_delivered", "words past the tag's count arrive as 0", test_words_delivered},
};

SELFTEST_SUITE(message, message_tests);
