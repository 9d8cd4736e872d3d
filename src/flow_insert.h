/*-------------------------------------------------------------------------
 *
 * flow_insert.h
 *	  Bulk insertion of decoded flows into netflow.flows (the path COPY
 *	  FROM uses: partition routing, per-partition multi-insert buffers,
 *	  index insertion).
 *
 *-------------------------------------------------------------------------
 */
#ifndef NETFLOW_FLOW_INSERT_H
#define NETFLOW_FLOW_INSERT_H

#include "flow_record.h"

/*
 * Make sure netflow.flows has partitions for the time_start of every flow
 * (calls netflow.create_partitions for hours not seen before that no
 * partition covers).  Runs in the caller's transaction; returns the number
 * of create_partitions calls made.
 */
extern int	nf_ensure_partitions(const nf_flow_record *flows, int n);

/* Forget which hours have partitions (after a failure or a restart). */
extern void nf_forget_partitions(void);

/*
 * Insert n flows into netflow.flows in the caller's transaction.  Every
 * flow must be storable (nf_flow_unstorable() == NULL).  ERRORs
 * on any failure (the caller aborts and retries the whole batch).
 */
extern void nf_insert_flows(const nf_flow_record *flows, int n);

#endif							/* NETFLOW_FLOW_INSERT_H */
