/*
 * list.h - intrusive, circular, doubly linked lists (header only).
 *
 * "Intrusive": the links live inside the objects being listed, so adding
 * to a list never allocates - essential in a memory manager, which cannot
 * call the allocator it is implementing. An object embeds a struct list_node
 * and container_of() (lib/compiler.h) gets from the node back to the object.
 *
 * "Circular, with a head": the list is reached through a head node that is
 * not part of any object. The last node points back to the head, so there
 * are no NULL pointers and no special cases for the ends:
 *
 *        +--------------------------------------------------+
 *        |   +------+ next  +------+ next  +------+ next    |
 *        +-> | head | ----> |  A   | ----> |  B   | --------+
 *        +-- |      | <---- |      | <---- |      | <-------+
 *        |   +------+  prev +------+  prev +------+         |
 *        |                     prev of head is B            |
 *        +--------------------------------------------------+
 *
 * Invariants:
 *   [x] for every node n on a list: n->next->prev == n and n->prev->next == n;
 *   [x] an empty list is a head whose next and prev point to itself;
 *   [x] a node that is on no list also points to itself (list_init, or after
 *       list_remove), so removing it again is harmless.
 * No locking: the owner of the list serializes access. Usable in any context.
 */
#ifndef LIB_LIST_H
#define LIB_LIST_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/compiler.h"

struct list_node {
	struct list_node *next, *prev;
};

/* Static initializer for an empty list: static struct list_node free = LIST_INIT(free); */
#define LIST_INIT(name) { &(name), &(name) }

/* Make node an empty list head (or a detached node): both links point to itself. */
static inline void list_init(struct list_node *node)
{
	node->next = node;
	node->prev = node;
}

/* Link node in between the adjacent nodes prev and next. */
static inline void list_insert_between_(struct list_node *node, struct list_node *prev,
					struct list_node *next)
{
	node->prev = prev;
	node->next = next;
	prev->next = node;
	next->prev = node;
}

/* Insert node right after head: at the front of the list (use it as a stack). */
static inline void list_add(struct list_node *head, struct list_node *node)
{
	list_insert_between_(node, head, head->next);
}

/* Insert node right before head: at the back of the list (use it as a queue). */
static inline void list_add_tail(struct list_node *head, struct list_node *node)
{
	list_insert_between_(node, head->prev, head);
}

/*
 * Unlink node from whatever list it is on and make it point to itself, so
 * that list_empty(node) is true and a second list_remove does nothing.
 */
static inline void list_remove(struct list_node *node)
{
	node->prev->next = node->next;
	node->next->prev = node->prev;
	list_init(node);
}

/* True if the list has no entries (also: node is on no list). */
static inline bool list_empty(const struct list_node *head)
{
	return head->next == head;
}

/* True if the list has exactly one entry. */
static inline bool list_is_singular(const struct list_node *head)
{
	return !list_empty(head) && head->next == head->prev;
}

/* Number of entries; walks the whole list, O(n). */
static inline size_t list_count(const struct list_node *head)
{
	size_t n = 0;

	for (const struct list_node *p = head->next; p != head; p = p->next)
		n++;
	return n;
}

/* The object of type `type` whose list_node field `member` is at ptr. */
#define list_entry(ptr, type, member) container_of(ptr, type, member)

/* The first object on a list; the list must not be empty. */
#define list_first_entry(head, type, member) list_entry((head)->next, type, member)

/* Iterate over the nodes: for (pos = first; pos != head; pos = pos->next). */
#define list_for_each(pos, head) for ((pos) = (head)->next; (pos) != (head); (pos) = (pos)->next)

/* Like list_for_each, but pos may be removed (tmp holds its successor). */
#define list_for_each_safe(pos, tmp, head)                                        \
	for ((pos) = (head)->next, (tmp) = (pos)->next; (pos) != (head);           \
	     (pos) = (tmp), (tmp) = (pos)->next)

/* Iterate over the objects: pos is a pointer to the object type, member its list_node. */
#define list_for_each_entry(pos, head, member)                                    \
	for ((pos) = list_entry((head)->next, __typeof__(*(pos)), member);         \
	     &(pos)->member != (head);                                             \
	     (pos) = list_entry((pos)->member.next, __typeof__(*(pos)), member))

/* Like list_for_each_entry, but pos may be removed or freed (tmp holds its successor). */
#define list_for_each_entry_safe(pos, tmp, head, member)                          \
	for ((pos) = list_entry((head)->next, __typeof__(*(pos)), member),         \
	    (tmp) = list_entry((pos)->member.next, __typeof__(*(pos)), member);    \
	     &(pos)->member != (head);                                             \
	     (pos) = (tmp), (tmp) = list_entry((tmp)->member.next, __typeof__(*(pos)), member))

#endif
