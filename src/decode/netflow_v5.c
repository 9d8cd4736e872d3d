/*-------------------------------------------------------------------------
 *
 * netflow_v5.c
 *	  NetFlow v5 decoder: 24-byte header, up to 30 records of 48 bytes.
 *
 * The observation domain of a v5 stream is engine_type << 8 | engine_id.
 * flow_sequence counts flows; a restart is detected as for IPFIX (see
 * sequence.h).  Bytes after the last record are ignored.  Times are
 * sysUptime-relative milliseconds, converted with the header's
 * unix_secs/unix_nsecs and sysUptime using a signed 32-bit difference
 * (wrap-safe).
 *
 *-------------------------------------------------------------------------
 */
#include "byteorder.h"
#include "decode_internal.h"

#define V5_HEADER_LEN	24
#define V5_RECORD_LEN	48
#define V5_MAX_COUNT	30
#define V5_REORDER_WINDOW 4096	/* flows */

/* Time of a sysUptime-relative value, in us since the epoch. */
static int64_t
v5_time(int64_t export_us, uint32_t uptime, uint32_t v)
{
	return export_us + (int64_t) (int32_t) (v - uptime) * 1000;
}

/* Decode one NetFlow v5 datagram. */
int
nfd_decode_v5(nf_decoder *d, const uint8_t *buf, size_t len,
			  const nf_addr *exporter, int64_t now_us)
{
	uint16_t	count;
	uint32_t	uptime;
	uint32_t	secs;
	uint32_t	nsecs;
	uint32_t	seq;
	uint32_t	domain;
	uint16_t	samp;
	uint64_t	interval;
	int64_t		export_us;
	nf_exporter *e;
	nf_seq_result sr;
	uint32_t	lost;
	uint16_t	i;
	uint16_t	fit;
	nf_flow_record base;

	if (len < V5_HEADER_LEN)
	{
		nfd_fail(d, NF_CTR_DROP_SHORT, "v5 datagram of %zu bytes is shorter than its header", len);
		return -1;
	}
	count = nf_get_u16(buf + 2);
	uptime = nf_get_u32(buf + 4);
	secs = nf_get_u32(buf + 8);
	nsecs = nf_get_u32(buf + 12);
	seq = nf_get_u32(buf + 16);
	domain = ((uint32_t) buf[20] << 8) | buf[21];
	samp = nf_get_u16(buf + 22);

	if (count > V5_MAX_COUNT)
	{
		nfd_fail(d, NF_CTR_DROP_BAD_LENGTH, "v5 record count %u exceeds 30",
				 (unsigned) count);
		return -1;
	}

	e = nfd_exporter_get(d, exporter, domain, 5, now_us);
	if (e == NULL)
		return -1;
	e->datagrams++;

	/* top 2 bits: mode, low 14 bits: interval */
	interval = samp & 0x3FFF;
	if (interval == 0)
	{
		if ((samp >> 14) != 0)
		{
			d->ctr[NF_CTR_SAMPLING_UNKNOWN]++;
			interval = 0;		/* sampled, rate unknown */
		}
		else
			interval = 1;		/* unsampled */
	}
	(void) nfd_sampling_set_default(&e->sampling, interval);

	sr = nfd_seq_check(&e->seq, seq, V5_REORDER_WINDOW, true, &lost);
	nfd_exporter_seq(d, e, sr, lost);
	nfd_seq_advance(&e->seq, sr, seq, count, true);

	export_us = (int64_t) secs * 1000000 + (int64_t) (nsecs / 1000);

	nf_flow_init(&base);
	base.version = 5;
	base.exporter = e->addr;
	base.obs_domain = domain;
	base.time_received = now_us;
	base.sampling_interval = interval;
	base.present = NF_HAS_SRC_PORT | NF_HAS_DST_PORT | NF_HAS_PROTOCOL |
		NF_HAS_TCP_FLAGS | NF_HAS_TOS | NF_HAS_INPUT_IF | NF_HAS_OUTPUT_IF |
		NF_HAS_SRC_AS | NF_HAS_DST_AS | NF_HAS_SRC_MASK | NF_HAS_DST_MASK;

	/* records that fit are kept even if the datagram is short */
	fit = (uint16_t) ((len - V5_HEADER_LEN) / V5_RECORD_LEN);
	if (fit > count)
		fit = count;
	for (i = 0; i < fit; i++)
	{
		const uint8_t *r = buf + V5_HEADER_LEN + (size_t) i * V5_RECORD_LEN;
		nf_flow_record rec = base;

		rec.src_addr.family = NF_AF_INET;
		memcpy(rec.src_addr.a, r, 4);
		rec.dst_addr.family = NF_AF_INET;
		memcpy(rec.dst_addr.a, r + 4, 4);
		rec.next_hop.family = NF_AF_INET;
		memcpy(rec.next_hop.a, r + 8, 4);
		rec.input_if = nf_get_u16(r + 12);
		rec.output_if = nf_get_u16(r + 14);
		rec.packets = nf_get_u32(r + 16);
		rec.bytes = nf_get_u32(r + 20);
		rec.time_start = v5_time(export_us, uptime, nf_get_u32(r + 24));
		rec.time_end = v5_time(export_us, uptime, nf_get_u32(r + 28));
		rec.src_port = nf_get_u16(r + 32);
		rec.dst_port = nf_get_u16(r + 34);
		rec.tcp_flags = r[37];
		rec.protocol = r[38];
		rec.tos = r[39];
		rec.src_as = nf_get_u16(r + 40);
		rec.dst_as = nf_get_u16(r + 42);
		rec.src_mask = r[44];
		rec.dst_mask = r[45];
		/* v5 carries ICMP type and code in the destination port */
		if (rec.protocol == 1)
		{
			rec.icmp_type = (uint8_t) (rec.dst_port >> 8);
			rec.icmp_code = (uint8_t) (rec.dst_port & 0xFF);
			rec.present |= NF_HAS_ICMP_TYPE;
		}
		(void) nf_emit_record(d, e, &rec);
	}
	if (fit < count)
	{
		nfd_fail(d, NF_CTR_DROP_BAD_LENGTH,
				 "v5 datagram of %zu bytes holds %u of %u records",
				 len, (unsigned) fit, (unsigned) count);
		return -1;
	}
	return 0;
}
