/*-------------------------------------------------------------------------
 *
 * tap.c
 *	  Minimal TAP producer: "ok N - desc" / "not ok N - desc", plan last.
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <inttypes.h>

#include "tap.h"

static int	tap_count;
static int	tap_failed;

static void tap_line(int cond, const char *fmt, va_list ap)
			__attribute__((format(printf, 2, 0)));

/* Print the result line for one test. */
static void
tap_line(int cond, const char *fmt, va_list ap)
{
	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_count);
	vprintf(fmt, ap);
	printf("\n");
}

int
tap_ok(int cond, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	tap_line(cond, fmt, ap);
	va_end(ap);
	return cond;
}

int
tap_is(uint64_t got, uint64_t want, const char *fmt,...)
{
	va_list		ap;
	int			cond = (got == want);

	va_start(ap, fmt);
	tap_line(cond, fmt, ap);
	va_end(ap);
	if (!cond)
		printf("#   got: %" PRIu64 " (0x%" PRIx64 ")\n#   expected: %" PRIu64
			   " (0x%" PRIx64 ")\n", got, got, want, want);
	return cond;
}

int
tap_is_i(int64_t got, int64_t want, const char *fmt,...)
{
	va_list		ap;
	int			cond = (got == want);

	va_start(ap, fmt);
	tap_line(cond, fmt, ap);
	va_end(ap);
	if (!cond)
		printf("#   got: %" PRId64 "\n#   expected: %" PRId64 "\n", got, want);
	return cond;
}

void
tap_diag(const char *fmt,...)
{
	va_list		ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

int
tap_done(void)
{
	printf("1..%d\n", tap_count);
	if (tap_failed)
		printf("# %d of %d tests failed\n", tap_failed, tap_count);
	fflush(stdout);
	return tap_failed ? 1 : 0;
}
