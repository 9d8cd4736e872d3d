/*-------------------------------------------------------------------------
 *
 * decoder.h
 *	  Public interface of the NetFlow v5 / v9 / IPFIX decoders.
 *
 * Plain C, no PostgreSQL header.  One nf_decoder holds the state that
 * outlives a datagram: templates per (exporter, domain, template id),
 * sampling rates, data sets waiting for their template, and sequence
 * tracking per (exporter, domain).  It is not thread-safe: the collector
 * has one decoder, in its inserter (so an exporter's templates apply
 * whichever receiver read the datagram), and netflow.decode() one per
 * SQL session.
 *
 * A decoder never reads past the buffer it is given, never loops without
 * bound and never aborts on input: a malformed datagram is counted (see
 * nf_counter) and skipped, and every valid record around it is still emitted.
 *
 *-------------------------------------------------------------------------
 */
#ifndef NETFLOW_DECODER_H
#define NETFLOW_DECODER_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

#include "flow_record.h"

/*
 * Counters kept by a decoder.  Every drop has one.  Names (nf_counter_name)
 * are stable: they are shown to SQL as-is.
 */
typedef enum nf_counter
{
	NF_CTR_DATAGRAMS,			/* datagrams given to nf_decode */
	NF_CTR_BYTES,				/* their total size */
	NF_CTR_FLOWS,				/* records emitted */
	NF_CTR_DROP_BAD_VERSION,	/* not 5, 9 or 10 */
	NF_CTR_DROP_SHORT,			/* shorter than its header */
	NF_CTR_DROP_BAD_LENGTH,		/* message/record lengths inconsistent */
	NF_CTR_DROP_BAD_SET,		/* set/flowset header invalid (length, id) */
	NF_CTR_DROP_BAD_TEMPLATE,	/* template or options template invalid */
	NF_CTR_DROP_BAD_RECORD,		/* data record invalid (e.g. var-len past end) */
	NF_CTR_TEMPLATES_LEARNED,
	NF_CTR_TEMPLATES_WITHDRAWN,
	NF_CTR_TEMPLATES_EVICTED,	/* dropped because max_templates reached */
	NF_CTR_OPTIONS_RECORDS,		/* options data records seen */
	NF_CTR_PENDING_BUFFERED,	/* data sets stored waiting for a template */
	NF_CTR_PENDING_DECODED,		/* such sets decoded once it arrived */
	NF_CTR_PENDING_EVICTED,		/* sets dropped: buffer bound reached */
	NF_CTR_PENDING_EXPIRED,		/* sets dropped: waited too long */
	NF_CTR_SEQ_GAPS,			/* sequence discontinuities (loss) */
	NF_CTR_SEQ_LOST,			/* estimated lost units (flows or packets) */
	NF_CTR_SEQ_REORDERED,		/* late or duplicate sequence numbers */
	NF_CTR_EXPORTER_RESETS,		/* exporter restart detected */
	/* added by the decoders (names appended, existing values unchanged) */
	NF_CTR_EXPORTERS_EVICTED,	/* (exporter, domain) entries dropped:
								 * max_exporters reached */
	NF_CTR_SAMPLING_UNKNOWN,	/* v5 header: sampling mode set, interval 0 */
	NF_CTR_DROP_NO_MEMORY,		/* allocation failed: template or data set
								 * lost */
	NF_CTR_BIFLOW_REVERSE,		/* reverse-direction records emitted (also
								 * in NF_CTR_FLOWS) */
	/* the validity contract (flow_contract.h), applied at emission */
	NF_CTR_INVALID_MASK,		/* src_mask/dst_mask too long for the
								 * address family: emitted as absent */
	NF_CTR_INVALID_DIRECTION,	/* direction not 0/1: emitted as absent */
	NF_CTR_DROP_MIXED_FAMILY,	/* record dropped: IPv4 and IPv6 mixed in
								 * src_addr/dst_addr */
	NF_CTR_DROP_INVALID_RECORD, /* record dropped: another record rule
								 * broken (never, by construction) */
	NF_CTR_SAMPLING_LOST,		/* streams evicted while they knew sampling
								 * rates (recreated: sampling unknown, 0) */
	NF_CTR_STATE_NOT_LOADED,	/* saved templates, rates, sequence states a
								 * load refused: a bound was reached */
	NF_CTR__COUNT
} nf_counter;

/* Stable lower-case name of a counter, e.g. "drop_bad_set". */
extern const char *nf_counter_name(nf_counter c);

/* Bounds on what a decoder keeps in memory. */
typedef struct nf_decoder_limits
{
	size_t		max_templates;	/* all exporters together */
	size_t		pending_bytes_per_exporter;	/* data waiting for templates */
	int64_t		pending_max_age_us; /* older waiting data is expired */
	size_t		max_exporters;	/* (exporter, domain) entries tracked */
	/* added by the decoders; 0 in any field means "the default" */
	size_t		pending_bytes_total;	/* all exporters together */
	/* per exporter address (all its domains and versions together) */
	size_t		max_streams_per_address;
	size_t		max_templates_per_address;
	size_t		pending_bytes_per_address;
} nf_decoder_limits;

/* Fill 'lim' with the defaults. */
extern void nf_decoder_default_limits(nf_decoder_limits *lim);

typedef struct nf_decoder nf_decoder;

/* Callback receiving each decoded flow (valid only during the call). */
typedef void (*nf_emit_fn) (void *arg, const nf_flow_record *rec);

/*
 * Template events, so the caller can persist templates and reload them
 * after a restart (nf_decoder_load_template).  'raw' is the template record
 * as it was on the wire: for a template, template id, field count and field
 * specifiers; for an options template (is_options), the version's options
 * template record header and specifiers.
 */
typedef struct nf_template_event
{
	nf_addr		exporter;
	uint32_t	obs_domain;
	uint16_t	version;		/* 9 or 10 */
	uint16_t	template_id;
	bool		is_options;
	bool		withdrawn;		/* true: template removed, raw is NULL */
	const uint8_t *raw;
	size_t		raw_len;
	bool		evicted;		/* withdrawn by a bound, not by the exporter */
} nf_template_event;

typedef void (*nf_template_fn) (void *arg, const nf_template_event *ev);

/* Create a decoder (NULL limits: defaults); NULL when out of memory. */
extern nf_decoder *nf_decoder_create(const nf_decoder_limits *lim);

/* Free a decoder and all it holds. */
extern void nf_decoder_destroy(nf_decoder *d);

/*
 * Register a callback for template events (NULL to stop).  Templates
 * evicted by a bound, alone or with their stream, are reported as
 * withdrawn with 'evicted' set.
 */
extern void nf_decoder_on_template(nf_decoder *d, nf_template_fn fn, void *arg);

/*
 * Template 'template_id' of stream (exporter, obs_domain, version) as
 * cached now: false if none.  *raw stays valid until the next call into
 * the decoder.
 */
extern bool nf_decoder_find_template(const nf_decoder *d,
									 const nf_addr *exporter,
									 uint32_t obs_domain, uint16_t version,
									 uint16_t template_id, bool *is_options,
									 const uint8_t **raw, size_t *raw_len);

/* Is stream (exporter, obs_domain, version) tracked now? */
extern bool nf_decoder_has_stream(const nf_decoder *d, const nf_addr *exporter,
								  uint32_t obs_domain, uint16_t version);

/* Call 'fn' once for each cached template, as a (not withdrawn) event. */
extern void nf_decoder_templates(const nf_decoder *d, nf_template_fn fn,
								 void *arg);

/* A stream (exporter, domain, version) evicted by a bound. */
typedef struct nf_stream_event
{
	nf_addr		exporter;
	uint32_t	obs_domain;
	uint16_t	version;
} nf_stream_event;

typedef void (*nf_stream_fn) (void *arg, const nf_stream_event *ev);

/*
 * Register a callback (NULL to stop) told of every stream evicted by a
 * bound (its templates are reported first, as evicted template events),
 * so the caller can forget what it saved of it.
 */
extern void nf_decoder_on_stream_evicted(nf_decoder *d, nf_stream_fn fn,
										 void *arg);

/*
 * Decode one datagram received from 'exporter' at 'now_us' (collector
 * clock, us since Unix epoch).  Emits every record it can, including data
 * that was waiting for a template this datagram carries.  Returns the number
 * of records emitted, or -1 when the datagram as a whole was malformed
 * (counted; nf_decoder_last_error says why).  Records decoded before the
 * malformation in the same datagram are still emitted.
 */
extern int	nf_decode(nf_decoder *d, const uint8_t *buf, size_t len,
					  const nf_addr *exporter, int64_t now_us,
					  nf_emit_fn emit, void *arg);

/* Human-readable reason for the last malformation ("" if none). */
extern const char *nf_decoder_last_error(const nf_decoder *d);

/* Counter array of NF_CTR__COUNT entries, cumulative since creation. */
extern const uint64_t *nf_decoder_counters(const nf_decoder *d);

/*
 * Load a template saved from an nf_template_event.  Returns false if 'raw'
 * is not a valid template, or a bound (streams, templates) is reached:
 * loading never evicts anything (refusals are counted in
 * NF_CTR_STATE_NOT_LOADED), so load the most recently used first.
 * Loading fires no template event; data already waiting for the template
 * is decoded with the next data set that uses it.
 */
extern bool nf_decoder_load_template(nf_decoder *d, const nf_addr *exporter,
									 uint32_t obs_domain, uint16_t version,
									 uint16_t template_id, bool is_options,
									 const uint8_t *raw, size_t raw_len);

/*
 * Expire waiting data older than the limit at 'now_us' (counted).  The
 * collector calls it periodically; nf_decode also does on its own.
 */
extern void nf_decoder_expire(nf_decoder *d, int64_t now_us);

/* Per (exporter, domain) state, for the exporters view. */
typedef struct nf_exporter_info
{
	nf_addr		exporter;
	uint32_t	obs_domain;
	uint16_t	version;		/* last seen */
	int64_t		first_seen;		/* us since Unix epoch */
	int64_t		last_seen;
	uint64_t	datagrams;
	uint64_t	flows;
	uint64_t	seq_gaps;
	uint64_t	seq_lost;		/* estimated lost flows (v9: export packets) */
	uint64_t	seq_reordered;
	uint64_t	resets;
	uint32_t	templates;		/* templates currently cached */
	uint64_t	sampling_interval;	/* last known exporter-wide interval,
									 * 0 unknown */
	uint64_t	pending_bytes;	/* data waiting for templates */
	/* added for state persistence (nf_decoder_load_sequence) */
	bool		seq_known;		/* next_sequence is meaningful */
	uint32_t	next_sequence;	/* sequence number expected next */
	bool		uptime_known;	/* v9: last_uptime_ms is meaningful */
	uint32_t	last_uptime_ms; /* v9: highest sysUptime seen */
} nf_exporter_info;

typedef void (*nf_exporter_fn) (void *arg, const nf_exporter_info *info);

/* Call 'fn' once for each tracked (exporter, domain). */
extern void nf_decoder_exporters(const nf_decoder *d, nf_exporter_fn fn,
								 void *arg);

/*
 * Sampling rates, so the caller can persist them and reload them after a
 * restart (nf_decoder_load_sampling).  Kinds: the exporter-wide rate (an
 * options record naming no sampler; id 0), a samplerId (48) or a PSAMP
 * selectorId (302).
 */
#define NF_SAMPLING_KIND_EXPORTER	0
#define NF_SAMPLING_KIND_SAMPLER	1
#define NF_SAMPLING_KIND_SELECTOR	2

typedef struct nf_sampling_event
{
	nf_addr		exporter;
	uint32_t	obs_domain;
	uint16_t	version;		/* 9 or 10 */
	uint8_t		kind;			/* NF_SAMPLING_KIND_* */
	uint64_t	sampler_id;		/* 0 for NF_SAMPLING_KIND_EXPORTER */
	uint64_t	interval;		/* "1 in N"; 0 = sampled at an unknown rate */
} nf_sampling_event;

typedef void (*nf_sampling_fn) (void *arg, const nf_sampling_event *ev);

/*
 * Register a callback (NULL to stop) called when an options data record
 * teaches a sampling rate that is new or differs from the one known for
 * its (exporter, domain, version, kind, id).  Re-announcing the same rate
 * fires nothing; v5 (whose every header carries its rate) fires nothing.
 */
extern void nf_decoder_on_sampling(nf_decoder *d, nf_sampling_fn fn,
								   void *arg);

/*
 * Call 'fn' once for each sampling rate the v9/IPFIX streams know (the
 * exporter-wide rate and each sampler / selector), as an event.
 */
extern void nf_decoder_sampling(const nf_decoder *d, nf_sampling_fn fn,
								 void *arg);

/*
 * Load a sampling rate saved from an nf_sampling_event, as if an options
 * record had announced it (records decoded afterwards use it).  Returns
 * false for a version other than 9 or 10, an unknown kind, out of memory,
 * or a stream bound reached (never evicts; counted in
 * NF_CTR_STATE_NOT_LOADED).  Loading fires no event.
 */
extern bool nf_decoder_load_sampling(nf_decoder *d, const nf_addr *exporter,
									 uint32_t obs_domain, uint16_t version,
									 uint8_t kind, uint64_t sampler_id,
									 uint64_t interval);

/*
 * Sequence state of one (exporter, domain, version), as listed by
 * nf_decoder_exporters (seq_known, next_sequence, uptime_known,
 * last_uptime_ms), saved before a collector restart.
 */
typedef struct nf_sequence_state
{
	nf_addr		exporter;
	uint32_t	obs_domain;
	uint16_t	version;		/* 5, 9 or 10 */
	uint32_t	next_sequence;	/* sequence number expected next */
	bool		uptime_known;	/* v9 */
	uint32_t	last_uptime_ms; /* v9 */
	int64_t		last_seen;		/* us since Unix epoch; 0 unknown */
} nf_sequence_state;

/*
 * Resume sequence tracking of a stream from saved state.  The next
 * datagram's number is compared with next_sequence: equal is no gap;
 * ahead by up to 2^28 units is one gap of that many lost units (sent while
 * the collector was down); behind, or further ahead, is an exporter
 * restart (as is, for v9, a sysUptime below last_uptime_ms).  Returns
 * false for an unknown version, out of memory or a stream bound reached
 * (never evicts; counted in NF_CTR_STATE_NOT_LOADED).  A stream that has
 * already seen a datagram is left as it is (returns true).
 */
extern bool nf_decoder_load_sequence(nf_decoder *d,
									 const nf_sequence_state *st);

#endif							/* NETFLOW_DECODER_H */
