/*-------------------------------------------------------------------------
 *
 * ipfix.c
 *	  IPFIX decoder (RFC 7011): 16-byte message header, then sets:
 *	  2 templates, 3 options templates, 4-255 reserved, >= 256 data.
 *
 * The sequence number counts data records (all data sets, options data
 * included) per (exporter, observation domain).  When a message holds data
 * sets that could not be counted (template unknown, malformed), the next
 * message resynchronizes instead of reporting a gap.  An exporter restart
 * (a large backward jump, a jump back to 0, or a run of contiguous late
 * messages; see sequence.h) resets the sequence state only; templates are
 * kept (RFC 7011 section 8.4: over UDP a template is replaced when re-sent
 * and otherwise lives until it times out or is withdrawn).
 *
 *-------------------------------------------------------------------------
 */
#include "byteorder.h"
#include "decode_internal.h"

#define IPFIX_HEADER_LEN		16
#define IPFIX_REORDER_WINDOW	65536	/* data records */

/* Decode one IPFIX message. */
int
nfd_decode_ipfix(nf_decoder *d, const uint8_t *buf, size_t len,
				 const nf_addr *exporter, int64_t now_us)
{
	nf_msg_ctx	ctx;
	uint16_t	msg_len;
	uint32_t	seq;
	nf_exporter *e;
	nf_seq_result sr;
	uint32_t	lost;
	const uint8_t *p;
	const uint8_t *end;
	uint32_t	records = 0;
	bool		records_known = true;
	int			res = 0;

	if (len < IPFIX_HEADER_LEN)
	{
		nfd_fail(d, NF_CTR_DROP_SHORT, "IPFIX datagram of %zu bytes is shorter than its header", len);
		return -1;
	}
	msg_len = nf_get_u16(buf + 2);
	if (msg_len < IPFIX_HEADER_LEN || msg_len > len)
	{
		nfd_fail(d, NF_CTR_DROP_BAD_LENGTH,
				 "IPFIX message length %u does not fit datagram of %zu bytes",
				 (unsigned) msg_len, len);
		return -1;
	}
	ctx.version = 10;
	ctx.uptime_ms = 0;
	ctx.export_us = (int64_t) nf_get_u32(buf + 4) * 1000000;
	ctx.recv_us = now_us;
	seq = nf_get_u32(buf + 8);
	ctx.obs_domain = nf_get_u32(buf + 12);

	e = nfd_exporter_get(d, exporter, ctx.obs_domain, 10, now_us);
	if (e == NULL)
		return -1;
	e->datagrams++;

	sr = nfd_seq_check(&e->seq, seq, IPFIX_REORDER_WINDOW, true, &lost);
	nfd_exporter_seq(d, e, sr, lost);

	d->ctr[NF_CTR_PENDING_EXPIRED] +=
		nfd_pending_expire(&e->pending, &d->pending_total, now_us,
						   d->lim.pending_max_age_us);

	p = buf + IPFIX_HEADER_LEN;
	end = buf + msg_len;
	while (p < end)
	{
		uint16_t	id;
		uint16_t	slen;

		if (end - p < 4)
		{
			nfd_fail(d, NF_CTR_DROP_BAD_SET,
					 "IPFIX message has %d bytes after its last set",
					 (int) (end - p));
			records_known = false;
			res = -1;
			break;
		}
		id = nf_get_u16(p);
		slen = nf_get_u16(p + 2);
		if (slen < 4)
		{
			nfd_fail(d, NF_CTR_DROP_BAD_SET,
					 "IPFIX set %u length %u is below 4", (unsigned) id,
					 (unsigned) slen);
			records_known = false;
			res = -1;
			break;
		}
		if (slen > end - p)
		{
			nfd_fail(d, NF_CTR_DROP_BAD_SET,
					 "IPFIX set %u length %u runs past the message end",
					 (unsigned) id, (unsigned) slen);
			records_known = false;
			res = -1;
			break;
		}
		if (id == 2 || id == 3)
			nfd_template_set(d, e, &ctx, id == 3, p + 4, slen - 4u);
		else if (id < 256)
		{
			nfd_fail(d, NF_CTR_DROP_BAD_SET, "IPFIX reserved set id %u",
					 (unsigned) id);
			records_known = false;
		}
		else
			nfd_data_set(d, e, &ctx, id, p + 4, slen - 4u, &records,
						 &records_known);
		p += slen;
	}

	nfd_seq_advance(&e->seq, sr, seq, records, records_known);
	return res;
}
