/*-------------------------------------------------------------------------
 *
 * test_state.c
 *	  Decoder state persistence tests: sampling events and
 *	  nf_decoder_load_sampling, sequence state listed by
 *	  nf_decoder_exporters and resumed with nf_decoder_load_sequence.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "tests.h"

static pkt	P;
static sink S;

/* data template 256: src addr, bytes, sampler id (1 byte) */
static const uint16_t TD[] = {8, 4, 1, 4, 48, 1};

/* data template 257: src addr, bytes (no sampler id) */
static const uint16_t TN[] = {8, 4, 1, 4};

/* Sampling events received. */
#define EV_MAX 16
typedef struct sevlog
{
	int			n;
	nf_sampling_event ev[EV_MAX];
} sevlog;

/* nf_sampling_fn: remember the event. */
static void
on_sampling(void *arg, const nf_sampling_event *ev)
{
	sevlog	   *l = (sevlog *) arg;

	if (l->n < EV_MAX)
		l->ev[l->n] = *ev;
	l->n++;
}

/* Exporter rows listed by nf_decoder_exporters. */
typedef struct exlog
{
	int			n;
	nf_exporter_info info[8];
} exlog;

/* nf_exporter_fn: remember the row. */
static void
on_exporter(void *arg, const nf_exporter_info *info)
{
	exlog	   *l = (exlog *) arg;

	if (l->n < 8)
		l->info[l->n] = *info;
	l->n++;
}

/* The listed row of (exporter, domain, version), or NULL. */
static const nf_exporter_info *
find_exporter(const nf_decoder *d, exlog *l, const nf_addr *ex,
			  uint32_t domain, uint16_t version)
{
	int			i;

	memset(l, 0, sizeof(*l));
	nf_decoder_exporters(d, on_exporter, l);
	for (i = 0; i < l->n && i < 8; i++)
		if (memcmp(l->info[i].exporter.a, ex->a, 4) == 0 &&
			l->info[i].obs_domain == domain && l->info[i].version == version)
			return &l->info[i];
	return NULL;
}

/* A template flowset holding one template. */
static void
tset(pkt *p, uint16_t tid, int n, const uint16_t *f)
{
	size_t		s = set_begin(p, 0);

	tmpl_rec(p, tid, n, f);
	set_end(p, s);
}

/*
 * v9 options template 300 (scope System/4; 48/1, 49/1, 50/4) and one
 * options record: sampler 'id' samples 1 in 'interval'.
 */
static void
v9_sampler_options(pkt *p, uint8_t id, uint32_t interval)
{
	size_t		s = set_begin(p, 1);

	p16(p, 300);
	p16(p, 4);
	p16(p, 12);
	p16(p, 1);
	p16(p, 4);
	p16(p, 48);
	p16(p, 1);
	p16(p, 49);
	p16(p, 1);
	p16(p, 50);
	p16(p, 4);
	p16(p, 0);					/* padding */
	set_end(p, s);
	s = set_begin(p, 300);
	p32(p, 0);
	p8(p, id);
	p8(p, 2);
	p32(p, interval);
	set_end(p, s);
}

/* v9 options template 301 (34/4, 35/1) and an exporter-wide record. */
static void
v9_exporter_options(pkt *p, uint32_t interval)
{
	size_t		s = set_begin(p, 1);

	p16(p, 301);
	p16(p, 4);
	p16(p, 8);
	p16(p, 1);
	p16(p, 4);
	p16(p, 34);
	p16(p, 4);
	p16(p, 35);
	p16(p, 1);
	p16(p, 0);
	set_end(p, s);
	s = set_begin(p, 301);
	p32(p, 0);
	p32(p, interval);
	p8(p, 1);
	pzero(p, 3);
	set_end(p, s);
}

/* Data set of template 256: one record naming sampler 'id'. */
static void
data_with_sampler(pkt *p, uint8_t id)
{
	size_t		s = set_begin(p, 256);

	p32(p, 0x0A000001);
	p32(p, 1000);
	p8(p, id);
	set_end(p, s);
}

/* Data set of template 257: one record naming no sampler. */
static void
data_without_sampler(pkt *p)
{
	size_t		s = set_begin(p, 257);

	p32(p, 0x0A000002);
	p32(p, 2000);
	set_end(p, s);
}

/* Sampling events fire with the right values, only when news. */
static void
t_sampling_events(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	nf_addr		ex = addr4(127, 0, 0, 41);
	sevlog		l;

	memset(&l, 0, sizeof(l));
	nf_decoder_on_sampling(d, on_sampling, &l);

	v9_header(&P, 2, 100000, T0, 0, 7);
	v9_sampler_options(&P, 5, 100);
	v9_exporter_options(&P, 1000);
	decode_exact(d, &P, &ex, NOW, &S);
	is(l.n, 2, "sampling events: one per rate learned");
	ok(l.ev[0].kind == NF_SAMPLING_KIND_SAMPLER && l.ev[0].sampler_id == 5 &&
	   l.ev[0].interval == 100 && l.ev[0].obs_domain == 7 &&
	   l.ev[0].version == 9 && is_v4(&l.ev[0].exporter, 127, 0, 0, 41),
	   "sampling events: sampler 5 of (127.0.0.41, 7, v9) samples 1:100");
	ok(l.ev[1].kind == NF_SAMPLING_KIND_EXPORTER && l.ev[1].sampler_id == 0 &&
	   l.ev[1].interval == 1000,
	   "sampling events: exporter-wide 1:1000");

	/* the exporter re-announces the same rates: nothing new */
	v9_header(&P, 2, 100010, T0, 1, 7);
	v9_sampler_options(&P, 5, 100);
	v9_exporter_options(&P, 1000);
	decode_exact(d, &P, &ex, NOW, &S);
	is(l.n, 2, "sampling events: a re-announced rate fires nothing");

	/* a changed rate fires again */
	v9_header(&P, 1, 100020, T0, 2, 7);
	v9_sampler_options(&P, 5, 200);
	decode_exact(d, &P, &ex, NOW, &S);
	is(l.n, 3, "sampling events: a changed rate fires");
	ok(l.ev[2].kind == NF_SAMPLING_KIND_SAMPLER && l.ev[2].sampler_id == 5 &&
	   l.ev[2].interval == 200, "sampling events: new interval 200");

	/* v5 header rates are not events */
	v5_header(&P, 0, 1000, T0, 0, 0, 0, 0, (1 << 14) | 64);
	decode_exact(d, &P, &ex, NOW, &S);
	is(l.n, 3, "sampling events: v5 header rate fires nothing");

	/* unregistered: no more events */
	nf_decoder_on_sampling(d, NULL, NULL);
	v9_header(&P, 1, 100030, T0, 3, 7);
	v9_sampler_options(&P, 5, 300);
	decode_exact(d, &P, &ex, NOW, &S);
	is(l.n, 3, "sampling events: none after unregistering");
	nf_decoder_destroy(d);
}

/* Loaded sampling rates apply to data without any options record. */
static void
t_sampling_load(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	nf_addr		ex = addr4(127, 0, 0, 42);
	nf_addr		other = addr4(127, 0, 0, 43);
	exlog		el;
	const nf_exporter_info *info;

	ok(!nf_decoder_load_sampling(d, &ex, 7, 5, NF_SAMPLING_KIND_SAMPLER, 5, 100),
	   "load sampling: v5 refused");
	ok(!nf_decoder_load_sampling(d, &ex, 7, 9, 9, 5, 100),
	   "load sampling: unknown kind refused");
	ok(nf_decoder_load_sampling(d, &ex, 7, 9, NF_SAMPLING_KIND_SAMPLER, 5, 100),
	   "load sampling: sampler 5 1:100 loaded");

	/* templates arrive, data names sampler 5: no options record at all */
	v9_header(&P, 4, 100000, T0, 0, 7);
	tset(&P, 256, 3, TD);
	tset(&P, 257, 2, TN);
	data_with_sampler(&P, 5);
	data_without_sampler(&P);
	is(decode_exact(d, &P, &ex, NOW, &S), 2, "load sampling: two records");
	is(ctr(d, NF_CTR_OPTIONS_RECORDS), 0, "load sampling: no options record was sent");
	is(S.r[0].sampling_interval, 100, "load sampling: record naming sampler 5 -> 100");
	is(S.r[1].sampling_interval, 0,
	   "load sampling: record naming no sampler, exporter-wide rate unknown -> 0");

	/* exporter-wide rate */
	ok(nf_decoder_load_sampling(d, &ex, 7, 9, NF_SAMPLING_KIND_EXPORTER, 0, 1000),
	   "load sampling: exporter-wide 1:1000 loaded");
	v9_header(&P, 2, 100010, T0, 1, 7);
	data_without_sampler(&P);
	data_with_sampler(&P, 6);
	is(decode_exact(d, &P, &ex, NOW, &S), 2, "load sampling: two more records");
	is(S.r[0].sampling_interval, 1000, "load sampling: no sampler id -> exporter-wide 1000");
	is(S.r[1].sampling_interval, 1000, "load sampling: unknown sampler 6 -> exporter-wide 1000");
	info = find_exporter(d, &el, &ex, 7, 9);
	ok(info != NULL && info->sampling_interval == 1000,
	   "load sampling: exporters list shows the loaded exporter-wide rate");

	/* a loaded rate is per (exporter, domain, version) */
	v9_header(&P, 2, 100000, T0, 0, 7);
	tset(&P, 256, 3, TD);
	data_with_sampler(&P, 5);
	decode_exact(d, &P, &other, NOW, &S);
	is(S.r[0].sampling_interval, 0,
	   "load sampling: another exporter's sampler 5 is unknown (0), not the loaded 100");
	v9_header(&P, 2, 100000, T0, 0, 8);
	tset(&P, 256, 3, TD);
	data_with_sampler(&P, 5);
	decode_exact(d, &P, &ex, NOW, &S);
	is(S.r[0].sampling_interval, 0,
	   "load sampling: another domain's sampler 5 is unknown (0), not the loaded 100");

	/* options received later override the loaded rate */
	v9_header(&P, 2, 100020, T0, 2, 7);
	v9_sampler_options(&P, 5, 50);
	data_with_sampler(&P, 5);
	decode_exact(d, &P, &ex, NOW, &S);
	is(S.r[0].sampling_interval, 50, "load sampling: a received rate replaces the loaded one");
	nf_decoder_destroy(d);
}

/* Save the state of one stream as a collector would. */
static bool
save_sequence(const nf_decoder *d, const nf_addr *ex, uint32_t domain,
			  uint16_t version, nf_sequence_state *st)
{
	exlog		el;
	const nf_exporter_info *info = find_exporter(d, &el, ex, domain, version);

	memset(st, 0, sizeof(*st));
	if (info == NULL || !info->seq_known)
		return false;
	st->exporter = info->exporter;
	st->obs_domain = info->obs_domain;
	st->version = info->version;
	st->next_sequence = info->next_sequence;
	st->uptime_known = info->uptime_known;
	st->last_uptime_ms = info->last_uptime_ms;
	st->last_seen = info->last_seen;
	return true;
}

/* One v9 datagram with a single data record of template 257. */
static void
v9_data(nf_decoder *d, const nf_addr *ex, uint32_t uptime, uint32_t seq)
{
	v9_header(&P, 1, uptime, T0, seq, 7);
	data_without_sampler(&P);
	decode_exact(d, &P, ex, NOW, &S);
}

/* One v5 datagram of 'count' records numbered from 'seq'. */
static void
v5_data(nf_decoder *d, const nf_addr *ex, uint16_t count, uint32_t seq)
{
	uint16_t	i;

	v5_header(&P, count, 1000, T0, 0, seq, 0, 0, 0);
	for (i = 0; i < count; i++)
		pzero(&P, 48);
	decode_exact(d, &P, ex, NOW, &S);
}

/* Per-stream counters of a decoder. */
static void
seq_counts(const nf_decoder *d, const nf_addr *ex, uint32_t domain,
		   uint16_t version, uint64_t *gaps, uint64_t *lost,
		   uint64_t *reordered, uint64_t *resets)
{
	exlog		el;
	const nf_exporter_info *info = find_exporter(d, &el, ex, domain, version);

	*gaps = *lost = *reordered = *resets = 99;
	if (info == NULL)
		return;
	*gaps = info->seq_gaps;
	*lost = info->seq_lost;
	*reordered = info->seq_reordered;
	*resets = info->resets;
}

/* Sequence state saved from one decoder and resumed in another. */
static void
t_sequence_load(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	nf_decoder *d2;
	nf_addr		ex = addr4(127, 0, 0, 44);
	nf_sequence_state st;
	nf_sequence_state bad;
	uint64_t	gaps,
				lost,
				reordered,
				resets;

	/* v9 exporter: template, then datagrams 10, 11, 12 */
	v9_header(&P, 1, 200000, T0, 9, 7);
	tset(&P, 257, 2, TN);
	decode_exact(d, &P, &ex, NOW, &S);
	v9_data(d, &ex, 200100, 10);
	v9_data(d, &ex, 200200, 11);
	v9_data(d, &ex, 200300, 12);
	ok(save_sequence(d, &ex, 7, 9, &st), "sequence: state listed");
	is(st.next_sequence, 13, "sequence: v9 next expected is 13");
	ok(st.uptime_known && st.last_uptime_ms == 200300,
	   "sequence: v9 last sysUptime listed");
	nf_decoder_destroy(d);

	memset(&bad, 0, sizeof(bad));
	bad.version = 8;
	d2 = nf_decoder_create(NULL);
	ok(!nf_decoder_load_sequence(d2, &bad), "sequence: unknown version refused");
	ok(!nf_decoder_load_sequence(d2, NULL), "sequence: NULL refused");

	/* restart: continuation 13 is no gap */
	st.last_seen = NOW - US(60);
	ok(nf_decoder_load_sequence(d2, &st), "sequence: state loaded");
	{
		exlog		el;
		const nf_exporter_info *info = find_exporter(d2, &el, &ex, 7, 9);

		ok(info != NULL && info->first_seen == 0 &&
		   info->last_seen == NOW - US(60) && info->datagrams == 0,
		   "sequence: a loaded stream not seen yet: first_seen 0, saved last_seen");
	}
	ok(nf_decoder_load_template(d2, &ex, 7, 9, 257, false,
								(const uint8_t *) "\x01\x01\x00\x02\x00\x08\x00\x04\x00\x01\x00\x04", 12),
	   "sequence: template loaded");
	v9_data(d2, &ex, 200400, 13);
	seq_counts(d2, &ex, 7, 9, &gaps, &lost, &reordered, &resets);
	ok(gaps == 0 && lost == 0 && reordered == 0 && resets == 0,
	   "sequence: continuation after a restart is no gap and no reset");
	is(S.n, 1, "sequence: the continuation's record decoded");
	{
		exlog		el;
		const nf_exporter_info *info = find_exporter(d2, &el, &ex, 7, 9);

		ok(info != NULL && info->first_seen == NOW && info->last_seen == NOW &&
		   info->datagrams == 1,
		   "sequence: a loaded stream is first seen with its first datagram");
	}
	nf_decoder_destroy(d2);

	/* restart: 20 arrives, 13..19 were sent while down */
	d2 = nf_decoder_create(NULL);
	ok(nf_decoder_load_sequence(d2, &st), "sequence: state loaded again");
	v9_data(d2, &ex, 200400, 20);
	seq_counts(d2, &ex, 7, 9, &gaps, &lost, &reordered, &resets);
	ok(gaps == 1 && lost == 7 && reordered == 0 && resets == 0,
	   "sequence: gap over the downtime is one gap of 7 lost export packets");
	is(ctr(d2, NF_CTR_SEQ_LOST), 7, "sequence: decoder counter seq_lost 7");
	v9_data(d2, &ex, 200500, 21);
	seq_counts(d2, &ex, 7, 9, &gaps, &lost, &reordered, &resets);
	ok(gaps == 1 && lost == 7, "sequence: tracking continues after the gap");
	nf_decoder_destroy(d2);

	/* restart: a number behind the saved one is an exporter restart */
	d2 = nf_decoder_create(NULL);
	ok(nf_decoder_load_sequence(d2, &st), "sequence: state loaded (behind)");
	v9_data(d2, &ex, 200400, 5);
	seq_counts(d2, &ex, 7, 9, &gaps, &lost, &reordered, &resets);
	ok(gaps == 0 && reordered == 0 && resets == 1,
	   "sequence: behind the saved expectation is a reset, not reordering");
	nf_decoder_destroy(d2);

	/* restart: sequence ahead but sysUptime went back: exporter restarted */
	d2 = nf_decoder_create(NULL);
	ok(nf_decoder_load_sequence(d2, &st), "sequence: state loaded (uptime)");
	v9_data(d2, &ex, 5000, 14);
	seq_counts(d2, &ex, 7, 9, &gaps, &lost, &reordered, &resets);
	is(resets, 1, "sequence: v9 sysUptime below the saved one is a reset");
	nf_decoder_destroy(d2);

	/* live state wins over saved state */
	d2 = nf_decoder_create(NULL);
	v9_data(d2, &ex, 200400, 30);
	ok(nf_decoder_load_sequence(d2, &st), "sequence: load on a live stream accepted");
	v9_data(d2, &ex, 200500, 31);
	seq_counts(d2, &ex, 7, 9, &gaps, &lost, &reordered, &resets);
	ok(gaps == 0 && resets == 0, "sequence: a live stream keeps its own state");
	nf_decoder_destroy(d2);

	/* v5 counts flows: 100 + 3 flows -> 103; resume at 103 and 110 */
	d = nf_decoder_create(NULL);
	v5_data(d, &ex, 3, 100);
	ok(save_sequence(d, &ex, 0, 5, &st), "sequence: v5 state listed");
	is(st.next_sequence, 103, "sequence: v5 next expected is 103");
	ok(!st.uptime_known, "sequence: v5 has no sysUptime state");
	nf_decoder_destroy(d);
	d2 = nf_decoder_create(NULL);
	ok(nf_decoder_load_sequence(d2, &st), "sequence: v5 state loaded");
	v5_data(d2, &ex, 2, 103);
	v5_data(d2, &ex, 2, 110);
	seq_counts(d2, &ex, 0, 5, &gaps, &lost, &reordered, &resets);
	ok(gaps == 1 && lost == 5 && resets == 0,
	   "sequence: v5 continuation then a gap of 5 flows");
	nf_decoder_destroy(d2);

	/* an exporter numbering every datagram 0 has no state to resume */
	d = nf_decoder_create(NULL);
	v9_data(d, &ex, 200000, 0);
	v9_data(d, &ex, 200100, 0);
	ok(!save_sequence(d, &ex, 7, 9, &st),
	   "sequence: nothing to save for an exporter numbering every datagram 0");
	nf_decoder_destroy(d);
}

void
test_state(void)
{
	t_sampling_events();
	t_sampling_load();
	t_sequence_load();
}
