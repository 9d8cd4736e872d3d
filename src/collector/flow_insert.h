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

/* Where a flow of a flush goes (the codes of netflow.route_flows()). */
#define NF_DEST_FLOWS		0	/* netflow.flows (a partition holds it) */
#define NF_DEST_FUTURE		1	/* netflow.flows_future */
#define NF_DEST_PAST		2	/* netflow.flows_past */
#define NF_DEST_DROPPED		3	/* nowhere (counted by the caller) */

/* Table name of a destination. */
extern const char *nf_dest_table(uint8 dest);

/*
 * Decide the table of each flow (dest[i] = NF_DEST_*).  Flows of hours
 * known to have a partition go to netflow.flows.  The start times of the
 * others go to netflow.route_flows() when 'ask' (it creates at most a few
 * partitions within the window, see docs/operations.md); without 'ask', or
 * when that function does not exist and neither does the 0.1 one, they go
 * to netflow.flows_past (started before now) or netflow.flows_future.
 * Runs in the caller's transaction; returns the number of flows not found
 * in the cache.
 */
extern int	nf_route_flows(const nf_flow_record *flows, int n, uint8 *dest,
						   bool ask);

/*
 * The store for a flow no partition takes: netflow.flows_past when it
 * started before now (and that table exists), else netflow.flows_future.
 */
extern uint8 nf_store_for(int64 time_start);

/* Forget which hours have partitions (after a failure). */
extern void nf_forget_partitions(void);

/*
 * Insert into the table of destination 'want' the flows i of flows[0..n)
 * with dest[i] == want, in the caller's transaction.  Every flow must be
 * storable (nf_flow_unstorable() == NULL).  Rows routed to a foreign-table
 * partition are written with the wrapper's own insert routine.  ERRORs on
 * any failure (the caller decides what to retry).
 */
extern void nf_insert_flows(const nf_flow_record *flows, int n,
							const uint8 *dest, uint8 want);

/*
 * Citus (docs/scale-out.md): the reason the destination tables cannot be
 * written on this node (a Citus worker where one of them is not a Citus
 * table, or a node holding shards of netflow.flows without Citus metadata),
 * or NULL; and whether this node is a Citus worker (either kind).  Looked
 * up once per transaction; need a transaction.
 */
extern const char *nf_citus_refusal(void);
extern bool nf_citus_worker_node(void);

#endif							/* NETFLOW_FLOW_INSERT_H */
