/*-------------------------------------------------------------------------
 *
 * pkt.h
 *	  Builders for crafted NetFlow v5 / v9 / IPFIX datagrams, and a sink
 *	  collecting decoded records, for the decoder tests and benchmark.
 *
 *-------------------------------------------------------------------------
 */
#ifndef NETFLOW_PKT_H
#define NETFLOW_PKT_H

#include <stdint.h>
#include <stddef.h>

#include "decoder.h"

#define PKT_MAX 65536

typedef struct pkt
{
	uint8_t		b[PKT_MAX];
	size_t		n;
} pkt;

extern void pkt_reset(pkt *p);
extern void p8(pkt *p, uint8_t v);
extern void p16(pkt *p, uint16_t v);
extern void p32(pkt *p, uint32_t v);
extern void p64(pkt *p, uint64_t v);
extern void pbytes(pkt *p, const void *b, size_t n);
extern void pzero(pkt *p, size_t n);
extern void pset16(pkt *p, size_t off, uint16_t v);

/* v5 header (count given explicitly so tests can lie) */
extern void v5_header(pkt *p, uint16_t count, uint32_t uptime, uint32_t secs,
					  uint32_t nsecs, uint32_t seq, uint8_t engine_type,
					  uint8_t engine_id, uint16_t sampling);

/* v9 header */
extern void v9_header(pkt *p, uint16_t count, uint32_t uptime, uint32_t secs,
					  uint32_t seq, uint32_t source_id);

/* IPFIX header; ipfix_finish patches the message length */
extern void ipfix_header(pkt *p, uint32_t export_time, uint32_t seq,
						 uint32_t domain);
extern void ipfix_finish(pkt *p);

/* Start a set/flowset; set_end patches its length.  Returns its offset. */
extern size_t set_begin(pkt *p, uint16_t id);
extern void set_end(pkt *p, size_t off);

/* Template record from (ie, len) pairs; ie may have bit 15 (then pen). */
extern void tmpl_rec(pkt *p, uint16_t tid, int n, const uint16_t *ie_len);

/* Addresses */
extern nf_addr addr4(uint8_t a, uint8_t b, uint8_t c, uint8_t d);

/* Records emitted by nf_decode. */
#define SINK_MAX 4096
typedef struct sink
{
	int			n;
	nf_flow_record r[SINK_MAX];
} sink;

extern void sink_emit(void *arg, const nf_flow_record *rec);

/* Decode from an exactly-sized heap copy (so ASan sees any over-read). */
extern int	decode_exact(nf_decoder *d, const pkt *p, const nf_addr *exp,
						 int64_t now_us, sink *s);

#endif
