/*
 * parse.h - turning the numbers users type into integers.
 *
 * Shell commands take sizes and addresses ("alloc 4K", "map 0xffff8000...");
 * these functions accept exactly one well-formed unsigned number and reject
 * everything else with an error the command can print, instead of silently
 * reading "12abc" as 12 as atoi would.
 *
 * Accepted syntax (no sign, no spaces, nothing after the suffix):
 *     decimal      123          leading zeros allowed, still decimal ("010" is 10)
 *     hexadecimal  0x7b  0X7B   digits in either case
 *     suffix       4K 2M 1G 1T  binary units, either case: x1024, x1024^2, ...
 *                  0x10K        also after a hex number
 * Context: any; pure functions of their arguments.
 */
#ifndef LIB_PARSE_H
#define LIB_PARSE_H

#include <stdint.h>

/*
 * Parse s (see the syntax above) into *out. Returns 0 on success; -EINVAL if
 * s is NULL, empty, has a character that does not belong (junk, a sign, a
 * space, a second suffix as in "1KB"), is a bare "0x", or is a suffix with no
 * digits ("K"); -ERANGE if the value, before or after applying the suffix,
 * does not fit in 64 bits. On failure *out is not modified. A string that is
 * both malformed and too large gets -EINVAL.
 */
int parse_u64(const char *s, uint64_t *out);

/*
 * parse_u64, then also require min <= value <= max: returns -ERANGE when it
 * is outside (and leaves *out untouched), otherwise as parse_u64.
 */
int parse_u64_range(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/*
 * A short lower-case phrase for an error returned above, for messages such as
 * "alloc: 12x: not a number": -EINVAL "not a number", -ERANGE "number out of
 * range", anything else "invalid number". Never NULL.
 */
const char *parse_error_text(int err);

#endif
