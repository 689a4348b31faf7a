/*
 * random.h - a small pseudo-random number generator for tests.
 *
 * The generator is xorshift64* (Sebastiano Vigna, "An experimental
 * exploration of Marsaglia's xorshift generators, scrambled", 2016): three
 * shift-xor steps on a 64-bit state, then a multiplication by a constant
 * that mixes the bits of the output. It is tiny, fast and the same on every
 * machine, which is all that randomized tests and fuzzers need.
 *
 * Rules for callers (checklist):
 *   - the sequence depends only on the seed: the same seed gives the same
 *     numbers everywhere, so a failing test replays exactly from its seed;
 *   - the state must never be 0 (0 maps to 0 forever); seed with a nonzero
 *     constant;
 *   - NOT cryptographic: the outputs reveal the state. Never use it for
 *     anything an attacker may want to predict.
 * The caller owns the state (one uint64_t per stream). Header only; any
 * context, kernel or host.
 */
#ifndef LIB_RANDOM_H
#define LIB_RANDOM_H

#include <stdint.h>

/*
 * Advance *state and return the next 64-bit number of its sequence.
 * state: the generator's state, never 0 (it stays nonzero afterwards).
 */
static inline uint64_t random_next(uint64_t *state)
{
	uint64_t x = *state;

	/* xorshift: a permutation of the nonzero 64-bit values, period 2^64 - 1 */
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	/* the "*": scrambles the weak linear bits of the raw xorshift state */
	return x * 0x2545f4914f6cdd1dull;
}

/*
 * Return a number in [0, n), advancing *state once.
 * n: the bound, > 0. The result is random_next() % n, so some values are
 * likelier than others by a relative n / 2^64 at most (modulo bias):
 * negligible for the bounds tests use.
 */
static inline uint64_t random_below(uint64_t *state, uint64_t n)
{
	return random_next(state) % n;
}

#endif /* LIB_RANDOM_H */
