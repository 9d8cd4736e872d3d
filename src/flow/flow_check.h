/*-------------------------------------------------------------------------
 *
 * flow_check.h
 *	  Validity rules of an nf_flow_record: what every netflow.flow value
 *	  satisfies.
 *
 * Plain C, no PostgreSQL header, so that the decoders may apply the same
 * rules before they emit a record.  The text, binary and row input paths of
 * netflow.flow all end with nf_flow_check, so any value that is stored can
 * be written out and read back.
 *
 *-------------------------------------------------------------------------
 */
#ifndef NETFLOW_FLOW_CHECK_H
#define NETFLOW_FLOW_CHECK_H

#include "flow_record.h"

/* Outcome of nf_flow_check. */
typedef enum nf_check_result
{
	NF_CHECK_OK = 0,
	NF_CHECK_INVALID,			/* malformed: bad family, non-canonical bytes */
	NF_CHECK_RANGE				/* a value outside its allowed range */
} nf_check_result;

/*
 * Check a record.  On failure returns the kind of problem and sets *detail
 * to a constant English sentence describing it.
 */
extern nf_check_result nf_flow_check(const nf_flow_record *r,
									 const char **detail);

#endif							/* NETFLOW_FLOW_CHECK_H */
