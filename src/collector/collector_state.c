/*-------------------------------------------------------------------------
 *
 * collector_state.c
 *	  Decoder state the collector keeps across restarts of the inserter,
 *	  with one save / commit / forget mechanism, and the exporter table
 *	  published to shared memory.
 *
 * What the decoder learns is saved in three tables: templates
 * (netflow.templates), sampling rates (netflow.sampling) and the sequence
 * state of each stream (netflow.exporter_state).
 *
 * Templates: the decoder reports every template learned, withdrawn or
 * evicted by a bound; the key (exporter, domain, version, template id) is
 * remembered, and at save time the row is written from the template the
 * decoder holds then, or deleted if it holds none: netflow.templates
 * mirrors the decoder's bounded cache and no template is copied here.
 * Streams the decoder evicts have their rows in netflow.exporter_state and
 * netflow.sampling deleted at the next save.
 * Sampling: the decoder reports every sampling rate an options record
 * teaches (new or changed); the latest rate per (exporter, domain,
 * version, kind, id) is kept here.  Sequence state: the expected next
 * sequence number (and the v9 sysUptime) of each stream that changed since
 * the last committed save.
 *
 * nf_state_save() writes all three in the transaction of the next flow
 * flush, so the saved state always matches the flows committed: after a
 * crash, the gap the next datagram shows counts exactly the flows that were
 * decoded but never stored, plus what the exporter sent while the
 * collector was down.  nf_state_committed() is called once that
 * transaction committed; nf_state_forget() when the extension was
 * recreated (the tables are empty again).  nf_state_load() loads the three
 * tables into the decoder when the inserter starts, before it decodes
 * anything, so v9/IPFIX data arriving after a restart is decoded at once,
 * a sampled exporter's data gets its rate at once and the first datagram
 * after a restart is checked for a gap.  It loads the most recently used
 * first; the decoder refuses (and counts) what is beyond its bounds, and
 * those rows are deleted.
 *
 * Exporters: the inserter periodically copies the decoder's per-exporter
 * state into shared memory for the netflow.exporters view.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inet.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "collector.h"
#include "collector_shmem.h"
#include "collector_state.h"

/* Key of a template; zeroed before filling so padding compares equal. */
typedef struct NfTemplateKey
{
	nf_addr		exporter;
	uint8		pad[3];
	uint32		obs_domain;
	uint16		version;
	uint16		template_id;
} NfTemplateKey;

/* A template as netflow.templates holds it: its key and a hash of its content. */
typedef struct NfSavedTemplate
{
	NfTemplateKey key;
	uint64		hash;			/* of is_options and raw */
} NfSavedTemplate;

/* A row written by the last save, applied to 'saved' once committed. */
typedef struct NfStagedTemplate
{
	NfTemplateKey key;
	bool		deleted;
	uint64		hash;
} NfStagedTemplate;

/*
 * Templates: 'dirty' holds the keys whose template changed (learned,
 * replaced, withdrawn or evicted) since the last committed save; what to
 * write is read from the decoder at save time, so no template content is
 * copied here.  'saved' holds the keys and content hashes of the rows of
 * netflow.templates.  Both are bounded by the decoder's template bounds:
 * a dirty key is a template the decoder holds or a saved row to delete,
 * and a row is deleted once its template is no longer in the decoder.
 */
static HTAB *dirty = NULL;
static HTAB *saved = NULL;
static NfStagedTemplate *staged_tmpl = NULL;
static int	n_staged_tmpl = 0;
static int	cap_staged_tmpl = 0;

/* Create a template key table with entries of 'entrysize' in TopMemoryContext. */
static HTAB *
make_template_table(const char *name, Size entrysize)
{
	HASHCTL		ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(NfTemplateKey);
	ctl.entrysize = entrysize;
	ctl.hcxt = TopMemoryContext;
	return hash_create(name, 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

/* Make sure both template tables exist. */
static void
template_tables(void)
{
	if (dirty == NULL)
		dirty = make_template_table("netflow dirty templates",
									sizeof(NfTemplateKey));
	if (saved == NULL)
		saved = make_template_table("netflow saved templates",
									sizeof(NfSavedTemplate));
}

/* Hash of a template's content (FNV-1a over is_options and raw). */
static uint64
template_hash(bool is_options, const uint8 *raw, size_t len)
{
	uint64		h = UINT64CONST(14695981039346656037);
	size_t		i;

	h = (h ^ (is_options ? 1 : 0)) * UINT64CONST(1099511628211);
	for (i = 0; i < len; i++)
		h = (h ^ raw[i]) * UINT64CONST(1099511628211);
	return h ^ len;
}

/* The key of a template event. */
static void
template_key(NfTemplateKey *key, const nf_template_event *ev)
{
	memset(key, 0, sizeof(*key));
	key->exporter = ev->exporter;
	key->obs_domain = ev->obs_domain;
	key->version = ev->version;
	key->template_id = ev->template_id;
}

/*
 * nf_template_fn: a template changed (learned, replaced, withdrawn or
 * evicted): its key is saved at the next flush.  A withdrawal of a template
 * netflow.templates does not hold changes nothing.
 */
void
nf_state_template_event(void *arg, const nf_template_event *ev)
{
	NfTemplateKey key;

	template_tables();
	template_key(&key, ev);
	if ((ev->withdrawn || ev->raw == NULL) &&
		hash_search(saved, &key, HASH_FIND, NULL) == NULL)
	{
		hash_search(dirty, &key, HASH_REMOVE, NULL);
		return;
	}
	(void) hash_search(dirty, &key, HASH_ENTER, NULL);
}

/* nf_template_fn: mark a cached template to be saved again. */
static void
mark_template(void *arg, const nf_template_event *ev)
{
	NfTemplateKey key;

	template_key(&key, ev);
	(void) hash_search(dirty, &key, HASH_ENTER, NULL);
}

/* Number of template changes not yet saved. */
static long
nf_state_pending_templates(void)
{
	return dirty ? hash_get_num_entries(dirty) : 0;
}

/* Append a row to the staged template rows. */
static void
stage_template(const NfTemplateKey *key, bool deleted, uint64 hash)
{
	if (n_staged_tmpl == cap_staged_tmpl)
	{
		int			newcap = cap_staged_tmpl == 0 ? 64 : cap_staged_tmpl * 2;

		if (staged_tmpl == NULL)
			staged_tmpl = MemoryContextAlloc(TopMemoryContext,
											 sizeof(NfStagedTemplate) * newcap);
		else
			staged_tmpl = repalloc(staged_tmpl,
								   sizeof(NfStagedTemplate) * newcap);
		cap_staged_tmpl = newcap;
	}
	staged_tmpl[n_staged_tmpl].key = *key;
	staged_tmpl[n_staged_tmpl].deleted = deleted;
	staged_tmpl[n_staged_tmpl].hash = hash;
	n_staged_tmpl++;
}

/*
 * Write the changed templates to netflow.templates (SPI): each dirty key
 * is upserted with the decoder's template, or its row deleted when the
 * decoder no longer has it (withdrawn, evicted).  Returns the number of
 * rows written or deleted.
 */
static int
nf_state_save_templates(const nf_decoder *d)
{
	static const char *upsert =
		"INSERT INTO netflow.templates AS t"
		" (exporter, obs_domain, version, template_id, is_options, raw, updated_at)"
		" VALUES ($1, $2, $3, $4, $5, $6, now())"
		" ON CONFLICT (exporter, obs_domain, version, template_id) DO UPDATE"
		" SET is_options = excluded.is_options, raw = excluded.raw,"
		" updated_at = excluded.updated_at";
	static const char *withdraw =
		"DELETE FROM netflow.templates"
		" WHERE exporter = $1 AND obs_domain = $2 AND version = $3"
		" AND template_id = $4";
	Oid			types[6] = {INETOID, INT8OID, INT2OID, INT4OID, BOOLOID, BYTEAOID};
	HASH_SEQ_STATUS seq;
	NfTemplateKey *k;
	int			written = 0;

	n_staged_tmpl = 0;
	if (nf_state_pending_templates() == 0)
		return 0;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	hash_seq_init(&seq, dirty);
	while ((k = hash_seq_search(&seq)) != NULL)
	{
		Datum		args[6];
		int			rc;
		bool		is_options;
		const uint8_t *raw;
		size_t		raw_len;
		NfSavedTemplate *s = hash_search(saved, k, HASH_FIND, NULL);

		args[0] = nf_addr_to_inet(&k->exporter);
		args[1] = Int64GetDatum((int64) k->obs_domain);
		args[2] = Int16GetDatum((int16) k->version);
		args[3] = Int32GetDatum((int32) k->template_id);
		if (!nf_decoder_find_template(d, &k->exporter, k->obs_domain,
									  k->version, k->template_id,
									  &is_options, &raw, &raw_len))
		{
			if (s == NULL)
				continue;		/* learned and gone before it was saved */
			rc = SPI_execute_with_args(withdraw, 4, types, args, NULL, false, 0);
			if (rc != SPI_OK_DELETE)
				elog(ERROR, "could not delete from netflow.templates: %s",
					 SPI_result_code_string(rc));
			stage_template(k, true, 0);
		}
		else
		{
			uint64		h = template_hash(is_options, raw, raw_len);
			bytea	   *b;

			if (s != NULL && s->hash == h)
				continue;		/* netflow.templates already says this */
			b = (bytea *) palloc(VARHDRSZ + raw_len);
			SET_VARSIZE(b, VARHDRSZ + raw_len);
			memcpy(VARDATA(b), raw, raw_len);
			args[4] = BoolGetDatum(is_options);
			args[5] = PointerGetDatum(b);
			rc = SPI_execute_with_args(upsert, 6, types, args, NULL, false, 0);
			if (rc != SPI_OK_INSERT)
				elog(ERROR, "could not write netflow.templates: %s",
					 SPI_result_code_string(rc));
			pfree(b);
			stage_template(k, false, h);
		}
		pfree(DatumGetPointer(args[0]));
		written++;
	}
	SPI_finish();
	return written;
}

/*
 * netflow.templates was recreated empty: forget what it held and save
 * every template the decoder holds again.
 */
static void
nf_state_forget_saved(const nf_decoder *d)
{
	if (saved != NULL)
		hash_destroy(saved);
	saved = NULL;
	n_staged_tmpl = 0;
	template_tables();
	nf_decoder_templates(d, mark_template, NULL);
}

/* The transaction that saved the templates committed. */
static void
nf_state_templates_committed(void)
{
	int			i;

	template_tables();
	for (i = 0; i < n_staged_tmpl; i++)
	{
		NfSavedTemplate *s;

		if (staged_tmpl[i].deleted)
		{
			hash_search(saved, &staged_tmpl[i].key, HASH_REMOVE, NULL);
			continue;
		}
		s = hash_search(saved, &staged_tmpl[i].key, HASH_ENTER, NULL);
		s->hash = staged_tmpl[i].hash;
	}
	n_staged_tmpl = 0;
	hash_destroy(dirty);
	dirty = NULL;
}

/*
 * Delete the rows of 'table' whose ctid is one of 'ctids' (saved state the
 * decoder refused: invalid, or beyond its bounds).
 */
static void
delete_ctids(const char *table, Datum *ctids, int n)
{
	char		sql[128];
	Datum		arg;
	Oid			type = TIDARRAYOID;
	int			rc;

	if (n == 0)
		return;
	snprintf(sql, sizeof(sql), "DELETE FROM netflow.%s WHERE ctid = ANY($1)",
			 table);
	arg = PointerGetDatum(construct_array(ctids, n, TIDOID, sizeof(ItemPointerData),
										  false, TYPALIGN_SHORT));
	rc = SPI_execute_with_args(sql, 1, &type, &arg, NULL, false, 0);
	if (rc != SPI_OK_DELETE)
		elog(ERROR, "could not delete from netflow.%s: %s", table,
			 SPI_result_code_string(rc));
}

/* A copy of a tid Datum in the current memory context. */
static Datum
copy_tid(Datum d)
{
	ItemPointer p = palloc(sizeof(ItemPointerData));

	ItemPointerCopy((ItemPointer) DatumGetPointer(d), p);
	return PointerGetDatum(p);
}

/*
 * Load the templates of netflow.templates into the decoder, most recently
 * updated first; rows the decoder refuses (invalid, or beyond its bounds:
 * loading never evicts) are deleted.  Returns the number loaded.
 */
static int
nf_state_load_templates(nf_decoder *d)
{
	uint64		i;
	int			loaded = 0,
				rejected = 0;
	int			rc;
	Datum	   *drop;

	template_tables();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rc = SPI_execute("SELECT exporter, obs_domain, version, template_id,"
					 " is_options, raw, ctid FROM netflow.templates"
					 " ORDER BY updated_at DESC", false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read netflow.templates: %s",
			 SPI_result_code_string(rc));
	drop = palloc(sizeof(Datum) * Max(SPI_processed, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		bool		isnull[7];
		Datum		v[7];
		int			c;
		nf_addr		exporter;
		bytea	   *raw;
		int64		domain;
		NfTemplateKey key;
		NfSavedTemplate *s;

		for (c = 0; c < 7; c++)
			v[c] = SPI_getbinval(tup, td, c + 1, &isnull[c]);
		if (isnull[0] || isnull[1] || isnull[2] || isnull[3] || isnull[4] ||
			isnull[5] || !inet_to_nf_addr(v[0], &exporter))
		{
			drop[rejected++] = copy_tid(v[6]);
			continue;
		}
		domain = DatumGetInt64(v[1]);
		raw = DatumGetByteaPP(v[5]);
		if (domain < 0 || domain > PG_UINT32_MAX ||
			DatumGetInt16(v[2]) < 0 ||
			DatumGetInt32(v[3]) < 0 || DatumGetInt32(v[3]) > PG_UINT16_MAX ||
			!nf_decoder_load_template(d, &exporter, (uint32) domain,
									  (uint16) DatumGetInt16(v[2]),
									  (uint16) DatumGetInt32(v[3]),
									  DatumGetBool(v[4]),
									  (const uint8_t *) VARDATA_ANY(raw),
									  VARSIZE_ANY_EXHDR(raw)))
		{
			drop[rejected++] = copy_tid(v[6]);
			continue;
		}
		memset(&key, 0, sizeof(key));
		key.exporter = exporter;
		key.obs_domain = (uint32) domain;
		key.version = (uint16) DatumGetInt16(v[2]);
		key.template_id = (uint16) DatumGetInt32(v[3]);
		s = hash_search(saved, &key, HASH_ENTER, NULL);
		s->hash = template_hash(DatumGetBool(v[4]),
								(const uint8 *) VARDATA_ANY(raw),
								VARSIZE_ANY_EXHDR(raw));
		loaded++;
	}
	delete_ctids("templates", drop, rejected);
	SPI_finish();
	if (loaded > 0 || rejected > 0)
		ereport(LOG,
				(errmsg("netflow inserter loaded %d saved templates (%d rejected)",
						loaded, rejected)));
	return loaded;
}

/* ---- sampling rates and sequence state ---- */

/* Pending sampling rates kept at most (distinct keys). */
#define NF_MAX_PENDING_SAMPLING 65536

/* Key of a sampling rate; zeroed before filling so padding compares equal. */
typedef struct NfSamplingKey
{
	nf_addr		exporter;
	uint8		pad[3];
	uint32		obs_domain;
	uint16		version;
	uint8		kind;
	uint8		pad2[5];
	uint64		sampler_id;
} NfSamplingKey;

/* Latest rate of a sampler, waiting to be saved. */
typedef struct NfPendingSampling
{
	NfSamplingKey key;
	uint64		interval;
} NfPendingSampling;

/* Key of a stream; zeroed before filling. */
typedef struct NfStreamKey
{
	nf_addr		exporter;
	uint8		pad[3];
	uint32		obs_domain;
	uint16		version;
	uint8		pad2[2];
} NfStreamKey;

/* Sequence state of a stream as saved (or about to be). */
typedef struct NfSavedSequence
{
	NfStreamKey key;
	bool		deleted;		/* staged only: the row is deleted */
	uint32		next_sequence;
	bool		uptime_known;
	uint32		last_uptime_ms;
} NfSavedSequence;

static HTAB *pending_sampling = NULL;
static HTAB *saved_sequences = NULL;

/*
 * Streams with rows in netflow.sampling, and streams the decoder evicted
 * whose rows (netflow.exporter_state, netflow.sampling) are deleted at the
 * next save.  Both bounded by the streams the decoder keeps.
 */
static HTAB *sampled_streams = NULL;
static HTAB *evicted_streams = NULL;

/* rows written by the last nf_state_save_sequences, not yet committed */
static NfSavedSequence *staged = NULL;
static int	n_staged = 0;
static int	cap_staged = 0;

/* Names of the sampler kinds in netflow.sampling.sampler_kind. */
static const char *const kind_names[] = {
	[NF_SAMPLING_KIND_EXPORTER] = "exporter",
	[NF_SAMPLING_KIND_SAMPLER] = "sampler",
	[NF_SAMPLING_KIND_SELECTOR] = "selector",
};

/* Create the pending sampling table in TopMemoryContext. */
static HTAB *
make_sampling_table(void)
{
	HASHCTL		ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(NfSamplingKey);
	ctl.entrysize = sizeof(NfPendingSampling);
	ctl.hcxt = TopMemoryContext;
	return hash_create("netflow pending sampling", 64, &ctl,
					   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

/* Create a set of stream keys in TopMemoryContext. */
static HTAB *
make_stream_set(const char *name)
{
	HASHCTL		ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(NfStreamKey);
	ctl.entrysize = sizeof(NfStreamKey);
	ctl.hcxt = TopMemoryContext;
	return hash_create(name, 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

/* Make sure the stream sets exist. */
static void
stream_sets(void)
{
	if (sampled_streams == NULL)
		sampled_streams = make_stream_set("netflow sampled streams");
	if (evicted_streams == NULL)
		evicted_streams = make_stream_set("netflow evicted streams");
}

/* The stream key of (exporter, domain, version). */
static void
stream_key(NfStreamKey *key, const nf_addr *exporter, uint32 domain,
		   uint16 version)
{
	memset(key, 0, sizeof(*key));
	key->exporter = *exporter;
	key->obs_domain = domain;
	key->version = version;
}

/*
 * nf_stream_fn: the decoder evicted a stream (a bound was reached): what
 * was saved of it is deleted at the next save.
 */
void
nf_state_stream_evicted(void *arg, const nf_stream_event *ev)
{
	NfStreamKey key;
	bool		saved_seq;
	bool		saved_rates;

	stream_sets();
	stream_key(&key, &ev->exporter, ev->obs_domain, ev->version);
	saved_seq = saved_sequences != NULL &&
		hash_search(saved_sequences, &key, HASH_REMOVE, NULL) != NULL;
	saved_rates = hash_search(sampled_streams, &key, HASH_REMOVE, NULL) != NULL;
	if (saved_seq || saved_rates)
		(void) hash_search(evicted_streams, &key, HASH_ENTER, NULL);
}

/* Delete the rows of the evicted streams (SPI); returns how many streams. */
static int
nf_state_save_evictions(void)
{
	static const char *const sql[2] = {
		"DELETE FROM netflow.exporter_state WHERE (exporter, obs_domain, version) IN"
		" (SELECT * FROM unnest($1::inet[], $2::bigint[], $3::smallint[]))",
		"DELETE FROM netflow.sampling WHERE (exporter, obs_domain, version) IN"
		" (SELECT * FROM unnest($1::inet[], $2::bigint[], $3::smallint[]))"
	};
	Oid			types[3] = {INETARRAYOID, INT8ARRAYOID, INT2ARRAYOID};
	HASH_SEQ_STATUS seq;
	NfStreamKey *k;
	Datum	   *ex;
	Datum	   *dom;
	Datum	   *ver;
	Datum		args[3];
	int			n = 0;
	int			i;
	long		total;

	total = evicted_streams ? hash_get_num_entries(evicted_streams) : 0;
	if (total == 0)
		return 0;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ex = palloc(sizeof(Datum) * total);
	dom = palloc(sizeof(Datum) * total);
	ver = palloc(sizeof(Datum) * total);
	hash_seq_init(&seq, evicted_streams);
	while ((k = hash_seq_search(&seq)) != NULL)
	{
		ex[n] = nf_addr_to_inet(&k->exporter);
		dom[n] = Int64GetDatum((int64) k->obs_domain);
		ver[n] = Int16GetDatum((int16) k->version);
		n++;
	}
	args[0] = PointerGetDatum(construct_array(ex, n, INETOID, -1, false,
											  TYPALIGN_INT));
	args[1] = PointerGetDatum(construct_array(dom, n, INT8OID, 8,
											  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	args[2] = PointerGetDatum(construct_array(ver, n, INT2OID, 2, true,
											  TYPALIGN_SHORT));
	for (i = 0; i < 2; i++)
	{
		int			rc = SPI_execute_with_args(sql[i], 3, types, args, NULL,
											   false, 0);

		if (rc != SPI_OK_DELETE)
			elog(ERROR, "could not delete the state of evicted streams: %s",
				 SPI_result_code_string(rc));
	}
	SPI_finish();
	return n;
}

/* The transaction that deleted the evicted streams' rows committed. */
static void
nf_state_evictions_committed(void)
{
	if (evicted_streams != NULL)
		hash_destroy(evicted_streams);
	evicted_streams = NULL;
}

/* Create the saved sequence table in TopMemoryContext. */
static HTAB *
make_sequence_table(void)
{
	HASHCTL		ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(NfStreamKey);
	ctl.entrysize = sizeof(NfSavedSequence);
	ctl.hcxt = TopMemoryContext;
	return hash_create("netflow saved sequences", 64, &ctl,
					   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

/* nf_sampling_fn: remember a sampling rate until it is saved. */
void
nf_state_sampling_event(void *arg, const nf_sampling_event *ev)
{
	NfSamplingKey key;
	NfPendingSampling *p;
	bool		found;

	if (ev->kind > NF_SAMPLING_KIND_SELECTOR)
		return;
	if (pending_sampling == NULL)
		pending_sampling = make_sampling_table();
	memset(&key, 0, sizeof(key));
	key.exporter = ev->exporter;
	key.obs_domain = ev->obs_domain;
	key.version = ev->version;
	key.kind = ev->kind;
	key.sampler_id = ev->sampler_id;
	p = hash_search(pending_sampling, &key, HASH_FIND, NULL);
	if (p == NULL)
	{
		/*
		 * Bounded: when full, this change is not saved (counted); the
		 * decoder still applies it, and the exporter's next change is saved
		 * once a flush has emptied the table.
		 */
		if (hash_get_num_entries(pending_sampling) >= NF_MAX_PENDING_SAMPLING)
		{
			if (nf_shared != NULL)
				nf_count(NF_INSERTER_SLOT, NFW_DROP_SAMPLING_UNSAVED, 1);
			return;
		}
		p = hash_search(pending_sampling, &key, HASH_ENTER, &found);
	}
	p->interval = ev->interval;
}

/* Number of sampling rates not yet saved. */
static long
nf_state_pending_sampling(void)
{
	return pending_sampling ? hash_get_num_entries(pending_sampling) : 0;
}

/* Write the pending sampling rates to netflow.sampling (SPI). */
static int
nf_state_save_sampling(const nf_decoder *d)
{
	static const char *upsert =
		"INSERT INTO netflow.sampling AS s"
		" (exporter, obs_domain, version, sampler_kind, sampler_id,"
		" sampling_interval, updated_at)"
		" VALUES ($1, $2, $3, $4, $5, $6, now())"
		" ON CONFLICT (exporter, obs_domain, version, sampler_kind, sampler_id)"
		" DO UPDATE SET sampling_interval = excluded.sampling_interval,"
		" updated_at = excluded.updated_at";
	Oid			types[6] = {INETOID, INT8OID, INT2OID, TEXTOID, INT8OID, INT8OID};
	HASH_SEQ_STATUS seq;
	NfPendingSampling *p;
	int			written = 0;

	if (nf_state_pending_sampling() == 0)
		return 0;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	hash_seq_init(&seq, pending_sampling);
	while ((p = hash_seq_search(&seq)) != NULL)
	{
		Datum		args[6];
		int			rc;

		/* a stream evicted since: its rates are gone with it */
		if (!nf_decoder_has_stream(d, &p->key.exporter, p->key.obs_domain,
								   p->key.version))
			continue;
		args[0] = nf_addr_to_inet(&p->key.exporter);
		args[1] = Int64GetDatum((int64) p->key.obs_domain);
		args[2] = Int16GetDatum((int16) p->key.version);
		args[3] = CStringGetTextDatum(kind_names[p->key.kind]);
		/* unsigned 64-bit ids above 2^63-1 are kept as their bit pattern */
		args[4] = Int64GetDatum((int64) p->key.sampler_id);
		args[5] = Int64GetDatum(p->interval > (uint64) PG_INT64_MAX ?
								PG_INT64_MAX : (int64) p->interval);
		rc = SPI_execute_with_args(upsert, 6, types, args, NULL, false, 0);
		if (rc != SPI_OK_INSERT)
			elog(ERROR, "could not write netflow.sampling: %s",
				 SPI_result_code_string(rc));
		written++;
	}
	SPI_finish();
	return written;
}

/* The transaction that saved the sampling rates committed: forget them. */
static void
nf_state_sampling_committed(void)
{
	HASH_SEQ_STATUS seq;
	NfPendingSampling *p;

	if (pending_sampling == NULL)
		return;
	stream_sets();
	hash_seq_init(&seq, pending_sampling);
	while ((p = hash_seq_search(&seq)) != NULL)
	{
		NfStreamKey key;

		stream_key(&key, &p->key.exporter, p->key.obs_domain, p->key.version);
		(void) hash_search(sampled_streams, &key, HASH_ENTER, NULL);
	}
	hash_destroy(pending_sampling);
	pending_sampling = NULL;
}

/* Append a row to the staged sequence rows. */
static void
stage(const NfSavedSequence *row)
{
	if (n_staged == cap_staged)
	{
		int			newcap = cap_staged == 0 ? 64 : cap_staged * 2;

		if (staged == NULL)
			staged = MemoryContextAlloc(TopMemoryContext,
										sizeof(NfSavedSequence) * newcap);
		else
			staged = repalloc(staged, sizeof(NfSavedSequence) * newcap);
		cap_staged = newcap;
	}
	staged[n_staged++] = *row;
}

/* Collects the streams whose sequence state changed. */
typedef struct NfSequenceCollect
{
	Datum	   *exporter;
	Datum	   *domain;
	Datum	   *version;
	Datum	   *next;
	Datum	   *uptime;
	bool	   *uptime_null;
	Datum	   *last_seen;
	int			n;
	int			cap;
} NfSequenceCollect;

/* nf_exporter_fn: stage a stream whose saved state is out of date. */
static void
collect_sequence(void *arg, const nf_exporter_info *info)
{
	NfSequenceCollect *c = (NfSequenceCollect *) arg;
	NfSavedSequence row;
	NfSavedSequence *s;

	memset(&row, 0, sizeof(row));
	row.key.exporter = info->exporter;
	row.key.obs_domain = info->obs_domain;
	row.key.version = info->version;
	s = hash_search(saved_sequences, &row.key, HASH_FIND, NULL);
	if (!info->seq_known)
	{
		/* a saved expectation that no longer holds must not be resumed */
		if (s != NULL)
		{
			row.deleted = true;
			stage(&row);
		}
		return;
	}
	row.next_sequence = info->next_sequence;
	row.uptime_known = info->uptime_known;
	row.last_uptime_ms = info->uptime_known ? info->last_uptime_ms : 0;
	if (s != NULL && s->next_sequence == row.next_sequence &&
		s->uptime_known == row.uptime_known &&
		s->last_uptime_ms == row.last_uptime_ms)
		return;
	if (c->n == c->cap)
		return;					/* sized for every stream: cannot happen */
	stage(&row);
	c->exporter[c->n] = nf_addr_to_inet(&info->exporter);
	c->domain[c->n] = Int64GetDatum((int64) info->obs_domain);
	c->version[c->n] = Int16GetDatum((int16) info->version);
	c->next[c->n] = Int64GetDatum((int64) info->next_sequence);
	c->uptime[c->n] = Int64GetDatum((int64) info->last_uptime_ms);
	c->uptime_null[c->n] = !info->uptime_known;
	c->last_seen[c->n] = TimestampTzGetDatum(info->last_seen > 0 ?
											 nf_us_to_timestamptz(info->last_seen) :
											 GetCurrentTimestamp());
	c->n++;
}

/* nf_exporter_fn: count the streams. */
static void
count_stream(void *arg, const nf_exporter_info *info)
{
	(*(int *) arg)++;
}

/* A one-dimensional array Datum of n elements of type 'elemtype'. */
static Datum
make_array(Datum *elems, bool *nulls, int n, Oid elemtype)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;
	int			dims[1];
	int			lbs[1];

	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	dims[0] = n;
	lbs[0] = 1;
	return PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs,
											  elemtype, typlen, typbyval,
											  typalign));
}

/* Write changed sequence state to netflow.exporter_state (SPI). */
static int
nf_state_save_sequences(const nf_decoder *d)
{
	static const char *upsert =
		"INSERT INTO netflow.exporter_state AS s"
		" (exporter, obs_domain, version, next_sequence, last_uptime_ms,"
		" last_seen, updated_at)"
		" SELECT u.exporter, u.obs_domain, u.version, u.next_sequence,"
		" u.last_uptime_ms, u.last_seen, now()"
		" FROM unnest($1::inet[], $2::bigint[], $3::smallint[], $4::bigint[],"
		" $5::bigint[], $6::timestamptz[])"
		" AS u(exporter, obs_domain, version, next_sequence, last_uptime_ms,"
		" last_seen)"
		" ON CONFLICT (exporter, obs_domain, version) DO UPDATE"
		" SET next_sequence = excluded.next_sequence,"
		" last_uptime_ms = excluded.last_uptime_ms,"
		" last_seen = excluded.last_seen, updated_at = excluded.updated_at";
	static const char *remove_sql =
		"DELETE FROM netflow.exporter_state"
		" WHERE (exporter, obs_domain, version) IN"
		" (SELECT * FROM unnest($1::inet[], $2::bigint[], $3::smallint[]))";
	Oid			types[6] = {INETARRAYOID, INT8ARRAYOID, INT2ARRAYOID,
	INT8ARRAYOID, INT8ARRAYOID, TIMESTAMPTZARRAYOID};
	NfSequenceCollect c;
	int			nstreams = 0;
	int			ndel = 0;
	int			i;
	int			rc;

	if (saved_sequences == NULL)
		saved_sequences = make_sequence_table();
	n_staged = 0;
	nf_decoder_exporters(d, count_stream, &nstreams);
	if (nstreams == 0)
		return 0;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	memset(&c, 0, sizeof(c));
	c.cap = nstreams;
	c.exporter = palloc(sizeof(Datum) * nstreams);
	c.domain = palloc(sizeof(Datum) * nstreams);
	c.version = palloc(sizeof(Datum) * nstreams);
	c.next = palloc(sizeof(Datum) * nstreams);
	c.uptime = palloc(sizeof(Datum) * nstreams);
	c.uptime_null = palloc(sizeof(bool) * nstreams);
	c.last_seen = palloc(sizeof(Datum) * nstreams);
	nf_decoder_exporters(d, collect_sequence, &c);

	if (c.n > 0)
	{
		Datum		args[6];

		args[0] = make_array(c.exporter, NULL, c.n, INETOID);
		args[1] = make_array(c.domain, NULL, c.n, INT8OID);
		args[2] = make_array(c.version, NULL, c.n, INT2OID);
		args[3] = make_array(c.next, NULL, c.n, INT8OID);
		args[4] = make_array(c.uptime, c.uptime_null, c.n, INT8OID);
		args[5] = make_array(c.last_seen, NULL, c.n, TIMESTAMPTZOID);
		rc = SPI_execute_with_args(upsert, 6, types, args, NULL, false, 0);
		if (rc != SPI_OK_INSERT)
			elog(ERROR, "could not write netflow.exporter_state: %s",
				 SPI_result_code_string(rc));
	}

	/* rows whose expectation no longer holds */
	for (i = 0; i < n_staged; i++)
	{
		if (!staged[i].deleted)
			continue;
		c.exporter[ndel] = nf_addr_to_inet(&staged[i].key.exporter);
		c.domain[ndel] = Int64GetDatum((int64) staged[i].key.obs_domain);
		c.version[ndel] = Int16GetDatum((int16) staged[i].key.version);
		ndel++;
	}
	if (ndel > 0)
	{
		Datum		args[3];

		args[0] = make_array(c.exporter, NULL, ndel, INETOID);
		args[1] = make_array(c.domain, NULL, ndel, INT8OID);
		args[2] = make_array(c.version, NULL, ndel, INT2OID);
		rc = SPI_execute_with_args(remove_sql, 3, types, args, NULL, false, 0);
		if (rc != SPI_OK_DELETE)
			elog(ERROR, "could not delete from netflow.exporter_state: %s",
				 SPI_result_code_string(rc));
	}
	SPI_finish();
	return n_staged;
}

/* The transaction of the last nf_state_save_sequences committed. */
static void
nf_state_sequences_committed(void)
{
	int			i;

	if (saved_sequences == NULL)
		saved_sequences = make_sequence_table();
	for (i = 0; i < n_staged; i++)
	{
		NfSavedSequence *s;
		bool		found;

		if (staged[i].deleted)
		{
			hash_search(saved_sequences, &staged[i].key, HASH_REMOVE, NULL);
			continue;
		}
		s = hash_search(saved_sequences, &staged[i].key, HASH_ENTER, &found);
		s->deleted = false;
		s->next_sequence = staged[i].next_sequence;
		s->uptime_known = staged[i].uptime_known;
		s->last_uptime_ms = staged[i].last_uptime_ms;
	}
	n_staged = 0;
}

/* netflow.exporter_state was recreated empty: save every stream again. */
static void
nf_state_forget_saved_sequences(void)
{
	if (saved_sequences != NULL)
		hash_destroy(saved_sequences);
	saved_sequences = NULL;
	n_staged = 0;
}

/* Sampler kind of a netflow.sampling.sampler_kind value; -1 if unknown. */
static int
kind_of_name(const char *name)
{
	int			k;

	for (k = 0; k < lengthof(kind_names); k++)
		if (strcmp(name, kind_names[k]) == 0)
			return k;
	return -1;
}

/* Load netflow.sampling into the decoder; returns rows loaded. */
static int
load_sampling(nf_decoder *d, int *rejected)
{
	uint64		i;
	int			loaded = 0;
	int			rc;

	Datum	   *drop;
	int			ndrop = 0;

	stream_sets();
	rc = SPI_execute("SELECT exporter, obs_domain, version, sampler_kind,"
					 " sampler_id, sampling_interval, ctid FROM netflow.sampling"
					 " ORDER BY updated_at DESC", false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read netflow.sampling: %s",
			 SPI_result_code_string(rc));
	drop = palloc(sizeof(Datum) * Max(SPI_processed, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		bool		isnull[7];
		Datum		v[7];
		int			col;
		nf_addr		exporter;
		int64		domain;
		int			kind;
		NfStreamKey key;

		for (col = 0; col < 7; col++)
			v[col] = SPI_getbinval(tup, td, col + 1, &isnull[col]);
		if (isnull[0] || isnull[1] || isnull[2] || isnull[3] || isnull[4] ||
			isnull[5] || !inet_to_nf_addr(v[0], &exporter))
		{
			(*rejected)++;
			drop[ndrop++] = copy_tid(v[6]);
			continue;
		}
		domain = DatumGetInt64(v[1]);
		kind = kind_of_name(TextDatumGetCString(v[3]));
		if (domain < 0 || domain > PG_UINT32_MAX || kind < 0 ||
			DatumGetInt16(v[2]) < 0 || DatumGetInt64(v[5]) < 0 ||
			!nf_decoder_load_sampling(d, &exporter, (uint32) domain,
									  (uint16) DatumGetInt16(v[2]),
									  (uint8_t) kind,
									  (uint64) DatumGetInt64(v[4]),
									  (uint64) DatumGetInt64(v[5])))
		{
			(*rejected)++;
			drop[ndrop++] = copy_tid(v[6]);
			continue;
		}
		stream_key(&key, &exporter, (uint32) domain,
				   (uint16) DatumGetInt16(v[2]));
		(void) hash_search(sampled_streams, &key, HASH_ENTER, NULL);
		loaded++;
	}
	delete_ctids("sampling", drop, ndrop);
	return loaded;
}

/* Load netflow.exporter_state into the decoder; returns rows loaded. */
static int
load_sequences(nf_decoder *d, int *rejected)
{
	uint64		i;
	int			loaded = 0;
	int			rc;
	Datum	   *drop;
	int			ndrop = 0;

	if (saved_sequences == NULL)
		saved_sequences = make_sequence_table();
	rc = SPI_execute("SELECT exporter, obs_domain, version, next_sequence,"
					 " last_uptime_ms, last_seen, ctid FROM netflow.exporter_state"
					 " ORDER BY last_seen DESC NULLS LAST", false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read netflow.exporter_state: %s",
			 SPI_result_code_string(rc));
	drop = palloc(sizeof(Datum) * Max(SPI_processed, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		bool		isnull[7];
		Datum		v[7];
		int			col;
		nf_sequence_state st;
		int64		domain;
		int64		next;
		int64		uptime = 0;
		NfSavedSequence *s;
		NfStreamKey key;
		bool		found;

		for (col = 0; col < 7; col++)
			v[col] = SPI_getbinval(tup, td, col + 1, &isnull[col]);
		memset(&st, 0, sizeof(st));
		if (isnull[0] || isnull[1] || isnull[2] || isnull[3] ||
			!inet_to_nf_addr(v[0], &st.exporter))
		{
			(*rejected)++;
			drop[ndrop++] = copy_tid(v[6]);
			continue;
		}
		domain = DatumGetInt64(v[1]);
		next = DatumGetInt64(v[3]);
		if (!isnull[4])
			uptime = DatumGetInt64(v[4]);
		if (domain < 0 || domain > PG_UINT32_MAX ||
			next < 0 || next > PG_UINT32_MAX ||
			uptime < 0 || uptime > PG_UINT32_MAX ||
			DatumGetInt16(v[2]) < 0)
		{
			(*rejected)++;
			drop[ndrop++] = copy_tid(v[6]);
			continue;
		}
		st.obs_domain = (uint32) domain;
		st.version = (uint16) DatumGetInt16(v[2]);
		st.next_sequence = (uint32) next;
		st.uptime_known = !isnull[4];
		st.last_uptime_ms = (uint32) uptime;
		if (!isnull[5])
			st.last_seen = DatumGetTimestampTz(v[5]) + NF_UNIX_TO_PG_US;
		if (!nf_decoder_load_sequence(d, &st))
		{
			(*rejected)++;
			drop[ndrop++] = copy_tid(v[6]);
			continue;
		}
		memset(&key, 0, sizeof(key));
		key.exporter = st.exporter;
		key.obs_domain = st.obs_domain;
		key.version = st.version;
		s = hash_search(saved_sequences, &key, HASH_ENTER, &found);
		s->deleted = false;
		s->next_sequence = st.next_sequence;
		/* as listed by the decoder: v9 only */
		s->uptime_known = st.version == 9 && st.uptime_known;
		s->last_uptime_ms = s->uptime_known ? st.last_uptime_ms : 0;
		loaded++;
	}
	delete_ctids("exporter_state", drop, ndrop);
	return loaded;
}

/* Load netflow.sampling and netflow.exporter_state into the decoder. */
static void
nf_state_load_exporter_state(nf_decoder *d)
{
	int			rates,
				sequences;
	int			rejected = 0;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rates = load_sampling(d, &rejected);
	sequences = load_sequences(d, &rejected);
	SPI_finish();
	if (rates > 0 || sequences > 0 || rejected > 0)
		ereport(LOG,
				(errmsg("netflow inserter loaded %d saved sampling rates and %d sequence states (%d rejected)",
						rates, sequences, rejected)));
}

/* ---- the one save / commit / forget mechanism ---- */

/* Is any learned state (templates, sampling rates) waiting to be saved? */
bool
nf_state_pending(void)
{
	return nf_state_pending_templates() > 0 || nf_state_pending_sampling() > 0 ||
		(evicted_streams != NULL && hash_get_num_entries(evicted_streams) > 0);
}

/*
 * Write what changed (templates, sampling rates, sequence state) in the
 * current transaction (SPI).  Returns the number of template rows written.
 * The changes stay pending until nf_state_committed().
 */
int
nf_state_save(const nf_decoder *d)
{
	int			templates;

	/* first: a stream evicted then seen again is written anew below */
	(void) nf_state_save_evictions();
	templates = nf_state_save_templates(d);
	(void) nf_state_save_sampling(d);
	(void) nf_state_save_sequences(d);
	return templates;
}

/* The transaction of the last nf_state_save committed. */
void
nf_state_committed(void)
{
	nf_state_evictions_committed();
	nf_state_templates_committed();
	nf_state_sampling_committed();
	nf_state_sequences_committed();
}

/* The saved tables were recreated empty: save everything again. */
void
nf_state_forget(const nf_decoder *d)
{
	nf_state_forget_saved(d);
	nf_state_forget_saved_sequences();
	/* netflow.sampling is empty: every known rate is saved again */
	if (sampled_streams != NULL)
		hash_destroy(sampled_streams);
	sampled_streams = NULL;
	nf_state_evictions_committed();
	nf_decoder_sampling(d, nf_state_sampling_event, NULL);
}

/*
 * Load the saved templates, sampling rates and sequence state into the
 * decoder, in the current transaction.
 */
void
nf_state_load(nf_decoder *d)
{
	(void) nf_state_load_templates(d);
	nf_state_load_exporter_state(d);
}

/* Collects exporter rows into the publish buffer. */
typedef struct NfExporterCollect
{
	nf_exporter_info *rows;
	int			n;
	uint64		not_shown;
} NfExporterCollect;

/* nf_exporter_fn: append one exporter row (bounded). */
static void
collect_exporter(void *arg, const nf_exporter_info *info)
{
	NfExporterCollect *c = (NfExporterCollect *) arg;

	if (c->n >= NF_MAX_EXPORTER_ROWS)
	{
		c->not_shown++;
		return;
	}
	c->rows[c->n++] = *info;
}

/* Publish the decoder's exporter table to shared memory. */
void
nf_state_publish_exporters(const nf_decoder *d)
{
	static nf_exporter_info *rows = NULL;
	NfExporterCollect c;

	if (rows == NULL)
		rows = MemoryContextAlloc(TopMemoryContext,
								  sizeof(nf_exporter_info) * NF_MAX_EXPORTER_ROWS);
	c.rows = rows;
	c.n = 0;
	c.not_shown = 0;
	nf_decoder_exporters(d, collect_exporter, &c);

	LWLockAcquire(nf_shared->exporters_lock, LW_EXCLUSIVE);
	memcpy(nf_shared->exporters, rows, sizeof(nf_exporter_info) * c.n);
	nf_shared->n_exporters = c.n;
	nf_shared->exporters_not_shown = c.not_shown;
	nf_shared->exporters_published_at = GetCurrentTimestamp();
	LWLockRelease(nf_shared->exporters_lock);
}
