/*-------------------------------------------------------------------------
 *
 * exporter_state.h
 *	  Per-exporter decoder state the collector keeps across restarts:
 *	  sampling rates (netflow.sampling) and sequence state
 *	  (netflow.exporter_state).
 *
 *-------------------------------------------------------------------------
 */
#ifndef NETFLOW_EXPORTER_STATE_H
#define NETFLOW_EXPORTER_STATE_H

#include "decoder.h"

/* nf_sampling_fn: remember a sampling rate until it is saved. */
extern void nf_state_sampling_event(void *arg, const nf_sampling_event *ev);

/* Number of sampling rates not yet saved. */
extern long nf_state_pending_sampling(void);

/*
 * Write the pending sampling rates to netflow.sampling in the current
 * transaction (SPI).  Returns the number of rows written; they stay
 * pending until nf_state_sampling_committed().
 */
extern int	nf_state_save_sampling(void);

/* The transaction that saved the sampling rates committed: forget them. */
extern void nf_state_sampling_committed(void);

/*
 * Write the sequence state of every stream that changed since the last
 * committed save to netflow.exporter_state in the current transaction
 * (SPI).  Returns the number of rows written or deleted.
 */
extern int	nf_state_save_sequences(const nf_decoder *d);

/* The transaction of the last nf_state_save_sequences committed. */
extern void nf_state_sequences_committed(void);

/* netflow.exporter_state was recreated empty: save every stream again. */
extern void nf_state_forget_saved_sequences(void);

/*
 * Load netflow.sampling and netflow.exporter_state into the decoder in the
 * current transaction (SPI); logs how many rows were loaded.
 */
extern void nf_state_load_exporter_state(nf_decoder *d);

#endif							/* NETFLOW_EXPORTER_STATE_H */
