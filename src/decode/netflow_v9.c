/*-------------------------------------------------------------------------
 *
 * netflow_v9.c
 *	  NetFlow v9 decoder (RFC 3954): 20-byte header, then flowsets:
 *	  0 templates, 1 options templates, 2-255 reserved, >= 256 data.
 *
 * The sequence number counts export packets per (exporter, source id).
 * An exporter restart -- sysUptime going backwards by more than
 * V9_UPTIME_SLACK_MS, or the sequence number jumping far back -- resets
 * the sequence state and invalidates the stream's templates and the data
 * waiting for them: after a restart template ids may be reassigned with
 * other layouts (RFC 3954 section 9: templates do not survive an exporter
 * restart), and the exporter re-sends its templates.
 *
 *-------------------------------------------------------------------------
 */
#include "byteorder.h"
#include "decode_internal.h"

#define V9_HEADER_LEN		20
#define V9_REORDER_WINDOW	128		/* export packets */
#define V9_UPTIME_SLACK_MS	10000

/* Decode one NetFlow v9 datagram. */
int
nfd_decode_v9(nf_decoder *d, const uint8_t *buf, size_t len,
			  const nf_addr *exporter, int64_t now_us)
{
	nf_msg_ctx	ctx;
	uint32_t	seq;
	nf_exporter *e;
	nf_seq_result sr;
	uint32_t	lost;
	bool		reset = false;
	const uint8_t *p;
	const uint8_t *end = buf + len;
	uint32_t	records = 0;
	bool		records_known = true;

	if (len < V9_HEADER_LEN)
	{
		nfd_fail(d, NF_CTR_DROP_SHORT, "v9 datagram of %zu bytes is shorter than its header", len);
		return -1;
	}
	ctx.version = 9;
	ctx.uptime_ms = nf_get_u32(buf + 4);
	ctx.export_us = (int64_t) nf_get_u32(buf + 8) * 1000000;
	ctx.recv_us = now_us;
	seq = nf_get_u32(buf + 12);
	ctx.obs_domain = nf_get_u32(buf + 16);

	e = nfd_exporter_get(d, exporter, ctx.obs_domain, 9, now_us);
	if (e == NULL)
		return -1;
	e->datagrams++;

	sr = nfd_seq_check(&e->seq, seq, V9_REORDER_WINDOW, false, &lost);
	if (e->has_uptime &&
		(int32_t) (ctx.uptime_ms - e->last_uptime) < -V9_UPTIME_SLACK_MS)
		reset = true;
	if (sr == NF_SEQ_RESET)
		reset = true;
	if (reset)
	{
		sr = NF_SEQ_RESET;
		nfd_exporter_seq(d, e, sr, 0);
		nfd_flush_templates(d, e);
		d->ctr[NF_CTR_PENDING_EXPIRED] +=
			nfd_pending_clear(&e->pending, &d->pending_total);
		e->last_uptime = ctx.uptime_ms;
	}
	else
	{
		nfd_exporter_seq(d, e, sr, lost);
		if (!e->has_uptime || (int32_t) (ctx.uptime_ms - e->last_uptime) > 0)
			e->last_uptime = ctx.uptime_ms;
	}
	e->has_uptime = true;
	nfd_seq_advance(&e->seq, sr, seq, 1, true);

	d->ctr[NF_CTR_PENDING_EXPIRED] +=
		nfd_pending_expire(&e->pending, &d->pending_total, now_us,
						   d->lim.pending_max_age_us);

	p = buf + V9_HEADER_LEN;
	/* fewer than 4 trailing bytes cannot be a flowset: ignored padding */
	while (end - p >= 4)
	{
		uint16_t	id = nf_get_u16(p);
		uint16_t	slen = nf_get_u16(p + 2);

		if (slen < 4)
		{
			nfd_fail(d, NF_CTR_DROP_BAD_SET,
					 "v9 flowset %u length %u is below 4", (unsigned) id,
					 (unsigned) slen);
			return -1;
		}
		if (slen > end - p)
		{
			nfd_fail(d, NF_CTR_DROP_BAD_SET,
					 "v9 flowset %u length %u runs past the datagram end",
					 (unsigned) id, (unsigned) slen);
			return -1;
		}
		if (id == 0 || id == 1)
			nfd_template_set(d, e, &ctx, id == 1, p + 4, slen - 4u);
		else if (id < 256)
			nfd_fail(d, NF_CTR_DROP_BAD_SET, "v9 reserved flowset id %u",
					 (unsigned) id);
		else
			nfd_data_set(d, e, &ctx, id, p + 4, slen - 4u, &records,
						 &records_known);
		p += slen;
	}
	(void) records;
	(void) records_known;
	return 0;
}
