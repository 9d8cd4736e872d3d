/*-------------------------------------------------------------------------
 *
 * test_contract.c
 *	  The validity contract at the decoders' emission point: crafted v5,
 *	  v9 and IPFIX records with one bad field each.  A bad optional field
 *	  (mask beyond its family's width, direction other than 0/1) must be
 *	  emitted absent and counted by reason; a record whose source and
 *	  destination are of different families must be dropped and counted.
 *
 * Counters are looked up by name, so these tests build against a decoder
 * without the contract and fail there (the bad values are emitted).
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "tests.h"

static pkt	P;
static sink S;

/* Counter called 'name', or UINT64_MAX when the decoder has none. */
static uint64_t
ctr_named(const nf_decoder *d, const char *name)
{
	int			i;

	for (i = 0; i < NF_CTR__COUNT; i++)
		if (strcmp(nf_counter_name((nf_counter) i), name) == 0)
			return nf_decoder_counters(d)[i];
	return UINT64_MAX;
}

/* One 48-byte v5 record with the given masks (the rest fixed). */
static void
v5_mask_rec(pkt *p, uint32_t src, uint8_t smask, uint8_t dmask)
{
	p32(p, src);
	p32(p, 0xC0A80102);
	p32(p, 0x0A0000FE);
	p16(p, 3);
	p16(p, 4);
	p32(p, 10);
	p32(p, 1500);
	p32(p, 90000);
	p32(p, 99000);
	p16(p, 12345);
	p16(p, 443);
	p8(p, 0);
	p8(p, 0x1B);
	p8(p, 6);
	p8(p, 0);
	p16(p, 65001);
	p16(p, 65002);
	p8(p, smask);
	p8(p, dmask);
	p16(p, 0);
}

/* v5: masks of 40 and 200 become absent and are counted; 32/0 are kept. */
static void
t_contract_v5_mask(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	nf_addr		ex = addr4(127, 0, 0, 1);
	int			n;

	v5_header(&P, 3, 100000, T0, 0, 0, 0, 0, 0);
	v5_mask_rec(&P, 0x0A000001, 40, 200);
	v5_mask_rec(&P, 0x0A000002, 32, 0);
	v5_mask_rec(&P, 0x0A000003, 33, 24);
	n = decode_exact(d, &P, &ex, NOW, &S);
	is(n, 3, "contract v5: all 3 records emitted");
	ok(!(S.r[0].present & NF_HAS_SRC_MASK) && S.r[0].src_mask == 0,
	   "contract v5: src_mask 40 is absent (got present=%d value %u)",
	   (S.r[0].present & NF_HAS_SRC_MASK) != 0, S.r[0].src_mask);
	ok(!(S.r[0].present & NF_HAS_DST_MASK) && S.r[0].dst_mask == 0,
	   "contract v5: dst_mask 200 is absent (got present=%d value %u)",
	   (S.r[0].present & NF_HAS_DST_MASK) != 0, S.r[0].dst_mask);
	ok((S.r[0].present & NF_HAS_SRC_PORT) && S.r[0].src_port == 12345 &&
	   S.r[0].bytes == 1500, "contract v5: the other fields are kept");
	ok((S.r[1].present & NF_HAS_SRC_MASK) && S.r[1].src_mask == 32 &&
	   (S.r[1].present & NF_HAS_DST_MASK) && S.r[1].dst_mask == 0,
	   "contract v5: masks 32 and 0 are kept");
	ok(!(S.r[2].present & NF_HAS_SRC_MASK) &&
	   (S.r[2].present & NF_HAS_DST_MASK) && S.r[2].dst_mask == 24,
	   "contract v5: mask 33 absent, its neighbour 24 kept");
	is(ctr_named(d, "invalid_mask"), 3, "contract v5: invalid_mask counts 3 fields");
	is(ctr_named(d, "flows"), 3, "contract v5: flows counts the 3 records");
	nf_decoder_destroy(d);
}

/* v9 template 300: src v4, dst v6, counters, direction (36 bytes). */
static const uint16_t TMIX[] = {8, 4, 28, 16, 1, 4, 2, 4, 61, 1};
#define TMIX_N 5

/* v9 template 301: src v4, dst v4, masks, counters, direction (19 bytes). */
static const uint16_t TDIR[] = {8, 4, 12, 4, 9, 1, 13, 1, 1, 4, 2, 4, 61, 1};
#define TDIR_N 7

/* Template flowset (v9 set id 0) with one template. */
static void
v9_tset(pkt *p, uint16_t tid, int n, const uint16_t *f)
{
	size_t		s = set_begin(p, 0);

	tmpl_rec(p, tid, n, f);
	set_end(p, s);
}

/*
 * v9: IPv4 source with IPv6 destination is dropped and counted;
 * direction 7 becomes absent; a /33 on IPv4 becomes absent.
 */
static void
t_contract_v9(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	nf_addr		ex = addr4(127, 0, 0, 2);
	uint8_t		v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 9};
	size_t		s;
	int			n;

	v9_header(&P, 3, 100000, T0, 0, 7);
	v9_tset(&P, 300, TMIX_N, TMIX);
	v9_tset(&P, 301, TDIR_N, TDIR);
	s = set_begin(&P, 300);
	p32(&P, 0x0A000001);
	pbytes(&P, v6, 16);
	p32(&P, 100);
	p32(&P, 2);
	p8(&P, 0);
	set_end(&P, s);
	s = set_begin(&P, 301);
	/* direction 7, masks 33 and 24 */
	p32(&P, 0x0A000001);
	p32(&P, 0x0A000002);
	p8(&P, 33);
	p8(&P, 24);
	p32(&P, 200);
	p32(&P, 3);
	p8(&P, 7);
	/* a clean record: direction 1 */
	p32(&P, 0x0A000003);
	p32(&P, 0x0A000004);
	p8(&P, 8);
	p8(&P, 16);
	p32(&P, 300);
	p32(&P, 4);
	p8(&P, 1);
	set_end(&P, s);
	n = decode_exact(d, &P, &ex, NOW, &S);
	is(n, 2, "contract v9: the mixed-family record is not emitted");
	ok(S.n >= 1 && S.r[0].bytes == 200 &&
	   !(S.r[0].present & NF_HAS_DIRECTION) && S.r[0].direction == 0,
	   "contract v9: direction 7 is absent (got present=%d value %u)",
	   (S.r[0].present & NF_HAS_DIRECTION) != 0, S.r[0].direction);
	ok(S.n >= 1 && !(S.r[0].present & NF_HAS_SRC_MASK) &&
	   (S.r[0].present & NF_HAS_DST_MASK) && S.r[0].dst_mask == 24,
	   "contract v9: src_mask 33 on IPv4 absent, dst_mask 24 kept");
	ok(S.n >= 2 && S.r[1].bytes == 300 &&
	   (S.r[1].present & NF_HAS_DIRECTION) && S.r[1].direction == 1,
	   "contract v9: direction 1 kept");
	is(ctr_named(d, "drop_mixed_family"), 1,
	   "contract v9: drop_mixed_family counts the dropped record");
	is(ctr_named(d, "invalid_direction"), 1,
	   "contract v9: invalid_direction counts direction 7");
	is(ctr_named(d, "invalid_mask"), 1, "contract v9: invalid_mask counts /33");
	is(ctr_named(d, "flows"), 2, "contract v9: flows counts emitted records only");
	nf_decoder_destroy(d);
}

/* IPFIX template 400: src v6, dst v4, octets, packets (36 bytes). */
static const uint16_t IMIX[] = {27, 16, 12, 4, 1, 4, 2, 4};
#define IMIX_N 4

/* IPFIX template 401: src/dst v6, v6 prefix lengths, octets, direction. */
static const uint16_t IV6[] = {27, 16, 28, 16, 29, 1, 30, 1, 1, 4, 61, 1};
#define IV6_N 6

/* Template set (IPFIX set id 2) with one template. */
static void
ipfix_tset(pkt *p, uint16_t tid, int n, const uint16_t *f)
{
	size_t		s = set_begin(p, 2);

	tmpl_rec(p, tid, n, f);
	set_end(p, s);
}

/*
 * IPFIX: IPv6 source with IPv4 destination is dropped; an IPv6 prefix
 * length of 129 and a direction of 2 become absent; /128 is kept.
 */
static void
t_contract_ipfix(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	nf_addr		ex = addr4(127, 0, 0, 3);
	uint8_t		a6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	uint8_t		b6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
	size_t		s;
	int			n;

	ipfix_header(&P, T0, 0, 5);
	ipfix_tset(&P, 400, IMIX_N, IMIX);
	ipfix_tset(&P, 401, IV6_N, IV6);
	s = set_begin(&P, 400);
	pbytes(&P, a6, 16);
	p32(&P, 0x08080808);
	p32(&P, 100);
	p32(&P, 1);
	set_end(&P, s);
	s = set_begin(&P, 401);
	pbytes(&P, a6, 16);
	pbytes(&P, b6, 16);
	p8(&P, 129);
	p8(&P, 128);
	p32(&P, 500);
	p8(&P, 2);
	set_end(&P, s);
	ipfix_finish(&P);
	n = decode_exact(d, &P, &ex, NOW, &S);
	is(n, 1, "contract ipfix: the mixed-family record is not emitted");
	ok(S.n >= 1 && S.r[0].bytes == 500 &&
	   !(S.r[0].present & NF_HAS_SRC_MASK) && S.r[0].src_mask == 0,
	   "contract ipfix: IPv6 prefix length 129 is absent (got %u)",
	   S.r[0].src_mask);
	ok(S.n >= 1 && (S.r[0].present & NF_HAS_DST_MASK) &&
	   S.r[0].dst_mask == 128, "contract ipfix: IPv6 prefix length 128 kept");
	ok(S.n >= 1 && !(S.r[0].present & NF_HAS_DIRECTION) &&
	   S.r[0].direction == 0, "contract ipfix: direction 2 is absent");
	is(ctr_named(d, "drop_mixed_family"), 1,
	   "contract ipfix: drop_mixed_family counted");
	is(ctr_named(d, "invalid_mask"), 1, "contract ipfix: invalid_mask counted");
	is(ctr_named(d, "invalid_direction"), 1,
	   "contract ipfix: invalid_direction counted");
	nf_decoder_destroy(d);
}

/* Run the contract tests. */
void
test_contract(void)
{
	t_contract_v5_mask();
	t_contract_v9();
	t_contract_ipfix();
}
