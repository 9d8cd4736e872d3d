/*-------------------------------------------------------------------------
 *
 * pkt.c
 *	  Datagram builders and record sink for decoder tests (pkt.h).
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "flow_contract.h"
#include "pkt.h"
#include "tap.h"

void
pkt_reset(pkt *p)
{
	p->n = 0;
}

void
p8(pkt *p, uint8_t v)
{
	if (p->n < PKT_MAX)
		p->b[p->n++] = v;
}

void
p16(pkt *p, uint16_t v)
{
	p8(p, (uint8_t) (v >> 8));
	p8(p, (uint8_t) v);
}

void
p32(pkt *p, uint32_t v)
{
	p16(p, (uint16_t) (v >> 16));
	p16(p, (uint16_t) v);
}

void
p64(pkt *p, uint64_t v)
{
	p32(p, (uint32_t) (v >> 32));
	p32(p, (uint32_t) v);
}

void
pbytes(pkt *p, const void *b, size_t n)
{
	const uint8_t *c = b;
	size_t		i;

	for (i = 0; i < n; i++)
		p8(p, c[i]);
}

void
pzero(pkt *p, size_t n)
{
	size_t		i;

	for (i = 0; i < n; i++)
		p8(p, 0);
}

void
pset16(pkt *p, size_t off, uint16_t v)
{
	p->b[off] = (uint8_t) (v >> 8);
	p->b[off + 1] = (uint8_t) v;
}

void
v5_header(pkt *p, uint16_t count, uint32_t uptime, uint32_t secs,
		  uint32_t nsecs, uint32_t seq, uint8_t engine_type,
		  uint8_t engine_id, uint16_t sampling)
{
	pkt_reset(p);
	p16(p, 5);
	p16(p, count);
	p32(p, uptime);
	p32(p, secs);
	p32(p, nsecs);
	p32(p, seq);
	p8(p, engine_type);
	p8(p, engine_id);
	p16(p, sampling);
}

void
v9_header(pkt *p, uint16_t count, uint32_t uptime, uint32_t secs,
		  uint32_t seq, uint32_t source_id)
{
	pkt_reset(p);
	p16(p, 9);
	p16(p, count);
	p32(p, uptime);
	p32(p, secs);
	p32(p, seq);
	p32(p, source_id);
}

void
ipfix_header(pkt *p, uint32_t export_time, uint32_t seq, uint32_t domain)
{
	pkt_reset(p);
	p16(p, 10);
	p16(p, 0);
	p32(p, export_time);
	p32(p, seq);
	p32(p, domain);
}

void
ipfix_finish(pkt *p)
{
	pset16(p, 2, (uint16_t) p->n);
}

size_t
set_begin(pkt *p, uint16_t id)
{
	size_t		off = p->n;

	p16(p, id);
	p16(p, 0);
	return off;
}

void
set_end(pkt *p, size_t off)
{
	pset16(p, off + 2, (uint16_t) (p->n - off));
}

void
tmpl_rec(pkt *p, uint16_t tid, int n, const uint16_t *ie_len)
{
	int			i;

	p16(p, tid);
	p16(p, (uint16_t) n);
	for (i = 0; i < n; i++)
	{
		p16(p, ie_len[2 * i]);
		p16(p, ie_len[2 * i + 1]);
		if (ie_len[2 * i] & 0x8000)
			p32(p, 9);			/* enterprise number */
	}
}

nf_addr
addr4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	nf_addr		x;

	memset(&x, 0, sizeof(x));
	x.family = NF_AF_INET;
	x.a[0] = a;
	x.a[1] = b;
	x.a[2] = c;
	x.a[3] = d;
	return x;
}

void
sink_emit(void *arg, const nf_flow_record *rec)
{
	sink	   *s = arg;
	nf_rule		rule = nf_contract_check(rec);

	/* every record the decoders emit satisfies the validity contract */
	if (rule != NF_RULE_OK)
		ok(0, "emitted record breaks contract rule %d: %s", (int) rule,
		   nf_rule_detail(rule, rec));
	if (s->n < SINK_MAX)
		s->r[s->n] = *rec;
	s->n++;
}

int
decode_exact(nf_decoder *d, const pkt *p, const nf_addr *exp,
			 int64_t now_us, sink *s)
{
	uint8_t    *copy = malloc(p->n ? p->n : 1);
	int			r;

	memcpy(copy, p->b, p->n);
	if (s)
		s->n = 0;
	r = nf_decode(d, copy, p->n, exp, now_us, s ? sink_emit : NULL, s);
	free(copy);
	return r;
}
