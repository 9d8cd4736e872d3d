/*-------------------------------------------------------------------------
 *
 * collector_state.h
 *	  State of the collector that outlives a worker: protocol templates
 *	  saved in netflow.templates, and the exporter table published to
 *	  shared memory for the netflow.exporters view.
 *
 *-------------------------------------------------------------------------
 */
#ifndef NETFLOW_COLLECTOR_STATE_H
#define NETFLOW_COLLECTOR_STATE_H

#include "decoder.h"
#include "flow_tuple.h"

/* nf_template_fn: remember a template event until it is saved. */
extern void nf_state_template_event(void *arg, const nf_template_event *ev);

/* Number of template events not yet saved. */
extern long nf_state_pending_templates(void);

/*
 * Write the pending template events to netflow.templates in the current
 * transaction (SPI).  Returns the number of rows written.  The events stay
 * pending until nf_state_templates_committed() is called.
 */
extern int	nf_state_save_templates(void);

/* netflow.templates was recreated empty: save every template again. */
extern void nf_state_forget_saved(void);

/* The transaction that saved the templates committed: forget them. */
extern void nf_state_templates_committed(void);

/*
 * Load every template of netflow.templates into the decoder, in the
 * current transaction.  Returns the number loaded.
 */
extern int	nf_state_load_templates(nf_decoder *d);

/* Publish the decoder's exporter table to shared memory. */
extern void nf_state_publish_exporters(const nf_decoder *d);

#endif							/* NETFLOW_COLLECTOR_STATE_H */
