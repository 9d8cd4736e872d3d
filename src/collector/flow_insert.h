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
 * Decide the table of each flow: to_flows[i] = true for netflow.flows,
 * false for netflow.flows_future.  Flows of hours not known to have a
 * partition go through netflow.ensure_partitions_for(), which creates the
 * partitions they need (see docs/operations.md).  Runs in the caller's
 * transaction; returns the number of flows given to that function.
 */
extern int	nf_route_flows(const nf_flow_record *flows, int n, bool *to_flows);

/* Forget which hours have partitions (after a failure). */
extern void nf_forget_partitions(void);

/*
 * Insert into netflow.<relname> the flows i of flows[0..n) with
 * to_flows[i] == want (all of them when to_flows is NULL), in the caller's
 * transaction.  Every flow must be storable (nf_flow_unstorable() == NULL).
 * ERRORs on any failure (the caller aborts and retries the whole batch).
 */
extern void nf_insert_flows(const char *relname, const nf_flow_record *flows,
							int n, const bool *to_flows, bool want);

#endif							/* NETFLOW_FLOW_INSERT_H */
