/*-------------------------------------------------------------------------
 *
 * sampling.h
 *	  Sampling rates announced by an exporter stream: per sampler /
 *	  selector id and an exporter-wide default.
 *
 * Intervals are "1 in N": 1 = unsampled, 0 = unknown.  Nothing is ever
 * multiplied: the interval is stored beside the raw counters.
 *
 *-------------------------------------------------------------------------
 */
#ifndef NETFLOW_SAMPLING_H
#define NETFLOW_SAMPLING_H

#include <stdint.h>
#include <stdbool.h>

/* Samplers remembered per exporter stream; the oldest is replaced. */
#define NF_MAX_SAMPLERS 32

/* same values as NF_SAMPLING_KIND_* of decoder.h */
#define NF_SAMPLER_KIND_SAMPLER		1	/* v9 / IPFIX samplerId (48) */
#define NF_SAMPLER_KIND_SELECTOR	2	/* PSAMP selectorId (302) */

typedef struct nf_sampler
{
	uint64_t	id;
	uint64_t	interval;
	uint8_t		kind;
} nf_sampler;

typedef struct nf_sampling
{
	bool		announced;		/* exporter sent any sampling information */
	bool		has_default;
	uint64_t	default_interval;
	uint32_t	n;
	uint32_t	next_replace;
	nf_sampler	s[NF_MAX_SAMPLERS];
} nf_sampling;

extern void nfd_sampling_init(nf_sampling *s);

/*
 * Remember the interval of sampler (kind, id).  Returns true when this is
 * news: the sampler was unknown or had another interval.
 */
extern bool nfd_sampling_set(nf_sampling *s, uint8_t kind, uint64_t id,
							 uint64_t interval);

/* Remember the exporter-wide interval; true when it is news (as above). */
extern bool nfd_sampling_set_default(nf_sampling *s, uint64_t interval);

/* Interval of sampler (kind, id); false if unknown. */
extern bool nfd_sampling_find(const nf_sampling *s, uint8_t kind, uint64_t id,
							  uint64_t *interval);

/* Interval for records that name no sampler: default, else 1 or 0. */
extern uint64_t nfd_sampling_fallback(const nf_sampling *s);

#endif							/* NETFLOW_SAMPLING_H */
