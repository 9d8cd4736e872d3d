/*-------------------------------------------------------------------------
 *
 * tap.h
 *	  Minimal TAP producer for the decoder unit tests.
 *
 *-------------------------------------------------------------------------
 */
#ifndef NETFLOW_TAP_H
#define NETFLOW_TAP_H

#include <stdint.h>

/* Report one test; returns cond. */
extern int	tap_ok(int cond, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));

/* Report that got == want (prints both on failure). */
extern int	tap_is(uint64_t got, uint64_t want, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));

/* Report that got == want for signed values. */
extern int	tap_is_i(int64_t got, int64_t want, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));

/* Print a diagnostic line. */
extern void tap_diag(const char *fmt,...) __attribute__((format(printf, 1, 2)));

/* Print the plan; returns the exit status (0 if all passed). */
extern int	tap_done(void);

#define ok(c, ...) tap_ok(!!(c), __VA_ARGS__)
#define is(g, w, ...) tap_is((uint64_t) (g), (uint64_t) (w), __VA_ARGS__)
#define is_i(g, w, ...) tap_is_i((int64_t) (g), (int64_t) (w), __VA_ARGS__)

#endif
