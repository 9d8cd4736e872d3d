/*-------------------------------------------------------------------------
 *
 * collector.h
 *	  Entry points of the collector's background workers and the small
 *	  helpers they share.
 *
 *-------------------------------------------------------------------------
 */
#ifndef NETFLOW_COLLECTOR_H
#define NETFLOW_COLLECTOR_H

#include <sys/time.h>

#include "datatype/timestamp.h"
#include "fmgr.h"

/* Background worker entry points (bgw_function_name). */
extern PGDLLEXPORT void nf_receiver_main(Datum main_arg);
extern PGDLLEXPORT void nf_inserter_main(Datum main_arg);

/* Define settings, shared memory and workers (called from _PG_init). */
extern void nf_collector_init(void);

/* Current time in microseconds since the Unix epoch. */
static inline int64
nf_now_us(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64) tv.tv_sec * 1000000 + tv.tv_usec;
}

/* Unix-epoch microseconds to a PostgreSQL timestamp (us since 2000). */
#define NF_UNIX_TO_PG_US	INT64CONST(946684800000000)

static inline TimestampTz
nf_us_to_timestamptz(int64 us)
{
	return (TimestampTz) (us - NF_UNIX_TO_PG_US);
}

#endif							/* NETFLOW_COLLECTOR_H */
