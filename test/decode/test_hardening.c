/*-------------------------------------------------------------------------
 *
 * test_hardening.c
 *	  Malformed and hostile datagrams: each is rejected or counted, never
 *	  crashes, hangs or reads out of bounds (ASan/UBSan build), and the
 *	  valid parts around it are still decoded.  Memory bounds.  A
 *	  deterministic mutation loop over valid datagrams.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "pending.h"
#include "tests.h"

static pkt	P;
static sink S;
static const nf_addr *EX;
static nf_addr EXA;

/* A v9 packet with a valid template 256 and one data record (bytes 7). */
static void
v9_valid_prefix(void)
{
	static const uint16_t T[] = {8, 4, 1, 4};
	size_t		s;

	v9_header(&P, 2, 100000, T0, 0, 1);
	s = set_begin(&P, 0);
	tmpl_rec(&P, 256, 2, T);
	set_end(&P, s);
	s = set_begin(&P, 256);
	p32(&P, 0x01020304);
	p32(&P, 7);
	set_end(&P, s);
}

/* An IPFIX message with a valid template 256 and one data record. */
static void
ipfix_valid_prefix(void)
{
	static const uint16_t T[] = {8, 4, 1, 4};
	size_t		s;

	ipfix_header(&P, T0, 0, 1);
	s = set_begin(&P, 2);
	tmpl_rec(&P, 256, 2, T);
	set_end(&P, s);
	s = set_begin(&P, 256);
	p32(&P, 0x01020304);
	p32(&P, 7);
	set_end(&P, s);
}

static void
h_withdrawal_short(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	size_t		s;

	/* CVE-2019-14459 shape: template set whose body is 2 bytes */
	ipfix_header(&P, T0, 0, 1);
	s = set_begin(&P, 2);
	p16(&P, 256);
	set_end(&P, s);
	ipfix_finish(&P);
	is(decode_exact(d, &P, EX, NOW, &S), 0, "hard: IPFIX withdrawal shorter than 4 bytes: no crash, nothing emitted");
	is(ctr(d, NF_CTR_DROP_BAD_TEMPLATE), 1, "hard: short withdrawal counted");
	is(ctr(d, NF_CTR_TEMPLATES_WITHDRAWN), 0, "hard: short withdrawal withdraws nothing");

	ipfix_header(&P, T0, 0, 1);
	s = set_begin(&P, 3);
	p16(&P, 256);
	p8(&P, 0);
	set_end(&P, s);
	ipfix_finish(&P);
	decode_exact(d, &P, EX, NOW, &S);
	is(ctr(d, NF_CTR_DROP_BAD_TEMPLATE), 2, "hard: short options template set counted");

	/* valid record followed by 2 bytes: those are padding */
	{
		static const uint16_t T[] = {8, 4, 1, 4};

		ipfix_header(&P, T0, 0, 1);
		s = set_begin(&P, 2);
		tmpl_rec(&P, 256, 2, T);
		p16(&P, 0);
		set_end(&P, s);
		ipfix_finish(&P);
	}
	decode_exact(d, &P, EX, NOW, &S);
	is(ctr(d, NF_CTR_DROP_BAD_TEMPLATE), 2, "hard: padding after a template record is not an error");
	is(ctr(d, NF_CTR_TEMPLATES_LEARNED), 1, "hard: the template before the padding is learned");
	nf_decoder_destroy(d);
}

static void
h_scope_zero(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	size_t		s;

	ipfix_header(&P, T0, 0, 1);
	s = set_begin(&P, 3);
	p16(&P, 300);
	p16(&P, 1);
	p16(&P, 0);					/* scope count 0 */
	p16(&P, 34);
	p16(&P, 4);
	set_end(&P, s);
	s = set_begin(&P, 300);
	p32(&P, 100);
	set_end(&P, s);
	ipfix_finish(&P);
	is(decode_exact(d, &P, EX, NOW, &S), 0, "hard: IPFIX options template with scope count 0 rejected");
	is(ctr(d, NF_CTR_DROP_BAD_TEMPLATE), 1, "hard: scope count 0 counted");
	is(ctr(d, NF_CTR_OPTIONS_RECORDS), 0, "hard: its data is not interpreted");

	ipfix_header(&P, T0, 1, 1);
	s = set_begin(&P, 3);
	p16(&P, 301);
	p16(&P, 1);
	p16(&P, 2);					/* scope count > field count */
	p16(&P, 34);
	p16(&P, 4);
	set_end(&P, s);
	ipfix_finish(&P);
	decode_exact(d, &P, EX, NOW, &S);
	is(ctr(d, NF_CTR_DROP_BAD_TEMPLATE), 2, "hard: scope count above field count rejected");

	v9_header(&P, 1, 100000, T0, 0, 1);
	s = set_begin(&P, 1);
	p16(&P, 300);
	p16(&P, 0);					/* option scope length 0 */
	p16(&P, 4);
	p16(&P, 34);
	p16(&P, 4);
	p16(&P, 0);
	set_end(&P, s);
	decode_exact(d, &P, EX, NOW, &S);
	is(ctr(d, NF_CTR_DROP_BAD_TEMPLATE), 3, "hard: v9 options template with scope length 0 rejected");
	nf_decoder_destroy(d);
}

static void
h_v9_option_lengths(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	size_t		s;

	v9_header(&P, 1, 100000, T0, 0, 1);
	s = set_begin(&P, 1);
	p16(&P, 300);
	p16(&P, 6);					/* not a multiple of 4 */
	p16(&P, 4);
	pzero(&P, 12);
	set_end(&P, s);
	is(decode_exact(d, &P, EX, NOW, &S), 0, "hard: v9 option scope length 6 rejected");
	is(ctr(d, NF_CTR_DROP_BAD_TEMPLATE), 1, "hard: scope length not a multiple of 4 counted");

	v9_header(&P, 1, 100000, T0, 1, 1);
	s = set_begin(&P, 1);
	p16(&P, 300);
	p16(&P, 400);				/* past the flowset */
	p16(&P, 4);
	p16(&P, 1);
	p16(&P, 4);
	p16(&P, 34);
	p16(&P, 4);
	set_end(&P, s);
	decode_exact(d, &P, EX, NOW, &S);
	is(ctr(d, NF_CTR_DROP_BAD_TEMPLATE), 2, "hard: v9 option scope past the flowset counted");

	/* option size 0: scope field of length 0, no options */
	v9_header(&P, 2, 100000, T0, 2, 1);
	s = set_begin(&P, 1);
	p16(&P, 301);
	p16(&P, 4);
	p16(&P, 0);
	p16(&P, 1);
	p16(&P, 0);
	p16(&P, 0);
	set_end(&P, s);
	s = set_begin(&P, 301);
	pzero(&P, 8);
	set_end(&P, s);
	is(decode_exact(d, &P, EX, NOW, &S), 0, "hard: v9 options record of size 0: no loop, no division by zero");
	is(ctr(d, NF_CTR_DROP_BAD_TEMPLATE), 3, "hard: options template with record size 0 rejected");
	is(ctr(d, NF_CTR_OPTIONS_RECORDS), 0, "hard: no options record decoded from it");
	nf_decoder_destroy(d);
}

static void
h_set_lengths(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	size_t		s;

	/* v9: valid template + data, then a flowset running past the end */
	v9_valid_prefix();
	s = set_begin(&P, 256);
	p32(&P, 1);
	p32(&P, 2);
	pset16(&P, s + 2, 100);
	is_i(decode_exact(d, &P, EX, NOW, &S), -1, "hard: v9 data flowset past the packet end -> -1");
	is(S.n, 1, "hard: records before it still emitted");
	is(ctr(d, NF_CTR_DROP_BAD_SET), 1, "hard: counted as bad set");

	v9_valid_prefix();
	p16(&P, 256);
	p16(&P, 0);					/* length 0 */
	p32(&P, 0);
	is_i(decode_exact(d, &P, EX, NOW, &S), -1, "hard: v9 flowset length 0 -> -1, no loop");
	is(ctr(d, NF_CTR_DROP_BAD_SET), 2, "hard: v9 set length 0 counted");

	v9_valid_prefix();
	p16(&P, 256);
	p16(&P, 3);					/* length below 4 */
	p32(&P, 0);
	decode_exact(d, &P, EX, NOW, &S);
	is(ctr(d, NF_CTR_DROP_BAD_SET), 3, "hard: v9 set length 3 counted");

	ipfix_valid_prefix();
	p16(&P, 256);
	p16(&P, 0);
	ipfix_finish(&P);
	is_i(decode_exact(d, &P, EX, NOW, &S), -1, "hard: IPFIX set length 0 -> -1, no loop");
	is(S.n, 1, "hard: IPFIX records before it still emitted");
	is(ctr(d, NF_CTR_DROP_BAD_SET), 4, "hard: IPFIX set length 0 counted");

	ipfix_valid_prefix();
	p16(&P, 256);
	p16(&P, 2);
	ipfix_finish(&P);
	decode_exact(d, &P, EX, NOW, &S);
	is(ctr(d, NF_CTR_DROP_BAD_SET), 5, "hard: IPFIX set length 2 counted");

	ipfix_valid_prefix();
	p16(&P, 256);
	p16(&P, 200);				/* past the message */
	p32(&P, 0);
	ipfix_finish(&P);
	decode_exact(d, &P, EX, NOW, &S);
	is(ctr(d, NF_CTR_DROP_BAD_SET), 6, "hard: IPFIX set past the message end counted");

	/* message length vs datagram */
	ipfix_valid_prefix();
	ipfix_finish(&P);
	pset16(&P, 2, (uint16_t) (P.n + 10));
	is_i(decode_exact(d, &P, EX, NOW, &S), -1, "hard: IPFIX message length beyond the datagram rejected");
	is(S.n, 0, "hard: nothing emitted from it");
	is(ctr(d, NF_CTR_DROP_BAD_LENGTH), 1, "hard: message length beyond datagram counted");
	pset16(&P, 2, 12);
	is_i(decode_exact(d, &P, EX, NOW, &S), -1, "hard: IPFIX message length below the header rejected");
	is(ctr(d, NF_CTR_DROP_BAD_LENGTH), 2, "hard: message length below header counted");
	pset16(&P, 2, 16);
	is(decode_exact(d, &P, EX, NOW, &S), 0, "hard: IPFIX message length 16 (header only) is empty, trailing bytes ignored");

	P.n = 15;
	is_i(decode_exact(d, &P, EX, NOW, &S), -1, "hard: IPFIX datagram shorter than header");
	P.n = 19;
	P.b[0] = 0;
	P.b[1] = 9;
	is_i(decode_exact(d, &P, EX, NOW, &S), -1, "hard: v9 datagram shorter than header");
	is(ctr(d, NF_CTR_DROP_SHORT), 2, "hard: short datagrams counted");
	nf_decoder_destroy(d);
}

static void
h_template_sizes(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	size_t		s;
	int			i;

	/* v9 field count x 4 beyond the flowset */
	v9_header(&P, 1, 100000, T0, 0, 1);
	s = set_begin(&P, 0);
	p16(&P, 256);
	p16(&P, 1000);
	p16(&P, 8);
	p16(&P, 4);
	set_end(&P, s);
	is(decode_exact(d, &P, EX, NOW, &S), 0, "hard: v9 field count x 4 beyond the set");
	is(ctr(d, NF_CTR_DROP_BAD_TEMPLATE), 1, "hard: counted");

	/* IPFIX field count 65535 with an 8-byte set */
	ipfix_header(&P, T0, 0, 1);
	s = set_begin(&P, 2);
	p16(&P, 256);
	p16(&P, 65535);
	p16(&P, 8);
	p16(&P, 4);
	set_end(&P, s);
	ipfix_finish(&P);
	decode_exact(d, &P, EX, NOW, &S);
	is(ctr(d, NF_CTR_DROP_BAD_TEMPLATE), 2, "hard: IPFIX huge field count beyond the set");

	/* enterprise number past the set */
	ipfix_header(&P, T0, 0, 1);
	s = set_begin(&P, 2);
	p16(&P, 256);
	p16(&P, 1);
	p16(&P, 0x8001);
	p16(&P, 4);
	p16(&P, 0);					/* only half a PEN */
	set_end(&P, s);
	ipfix_finish(&P);
	decode_exact(d, &P, EX, NOW, &S);
	is(ctr(d, NF_CTR_DROP_BAD_TEMPLATE), 3, "hard: enterprise number past the set");

	/* 600 fields that fit in the set: too many (memory bound) */
	ipfix_header(&P, T0, 0, 1);
	s = set_begin(&P, 2);
	p16(&P, 256);
	p16(&P, 600);
	for (i = 0; i < 600; i++)
	{
		p16(&P, 1);
		p16(&P, 1);
	}
	set_end(&P, s);
	ipfix_finish(&P);
	decode_exact(d, &P, EX, NOW, &S);
	is(ctr(d, NF_CTR_DROP_BAD_TEMPLATE), 4, "hard: template with 600 fields rejected");
	is(ctr(d, NF_CTR_TEMPLATES_LEARNED), 0, "hard: none of these learned");

	/* summed field lengths overflow 16 bits */
	v9_header(&P, 1, 100000, T0, 1, 1);
	s = set_begin(&P, 0);
	p16(&P, 256);
	p16(&P, 2);
	p16(&P, 1);
	p16(&P, 40000);
	p16(&P, 2);
	p16(&P, 40000);
	set_end(&P, s);
	decode_exact(d, &P, EX, NOW, &S);
	is(ctr(d, NF_CTR_DROP_BAD_TEMPLATE), 5, "hard: v9 summed field lengths over 65535 rejected");
	ipfix_header(&P, T0, 0, 1);
	s = set_begin(&P, 2);
	p16(&P, 256);
	p16(&P, 3);
	p16(&P, 1);
	p16(&P, 30000);
	p16(&P, 2);
	p16(&P, 30000);
	p16(&P, 3);
	p16(&P, 6000);
	set_end(&P, s);
	ipfix_finish(&P);
	decode_exact(d, &P, EX, NOW, &S);
	is(ctr(d, NF_CTR_DROP_BAD_TEMPLATE), 6, "hard: IPFIX summed field lengths over 65531 rejected");

	/* record length 0 */
	ipfix_header(&P, T0, 0, 1);
	s = set_begin(&P, 2);
	p16(&P, 256);
	p16(&P, 2);
	p16(&P, 1);
	p16(&P, 0);
	p16(&P, 2);
	p16(&P, 0);
	set_end(&P, s);
	s = set_begin(&P, 256);
	pzero(&P, 16);
	set_end(&P, s);
	ipfix_finish(&P);
	is(decode_exact(d, &P, EX, NOW, &S), 0, "hard: record length 0: no loop, nothing emitted");
	is(ctr(d, NF_CTR_DROP_BAD_TEMPLATE), 7, "hard: zero-length template rejected");

	v9_header(&P, 2, 100000, T0, 3, 1);
	s = set_begin(&P, 0);
	p16(&P, 260);
	p16(&P, 1);
	p16(&P, 1);
	p16(&P, 0);					/* v9 field of length 0: record length 0 */
	set_end(&P, s);
	s = set_begin(&P, 260);
	pzero(&P, 8);
	set_end(&P, s);
	is(decode_exact(d, &P, EX, NOW, &S), 0, "hard: v9 record length 0: no loop, nothing emitted");
	is(ctr(d, NF_CTR_DROP_BAD_TEMPLATE), 8, "hard: v9 zero-length template rejected");

	/* template id below 256 */
	v9_header(&P, 1, 100000, T0, 2, 1);
	s = set_begin(&P, 0);
	p16(&P, 255);
	p16(&P, 1);
	p16(&P, 1);
	p16(&P, 4);
	p16(&P, 300);				/* a valid one after it still learned */
	p16(&P, 1);
	p16(&P, 1);
	p16(&P, 4);
	set_end(&P, s);
	decode_exact(d, &P, EX, NOW, &S);
	is(ctr(d, NF_CTR_DROP_BAD_TEMPLATE), 9, "hard: v9 template id 255 rejected");
	is(ctr(d, NF_CTR_TEMPLATES_LEARNED), 1, "hard: the next template in the set is learned");
	ipfix_header(&P, T0, 0, 1);
	s = set_begin(&P, 2);
	p16(&P, 100);
	p16(&P, 1);
	p16(&P, 1);
	p16(&P, 4);
	set_end(&P, s);
	ipfix_finish(&P);
	decode_exact(d, &P, EX, NOW, &S);
	is(ctr(d, NF_CTR_DROP_BAD_TEMPLATE), 10, "hard: IPFIX template id 100 rejected");
	ipfix_header(&P, T0, 0, 1);
	s = set_begin(&P, 2);
	p16(&P, 5);					/* withdrawal of id 5 */
	p16(&P, 0);
	set_end(&P, s);
	ipfix_finish(&P);
	decode_exact(d, &P, EX, NOW, &S);
	is(ctr(d, NF_CTR_DROP_BAD_TEMPLATE), 11, "hard: IPFIX withdrawal of id 5 rejected");
	nf_decoder_destroy(d);
}

static void
h_varlen(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	static const uint16_t T[] = {1, 4, 82, 0xFFFF};
	size_t		s;

	ipfix_header(&P, T0, 0, 1);
	s = set_begin(&P, 2);
	tmpl_rec(&P, 256, 2, T);
	set_end(&P, s);
	s = set_begin(&P, 256);
	p32(&P, 5);					/* good record */
	p8(&P, 1);
	p8(&P, 'a');
	p32(&P, 6);					/* prefix 255 with 1 byte of 2 */
	p8(&P, 255);
	p8(&P, 1);
	set_end(&P, s);
	ipfix_finish(&P);
	is(decode_exact(d, &P, EX, NOW, &S), 1, "hard: 2-byte var-length prefix past the set end: good record kept");
	is(ctr(d, NF_CTR_DROP_BAD_RECORD), 1, "hard: bad record counted");

	ipfix_header(&P, T0, 0, 1);
	s = set_begin(&P, 256);
	p32(&P, 5);
	p8(&P, 50);					/* 50 bytes announced, 3 present */
	p8(&P, 'a');
	p8(&P, 'b');
	p8(&P, 'c');
	set_end(&P, s);
	s = set_begin(&P, 256);		/* the next set is still decoded */
	p32(&P, 9);
	p8(&P, 0);
	set_end(&P, s);
	ipfix_finish(&P);
	is(decode_exact(d, &P, EX, NOW, &S), 1, "hard: var-length value past the set end; next set decoded");
	is(S.r[0].bytes, 9, "hard: the next set's record");
	is(ctr(d, NF_CTR_DROP_BAD_RECORD), 2, "hard: counted");

	ipfix_header(&P, T0, 0, 1);
	s = set_begin(&P, 256);
	p32(&P, 5);					/* var field missing entirely: 4 bytes < min 5 */
	set_end(&P, s);
	ipfix_finish(&P);
	is(decode_exact(d, &P, EX, NOW, &S), 0, "hard: bytes shorter than the minimum record are padding");
	is(ctr(d, NF_CTR_DROP_BAD_RECORD), 2, "hard: padding not counted as error");
	nf_decoder_destroy(d);
}

static void
h_reserved_sets(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	size_t		s;

	ipfix_valid_prefix();
	s = set_begin(&P, 4);
	p32(&P, 0);
	set_end(&P, s);
	s = set_begin(&P, 255);
	p32(&P, 0);
	set_end(&P, s);
	s = set_begin(&P, 0);
	set_end(&P, s);
	s = set_begin(&P, 256);
	p32(&P, 0x05060708);
	p32(&P, 8);
	set_end(&P, s);
	ipfix_finish(&P);
	is(decode_exact(d, &P, EX, NOW, &S), 2, "hard: IPFIX reserved set ids skipped, data around them decoded");
	is(ctr(d, NF_CTR_DROP_BAD_SET), 3, "hard: set ids 4, 255 and 0 counted");

	v9_valid_prefix();
	s = set_begin(&P, 2);
	p32(&P, 0);
	set_end(&P, s);
	s = set_begin(&P, 255);
	set_end(&P, s);
	s = set_begin(&P, 256);
	p32(&P, 0x05060708);
	p32(&P, 8);
	set_end(&P, s);
	is(decode_exact(d, &P, EX, NOW, &S), 2, "hard: v9 reserved flowset ids skipped");
	is(ctr(d, NF_CTR_DROP_BAD_SET), 5, "hard: v9 flowset ids 2 and 255 counted");

	P.b[0] = 0;
	P.b[1] = 6;
	is_i(decode_exact(d, &P, EX, NOW, &S), -1, "hard: version 6 rejected");
	is(ctr(d, NF_CTR_DROP_BAD_VERSION), 1, "hard: bad version counted");
	P.n = 1;
	is_i(decode_exact(d, &P, EX, NOW, &S), -1, "hard: 1-byte datagram rejected");
	is_i(nf_decode(d, NULL, 0, EX, NOW, NULL, NULL), -1, "hard: NULL buffer rejected");
	nf_decoder_destroy(d);
}

static void
h_bounds(void)
{
	nf_decoder_limits lim;
	nf_decoder *d;
	static const uint16_t T[] = {1, 4};
	nf_addr		e1 = addr4(127, 0, 0, 1);
	nf_addr		e2 = addr4(127, 0, 0, 2);
	nf_addr		e3 = addr4(127, 0, 0, 3);
	size_t		s;
	int			i;

	nf_decoder_default_limits(&lim);
	lim.max_templates = 2;
	d = nf_decoder_create(&lim);
	ipfix_header(&P, T0, 0, 1);
	s = set_begin(&P, 2);
	tmpl_rec(&P, 256, 1, T);
	tmpl_rec(&P, 257, 1, T);
	tmpl_rec(&P, 258, 1, T);
	set_end(&P, s);
	s = set_begin(&P, 256);
	p32(&P, 1);
	set_end(&P, s);
	s = set_begin(&P, 258);
	p32(&P, 3);
	set_end(&P, s);
	ipfix_finish(&P);
	is(decode_exact(d, &P, EX, NOW, &S), 1, "bounds: max_templates 2: least recently used template evicted");
	is(S.r[0].bytes, 3, "bounds: newest template kept");
	is(ctr(d, NF_CTR_TEMPLATES_EVICTED), 1, "bounds: templates_evicted counted");
	nf_decoder_destroy(d);

	nf_decoder_default_limits(&lim);
	lim.max_exporters = 2;
	d = nf_decoder_create(&lim);
	ipfix_valid_prefix();
	ipfix_finish(&P);
	decode_exact(d, &P, &e1, NOW, &S);
	decode_exact(d, &P, &e2, NOW, &S);
	decode_exact(d, &P, &e3, NOW, &S);
	is(ctr(d, NF_CTR_EXPORTERS_EVICTED), 1, "bounds: max_exporters 2: third exporter evicts the oldest");
	is(ctr(d, NF_CTR_TEMPLATES_EVICTED), 1, "bounds: its templates go with it");
	is(decode_exact(d, &P, &e3, NOW, &S), 1, "bounds: kept exporter still works");
	nf_decoder_destroy(d);

	nf_decoder_default_limits(&lim);
	/* 400 bytes of sets besides the index of their ids */
	lim.pending_bytes_per_exporter = 400 + NF_PENDING_INDEX_BYTES;
	lim.pending_max_age_us = 1000000;
	d = nf_decoder_create(&lim);
	for (i = 0; i < 5; i++)
	{
		ipfix_header(&P, T0, 0, 1);
		s = set_begin(&P, 256);
		pzero(&P, 100);
		set_end(&P, s);
		ipfix_finish(&P);
		decode_exact(d, &P, EX, NOW, &S);
	}
	is(ctr(d, NF_CTR_PENDING_BUFFERED), 5, "bounds: 5 data sets buffered");
	ok(ctr(d, NF_CTR_PENDING_EVICTED) >= 3, "bounds: pending byte bound evicts the oldest (%llu)",
	   (unsigned long long) ctr(d, NF_CTR_PENDING_EVICTED));
	ipfix_header(&P, T0, 0, 1);
	s = set_begin(&P, 256);
	pzero(&P, 6000);			/* alone larger than the bound */
	set_end(&P, s);
	ipfix_finish(&P);
	{
		uint64_t	before = ctr(d, NF_CTR_PENDING_EVICTED);

		decode_exact(d, &P, EX, NOW, &S);
		is(ctr(d, NF_CTR_PENDING_EVICTED), before + 1, "bounds: a set larger than the bound is counted, not kept");
	}
	nf_decoder_expire(d, NOW + 2000000);
	ok(ctr(d, NF_CTR_PENDING_EXPIRED) >= 1, "bounds: old waiting data expired");
	is(ctr(d, NF_CTR_PENDING_BUFFERED) - ctr(d, NF_CTR_PENDING_EVICTED) +
	   1 - ctr(d, NF_CTR_PENDING_EXPIRED), 0, "bounds: every buffered set is accounted for");

	/* expiry also happens inside nf_decode, and template arrival then decodes nothing old */
	ipfix_header(&P, T0, 0, 1);
	s = set_begin(&P, 256);
	pzero(&P, 8);
	set_end(&P, s);
	ipfix_finish(&P);
	decode_exact(d, &P, EX, NOW, &S);
	ipfix_header(&P, T0, 0, 1);
	s = set_begin(&P, 2);
	tmpl_rec(&P, 256, 1, T);
	set_end(&P, s);
	ipfix_finish(&P);
	is(decode_exact(d, &P, EX, NOW + 5000000, &S), 0, "bounds: expired data is not decoded late");
	nf_decoder_destroy(d);

	/* set-count bound, and ids sharing a count bucket (256 and 320) */
	d = nf_decoder_create(NULL);
	for (i = 0; i < 1100; i++)
	{
		ipfix_header(&P, T0, 0, 1);
		s = set_begin(&P, i % 2 ? 320 : 256);
		p32(&P, (uint32_t) i);
		set_end(&P, s);
		ipfix_finish(&P);
		decode_exact(d, &P, EX, NOW, &S);
	}
	is(ctr(d, NF_CTR_PENDING_EVICTED), 1100 - 1024, "bounds: at most 1024 waiting sets per exporter");
	ipfix_header(&P, T0, 0, 1);
	s = set_begin(&P, 2);
	tmpl_rec(&P, 320, 1, T);
	set_end(&P, s);
	ipfix_finish(&P);
	is(decode_exact(d, &P, EX, NOW, &S), 512, "bounds: template 320 decodes only its own 512 waiting sets");
	ok(S.r[0].bytes == 1100 - 1024 + 1 && S.r[511].bytes == 1099, "bounds: oldest kept first, in arrival order");
	ipfix_header(&P, T0, 0, 1);
	s = set_begin(&P, 2);
	tmpl_rec(&P, 256, 1, T);
	set_end(&P, s);
	ipfix_finish(&P);
	is(decode_exact(d, &P, EX, NOW, &S), 512, "bounds: then template 256 its own");
	is(ctr(d, NF_CTR_PENDING_DECODED), 1024, "bounds: all kept sets decoded");
	nf_decoder_destroy(d);

	nf_decoder_default_limits(&lim);
	lim.pending_bytes_total = 300 + NF_PENDING_INDEX_BYTES;
	d = nf_decoder_create(&lim);
	ipfix_header(&P, T0, 0, 1);
	s = set_begin(&P, 256);
	pzero(&P, 100);
	set_end(&P, s);
	ipfix_finish(&P);
	decode_exact(d, &P, &e1, NOW, &S);
	decode_exact(d, &P, &e2, NOW, &S);
	is(ctr(d, NF_CTR_PENDING_EVICTED), 1, "bounds: total pending bound across exporters");
	nf_decoder_destroy(d);
}

/* Deterministic xorshift PRNG for the mutation loop. */
static uint32_t
rnd(uint32_t *st)
{
	uint32_t	x = *st;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*st = x;
	return x;
}

static int	bad_record_seen;

/* Sink checking invariants of every emitted record. */
static void
check_emit(void *arg, const nf_flow_record *r)
{
	(void) arg;
	if ((r->present & ~NF_HAS_ALL_BITS) || (r->flags & ~NF_FLAG_ALL_BITS) ||
		r->src_addr.family > NF_AF_INET6 || r->dst_addr.family > NF_AF_INET6 ||
		(r->version != 5 && r->version != 9 && r->version != 10))
		bad_record_seen++;
}

static void
h_mutations(void)
{
	nf_decoder_limits lim;
	nf_decoder *d;
	static pkt	base[3];
	static const uint16_t TV[] = {
		8, 4, 12, 4, 1, 4, 2, 4, 82, 0xFFFF, 0x8000 | 5, 0xFFFF, 27, 16,
		152, 8, 22, 4, 21, 4
	};
	uint32_t	st = 12345;
	int			it;
	int			i;
	size_t		s;
	int			iterations = 30000;

	/* v9: template, options template, data, options data */
	v9_valid_prefix();
	s = set_begin(&P, 1);
	p16(&P, 300);
	p16(&P, 4);
	p16(&P, 8);
	p16(&P, 1);
	p16(&P, 4);
	p16(&P, 48);
	p16(&P, 1);
	p16(&P, 34);
	p16(&P, 4);
	set_end(&P, s);
	s = set_begin(&P, 300);
	p32(&P, 0);
	p8(&P, 1);
	p32(&P, 10);
	set_end(&P, s);
	base[0] = P;
	/* IPFIX with variable-length and enterprise fields */
	ipfix_header(&P, T0, 0, 1);
	s = set_begin(&P, 2);
	tmpl_rec(&P, 256, 10, TV);
	set_end(&P, s);
	s = set_begin(&P, 256);
	for (i = 0; i < 3; i++)
	{
		p32(&P, 1);
		p32(&P, 2);
		p32(&P, 3);
		p32(&P, 4);
		p8(&P, 2);
		p16(&P, 0x4142);
		p8(&P, 255);
		p16(&P, 1);
		p8(&P, 0);
		pzero(&P, 16);
		p64(&P, 5);
		p32(&P, 6);
		p32(&P, 7);
	}
	set_end(&P, s);
	ipfix_finish(&P);
	base[1] = P;
	/* v5 */
	v5_header(&P, 2, 1000, T0, 0, 0, 0, 0, 0);
	pzero(&P, 96);
	base[2] = P;

	nf_decoder_default_limits(&lim);
	lim.max_templates = 8;
	lim.max_exporters = 4;
	lim.pending_bytes_per_exporter = 4096;
	d = nf_decoder_create(&lim);
	bad_record_seen = 0;
	for (it = 0; it < iterations; it++)
	{
		pkt		   *b = &base[rnd(&st) % 3];
		uint8_t    *copy;
		size_t		n = b->n;
		int			muts = 1 + (int) (rnd(&st) % 4);
		nf_addr		ex = addr4(127, 0, 0, (uint8_t) (rnd(&st) % 6));

		if (rnd(&st) % 4 == 0)
			n = rnd(&st) % (b->n + 1);	/* truncate */
		copy = malloc(n ? n : 1);
		memcpy(copy, b->b, n);
		for (i = 0; i < muts && n > 0; i++)
		{
			size_t		pos = rnd(&st) % n;

			switch (rnd(&st) % 4)
			{
				case 0:
					copy[pos] = (uint8_t) rnd(&st);
					break;
				case 1:
					copy[pos] = 0;
					break;
				case 2:
					copy[pos] = 0xFF;
					break;
				default:
					copy[pos] ^= (uint8_t) (1u << (rnd(&st) % 8));
					break;
			}
		}
		/* keep the version valid most of the time so parsing goes deep */
		if (n >= 2 && rnd(&st) % 8 != 0)
			memcpy(copy, b->b, 2);
		(void) nf_decode(d, copy, n, &ex, NOW + it, check_emit, NULL);
		free(copy);
	}
	is(bad_record_seen, 0, "mutations: %d mutated datagrams decoded without crash; every emitted record well-formed", iterations);
	ok(ctr(d, NF_CTR_DATAGRAMS) == (uint64_t) iterations, "mutations: every datagram counted");
	nf_decoder_destroy(d);
}

void
test_hardening(void)
{
	EXA = addr4(127, 0, 0, 50);
	EX = &EXA;
	h_withdrawal_short();
	h_scope_zero();
	h_v9_option_lengths();
	h_set_lengths();
	h_template_sizes();
	h_varlen();
	h_reserved_sets();
	h_bounds();
	h_mutations();
}
