/*-------------------------------------------------------------------------
 *
 * test_bounds.c
 *	  State bounded per sender (issue 10, defects 3 and 4): streams,
 *	  templates and waiting data per exporter address and in total; a
 *	  flood from one address evicts only its own state and never changes
 *	  the sampling applied to another exporter's flows; sampling lost with
 *	  an evicted stream is stored as unknown (0) and counted; loading saved
 *	  state never evicts live state.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "tests.h"

static pkt	P;
static sink S;

/* data template 256: source address, bytes */
static const uint16_t TD[] = {8, 4, 1, 4};

/* Value of the counter named 'name' (0 if no counter has that name). */
static uint64_t
ctr_named(const nf_decoder *d, const char *name)
{
	int			i;

	for (i = 0; i < NF_CTR__COUNT; i++)
		if (strcmp(nf_counter_name((nf_counter) i), name) == 0)
			return nf_decoder_counters(d)[i];
	return 0;
}

/* Counts the listed streams of one address. */
typedef struct addr_count
{
	nf_addr		addr;
	size_t		streams;
	size_t		all;
	uint64_t	templates;
	bool		found_domain;
	uint32_t	domain;
} addr_count;

/* nf_exporter_fn: count streams of the address. */
static void
on_exporter(void *arg, const nf_exporter_info *info)
{
	addr_count *c = (addr_count *) arg;

	c->all++;
	if (memcmp(info->exporter.a, c->addr.a, 4) != 0)
		return;
	c->streams++;
	c->templates += info->templates;
	if (info->obs_domain == c->domain)
		c->found_domain = true;
}

/* List the streams of 'a' (and whether 'domain' is one of them). */
static addr_count
count_streams(const nf_decoder *d, const nf_addr *a, uint32_t domain)
{
	addr_count	c;

	memset(&c, 0, sizeof(c));
	c.addr = *a;
	c.domain = domain;
	nf_decoder_exporters(d, on_exporter, &c);
	return c;
}

/* v9 datagram: optional sampling options (1 in 'interval'), optional
 * template 256, optional data record. */
static void
v9_stream(uint32_t seq, uint32_t source_id, uint32_t interval, bool tmpl,
		  int records)
{
	size_t		s;
	int			i;

	v9_header(&P, 0, 100000 + seq, T0, seq, source_id);
	if (interval > 0)
	{
		/* options template 300: scope System (1, 4); 34 (4), 35 (1) */
		s = set_begin(&P, 1);
		p16(&P, 300);
		p16(&P, 4);
		p16(&P, 8);
		p16(&P, 1);
		p16(&P, 4);
		p16(&P, 34);
		p16(&P, 4);
		p16(&P, 35);
		p16(&P, 1);
		set_end(&P, s);
		s = set_begin(&P, 300);
		p32(&P, 0);
		p32(&P, interval);
		p8(&P, 1);
		pzero(&P, 3);
		set_end(&P, s);
	}
	if (tmpl)
	{
		s = set_begin(&P, 0);
		tmpl_rec(&P, 256, 2, TD);
		set_end(&P, s);
	}
	if (records > 0)
	{
		s = set_begin(&P, 256);
		for (i = 0; i < records; i++)
		{
			p32(&P, 0x0a000001);
			p32(&P, 1000 + i);
		}
		set_end(&P, s);
	}
}

/* One address varying only the v9 source id: bounded streams. */
static void
b_streams_per_address(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	nf_addr		a = addr4(10, 9, 0, 1);
	addr_count	c;
	uint32_t	i;

	for (i = 0; i < 5000; i++)
	{
		v9_stream(1, 1000 + i, 0, false, 0);
		decode_exact(d, &P, &a, NOW, &S);
	}
	c = count_streams(d, &a, 0);
	ok(c.streams <= 256,
	   "bounds: 5000 source ids from one address keep at most 256 streams (%zu)",
	   c.streams);
	ok(ctr(d, NF_CTR_EXPORTERS_EVICTED) >= 5000 - 256,
	   "bounds: the streams over the per-address bound are counted as evicted");

	/* IPFIX observation domains and v5 engine ids likewise */
	for (i = 0; i < 3000; i++)
	{
		ipfix_header(&P, T0, 0, 5000 + i);
		ipfix_finish(&P);
		decode_exact(d, &P, &a, NOW, &S);
		v5_header(&P, 0, 1000, T0, 0, 0, (uint8_t) (i >> 8), (uint8_t) i, 0);
		decode_exact(d, &P, &a, NOW, &S);
	}
	c = count_streams(d, &a, 0);
	ok(c.streams <= 256,
	   "bounds: domains and engine ids too stay within 256 streams (%zu)",
	   c.streams);
	nf_decoder_destroy(d);
}

/*
 * A real exporter B (sampled 1 in 100, template 256) then a flood from
 * address A: 5000 source ids, each with templates.  B keeps its stream,
 * its template and its sampling.
 */
static void
b_flood_spares_other_exporter(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	nf_addr		b = addr4(10, 0, 0, 2);
	nf_addr		a = addr4(10, 0, 0, 66);
	addr_count	c;
	uint32_t	i;
	uint64_t	buffered;

	v9_stream(1, 7, 100, true, 1);
	S.n = 0;
	decode_exact(d, &P, &b, NOW, &S);
	is(S.n, 1, "flood: B's first record decoded");
	is(S.r[0].sampling_interval, 100, "flood: B is sampled 1 in 100");

	for (i = 0; i < 5000; i++)
	{
		size_t		s;
		uint16_t	k;

		v9_header(&P, 0, 100000, T0, 1, 20000 + i);
		s = set_begin(&P, 0);
		for (k = 0; k < 4; k++)
			tmpl_rec(&P, (uint16_t) (256 + k), 2, TD);
		set_end(&P, s);
		decode_exact(d, &P, &a, NOW, &S);
	}
	c = count_streams(d, &b, 7);
	ok(c.found_domain, "flood: B's stream is still tracked");
	is(c.templates, 2, "flood: B's two templates are still cached");

	buffered = ctr(d, NF_CTR_PENDING_BUFFERED);
	v9_stream(2, 7, 0, false, 1);
	S.n = 0;
	decode_exact(d, &P, &b, NOW, &S);
	is(S.n, 1, "flood: B's data decodes at once (template kept)");
	is(ctr(d, NF_CTR_PENDING_BUFFERED), buffered,
	   "flood: B's data did not wait for a template");
	if (S.n == 1)
		is(S.r[0].sampling_interval, 100,
		   "flood: B's flows keep their sampling 1 in 100");
	else
		ok(0, "flood: B's flows keep their sampling 1 in 100");
	c = count_streams(d, &a, 0);
	ok(c.templates <= 2048,
	   "flood: A holds at most 2048 templates (%llu)",
	   (unsigned long long) c.templates);
	nf_decoder_destroy(d);
}

/* One stream with 5000 template ids keeps at most the per-address quota. */
static void
b_templates_per_address(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	nf_addr		a = addr4(10, 0, 0, 67);
	addr_count	c;
	uint32_t	i;

	for (i = 0; i < 5000; i += 500)
	{
		size_t		s;
		uint32_t	k;

		v9_header(&P, 0, 100000, T0, i / 500, 1);
		s = set_begin(&P, 0);
		for (k = 0; k < 500; k++)
			tmpl_rec(&P, (uint16_t) (256 + i + k), 2, TD);
		set_end(&P, s);
		decode_exact(d, &P, &a, NOW, &S);
	}
	c = count_streams(d, &a, 0);
	is(ctr(d, NF_CTR_TEMPLATES_LEARNED), 5000, "templates: 5000 learned");
	ok(c.templates <= 2048, "templates: at most 2048 kept for one address (%llu)",
	   (unsigned long long) c.templates);
	is(ctr(d, NF_CTR_TEMPLATES_EVICTED), 5000 - c.templates,
	   "templates: every template not kept is counted as evicted");
	nf_decoder_destroy(d);
}

/*
 * Address A fills the buffer of data waiting for templates from 100
 * streams; B's data set waiting for its template is still kept and
 * decoded when the template arrives.
 */
static void
b_pending_per_address(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	nf_addr		a = addr4(10, 0, 0, 68);
	nf_addr		b = addr4(10, 0, 0, 3);
	uint32_t	i;
	uint64_t	buffered;
	uint64_t	evicted;

	for (i = 0; i < 100; i++)
	{
		int			k;

		for (k = 0; k < 5; k++)
		{
			size_t		s;

			v9_header(&P, 0, 100000, T0, (uint32_t) k, 300 + i);
			s = set_begin(&P, 999);
			pzero(&P, 60000);
			set_end(&P, s);
			decode_exact(d, &P, &a, NOW, &S);
		}
	}
	/* and small sets from 3 more streams fill what is left */
	for (i = 0; i < 3000; i++)
	{
		size_t		s;

		v9_header(&P, 0, 100000, T0, i / 3, 500 + i % 3);
		s = set_begin(&P, 999);
		pzero(&P, 8);
		set_end(&P, s);
		decode_exact(d, &P, &a, NOW, &S);
	}
	buffered = ctr(d, NF_CTR_PENDING_BUFFERED);
	evicted = ctr(d, NF_CTR_PENDING_EVICTED);
	v9_stream(1, 7, 0, false, 1);
	decode_exact(d, &P, &b, NOW, &S);
	is(ctr(d, NF_CTR_PENDING_BUFFERED), buffered + 1,
	   "pending: B's data set is kept although A filled its own share");
	is(ctr(d, NF_CTR_PENDING_EVICTED), evicted,
	   "pending: nothing evicted for B's data set");
	v9_stream(2, 7, 0, true, 0);
	S.n = 0;
	decode_exact(d, &P, &b, NOW, &S);
	is(S.n, 1, "pending: B's waiting record is decoded when its template arrives");
	nf_decoder_destroy(d);
}

/*
 * B's sampled stream is evicted by B's own many streams; when it comes
 * back without its options record its flows are stored with an unknown
 * sampling interval (0), counted, not as unsampled (1).
 */
static void
b_sampling_lost(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	nf_addr		b = addr4(10, 0, 0, 4);
	uint32_t	i;

	v9_stream(1, 7, 100, true, 1);
	S.n = 0;
	decode_exact(d, &P, &b, NOW, &S);
	is(S.r[0].sampling_interval, 100, "sampling lost: 1 in 100 at first");
	for (i = 0; i < 400; i++)
	{
		v9_stream(1, 100 + i, 0, false, 0);
		decode_exact(d, &P, &b, NOW, &S);
	}
	v9_stream(2, 7, 0, true, 1);
	S.n = 0;
	decode_exact(d, &P, &b, NOW, &S);
	is(S.n, 1, "sampling lost: record decoded");
	is(S.r[0].sampling_interval, 0,
	   "sampling lost: stored as unknown (0), not as unsampled (1)");
	ok(ctr_named(d, "sampling_lost") >= 1,
	   "sampling lost: counted (sampling_lost)");
	nf_decoder_destroy(d);
}

/* Loading saved state never evicts a live stream; what is refused is counted. */
static void
b_load_spares_live(void)
{
	nf_decoder_limits lim;
	nf_decoder *d;
	nf_addr		b = addr4(10, 0, 0, 5);
	addr_count	c;
	uint32_t	i;
	uint32_t	refused = 0;
	uint8_t		raw[12];

	nf_decoder_default_limits(&lim);
	lim.max_exporters = 100;
	d = nf_decoder_create(&lim);
	v9_stream(1, 7, 0, true, 1);
	decode_exact(d, &P, &b, NOW, &S);

	/* template 256 as saved: id, count, (8, 4), (1, 4) */
	raw[0] = 1;
	raw[1] = 0;
	raw[2] = 0;
	raw[3] = 2;
	raw[4] = 0;
	raw[5] = 8;
	raw[6] = 0;
	raw[7] = 4;
	raw[8] = 0;
	raw[9] = 1;
	raw[10] = 0;
	raw[11] = 4;
	for (i = 0; i < 300; i++)
	{
		nf_addr		a = addr4(10, 1, (uint8_t) (i >> 8), (uint8_t) i);
		nf_sequence_state st;

		memset(&st, 0, sizeof(st));
		st.exporter = a;
		st.obs_domain = 1;
		st.version = 9;
		st.next_sequence = 5;
		if (!nf_decoder_load_template(d, &a, 1, 9, 256, false, raw, sizeof(raw)))
			refused++;
		if (!nf_decoder_load_sequence(d, &st))
			refused++;
	}
	c = count_streams(d, &b, 7);
	ok(c.found_domain, "load: the live stream is not evicted by loading");
	is(c.templates, 1, "load: the live stream keeps its template");
	ok(c.all <= 100, "load: at most max_exporters streams (%zu)", c.all);
	ok(refused > 0, "load: rows beyond the bound are refused");
	ok(ctr_named(d, "state_not_loaded") == refused,
	   "load: refused rows are counted (state_not_loaded %llu of %u)",
	   (unsigned long long) ctr_named(d, "state_not_loaded"), refused);
	nf_decoder_destroy(d);
}

void
test_bounds(void)
{
	b_streams_per_address();
	b_flood_spares_other_exporter();
	b_templates_per_address();
	b_pending_per_address();
	b_sampling_lost();
	b_load_spares_live();
}
