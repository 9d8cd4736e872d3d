/*-------------------------------------------------------------------------
 *
 * collector_state.h
 *	  Decoder state the collector keeps across restarts of the inserter
 *	  (templates, sampling rates, sequence state: netflow.templates,
 *	  netflow.sampling, netflow.exporter_state), saved with the flows, and
 *	  the exporter table published to shared memory for the
 *	  netflow.exporters view.
 *
 *-------------------------------------------------------------------------
 */
#ifndef NETFLOW_COLLECTOR_STATE_H
#define NETFLOW_COLLECTOR_STATE_H

#include "decoder.h"
#include "flow_tuple.h"

/* nf_template_fn: remember a template event until it is saved. */
extern void nf_state_template_event(void *arg, const nf_template_event *ev);

/* nf_sampling_fn: remember a sampling rate until it is saved. */
extern void nf_state_sampling_event(void *arg, const nf_sampling_event *ev);

/*
 * nf_stream_fn: the decoder evicted a stream; what was saved of it is
 * deleted at the next save.
 */
extern void nf_state_stream_evicted(void *arg, const nf_stream_event *ev);

/* Is any learned state (templates, sampling rates, evictions) waiting to be saved? */
extern bool nf_state_pending(void);

/*
 * Write what changed since the last committed save (templates, sampling
 * rates, sequence state of the streams) in the current transaction (SPI).
 * Returns the number of template rows written.  The changes stay pending
 * until nf_state_committed() is called.
 */
extern int	nf_state_save(const nf_decoder *d);

/* The transaction of the last nf_state_save committed. */
extern void nf_state_committed(void);

/*
 * The saved tables were recreated empty (extension recreated): everything
 * the decoder holds is saved again at the next nf_state_save.
 */
extern void nf_state_forget(const nf_decoder *d);

/*
 * Load the saved templates, sampling rates and sequence state into the
 * decoder, in the current transaction (SPI); logs how many were loaded.
 */
extern void nf_state_load(nf_decoder *d);

/* Publish the decoder's exporter table to shared memory. */
extern void nf_state_publish_exporters(const nf_decoder *d);

#endif							/* NETFLOW_COLLECTOR_STATE_H */
