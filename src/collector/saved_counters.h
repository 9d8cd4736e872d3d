/*-------------------------------------------------------------------------
 *
 * saved_counters.h
 *	  Loss counters that survive restarts (netflow.saved_counters).
 *
 *-------------------------------------------------------------------------
 */
#ifndef NETFLOW_SAVED_COUNTERS_H
#define NETFLOW_SAVED_COUNTERS_H

/* How often the inserter saves the loss counters (ms), when they changed. */
#define NF_COUNTER_SAVE_MS	10000

/*
 * Is the counter of this name a loss counter (shown by
 * netflow.drop_counters and saved across restarts)?
 */
extern bool nf_is_loss_counter(const char *name);

/* Does any loss counter hold counts not yet saved? */
extern bool nf_loss_counters_unsaved(void);

/*
 * Add the counts not yet saved to netflow.saved_counters, in a transaction
 * of its own (call outside any transaction).  With 'all', every loss
 * counter gets a row even if it is zero (so that its counting_since is
 * set).  Errors are logged (rate-limited), never thrown; returns true when
 * saved.
 */
extern bool nf_loss_counters_save(bool all);

#endif							/* NETFLOW_SAVED_COUNTERS_H */
