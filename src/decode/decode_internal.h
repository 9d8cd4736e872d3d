/*-------------------------------------------------------------------------
 *
 * decode_internal.h
 *	  State shared by the decoder's files: the nf_decoder object (its
 *	  exporter streams are in stream_table.h).  Not part of the public
 *	  interface.
 *
 * Naming: the public API (decoder.h) uses the nf_ prefix; functions
 * internal to the decoders use nfd_, so they cannot clash with the
 * PostgreSQL-facing code linked into the same library.
 *
 *-------------------------------------------------------------------------
 */
#ifndef NETFLOW_DECODE_INTERNAL_H
#define NETFLOW_DECODE_INTERNAL_H

#include "decoder.h"
#include "flow_contract.h"
#include "msg_ctx.h"
#include "pending.h"
#include "sampling.h"
#include "sequence.h"
#include "stream_table.h"
#include "template_cache.h"

#if defined(__GNUC__) || defined(__clang__)
#define NF_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define NF_PRINTF(f, a)
#endif

struct nf_decoder
{
	nf_decoder_limits lim;
	uint64_t	ctr[NF_CTR__COUNT];
	char		last_error[200];

	nf_template_fn tfn;
	void	   *targ;
	nf_sampling_fn sfn;
	void	   *sarg;
	nf_stream_fn efn;
	void	   *earg;

	nf_stream_table streams;

	nf_tcache	tcache;
	size_t		pending_total;

	/* per nf_decode call */
	nf_emit_fn	emit;
	void	   *emit_arg;
	int			emitted;
};

/* decode_common.c */
extern void nfd_fail(nf_decoder *d, nf_counter c, const char *fmt,...) NF_PRINTF(3, 4);
extern nf_exporter *nfd_exporter_get(nf_decoder *d, const nf_addr *addr,
									 uint32_t domain, uint16_t version,
									 int64_t now_us);
extern void nfd_exporter_seq(nf_decoder *d, nf_exporter *e, nf_seq_result r,
							 uint32_t lost);
extern void nfd_sampling_fire(nf_decoder *d, const nf_exporter *e,
							  uint8_t kind, uint64_t id, uint64_t interval);
extern void nfd_exporter_release(void *arg, nf_exporter *e, bool evicted);
extern void nfd_template_fire(nf_decoder *d, const nf_exporter *e,
							  uint16_t tid, bool is_options, bool withdrawn,
							  bool evicted, const uint8_t *raw,
							  size_t raw_len);
extern void nfd_template_evicted(void *arg, const nf_template *t);
extern nf_exporter *nfd_exporter_load(nf_decoder *d, const nf_addr *addr,
									  uint32_t domain, uint16_t version);

/*
 * Hand one decoded flow to the caller and count it: the single point where
 * records leave the decoders.  The validity contract is applied here first
 * (flow_contract.h): a field that breaks a field rule is made absent and
 * counted by reason; a record that breaks a record rule is dropped and
 * counted.  'rec' is changed in place.  Returns whether the record was
 * emitted (false: dropped by the contract).
 */
static inline bool
nf_emit_record(nf_decoder *d, nf_exporter *e, nf_flow_record *rec)
{
	uint32_t	cleared;
	nf_rule		rule = nf_contract_apply(rec, &cleared);

	if (rule != NF_RULE_OK)
	{
		d->ctr[rule == NF_RULE_MIXED_FAMILY ? NF_CTR_DROP_MIXED_FAMILY :
			   NF_CTR_DROP_INVALID_RECORD]++;
		return false;
	}
	if (cleared != 0)
	{
		d->ctr[NF_CTR_INVALID_MASK] += ((cleared & NF_HAS_SRC_MASK) != 0) +
			((cleared & NF_HAS_DST_MASK) != 0);
		d->ctr[NF_CTR_INVALID_DIRECTION] += (cleared & NF_HAS_DIRECTION) != 0;
	}
	d->ctr[NF_CTR_FLOWS]++;
	e->flows++;
	d->emitted++;
	if (d->emit)
		d->emit(d->emit_arg, rec);
	return true;
}

/* flowset.c: sets common to v9 and IPFIX */
extern void nfd_template_set(nf_decoder *d, nf_exporter *e,
							 const nf_msg_ctx *ctx, bool is_options,
							 const uint8_t *p, size_t len);
extern void nfd_data_set(nf_decoder *d, nf_exporter *e, const nf_msg_ctx *ctx,
						 uint16_t set_id, const uint8_t *p, size_t len,
						 uint32_t *records, bool *records_known);
extern void nfd_flush_templates(nf_decoder *d, nf_exporter *e);
extern bool nfd_learn_loaded(nf_decoder *d, nf_exporter *e, nf_template *t);

/* record.c */
extern uint32_t nfd_decode_records(nf_decoder *d, nf_exporter *e,
								   const nf_template *t, const nf_msg_ctx *ctx,
								   const uint8_t *p, size_t len, bool delayed);

/* netflow_v5.c, netflow_v9.c, ipfix.c */
extern int	nfd_decode_v5(nf_decoder *d, const uint8_t *buf, size_t len,
						  const nf_addr *exporter, int64_t now_us);
extern int	nfd_decode_v9(nf_decoder *d, const uint8_t *buf, size_t len,
						  const nf_addr *exporter, int64_t now_us);
extern int	nfd_decode_ipfix(nf_decoder *d, const uint8_t *buf, size_t len,
							 const nf_addr *exporter, int64_t now_us);

#endif							/* NETFLOW_DECODE_INTERNAL_H */
