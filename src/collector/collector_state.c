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
 * Templates: the decoder reports every template learned or withdrawn; the
 * latest event per (exporter, domain, version, template id) is kept here.
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
 * after a restart is checked for a gap.
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

/* Pending template events kept at most (distinct keys). */
#define NF_MAX_PENDING_TEMPLATES 65536

/* Key of a template; zeroed before filling so padding compares equal. */
typedef struct NfTemplateKey
{
	nf_addr		exporter;
	uint8		pad[3];
	uint32		obs_domain;
	uint16		version;
	uint16		template_id;
} NfTemplateKey;

/* Latest event of a template, waiting to be saved. */
typedef struct NfPendingTemplate
{
	NfTemplateKey key;
	bool		is_options;
	bool		withdrawn;
	uint32		raw_len;
	uint8	   *raw;			/* TopMemoryContext; NULL when withdrawn */
} NfPendingTemplate;

/* events not yet written, and what netflow.templates holds */
static HTAB *pending = NULL;
static HTAB *saved = NULL;

/* Create a template table (pending or saved) in TopMemoryContext. */
static HTAB *
make_template_table(const char *name)
{
	HASHCTL		ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(NfTemplateKey);
	ctl.entrysize = sizeof(NfPendingTemplate);
	ctl.hcxt = TopMemoryContext;
	return hash_create(name, 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

/* Set entry p of a template table to the given content (NULL: withdrawn). */
static void
set_template(NfPendingTemplate *p, bool is_options, const uint8 *raw,
			 size_t raw_len)
{
	if (p->raw)
		pfree(p->raw);
	p->raw = NULL;
	p->raw_len = 0;
	p->is_options = is_options;
	p->withdrawn = (raw == NULL);
	if (raw != NULL)
	{
		p->raw = MemoryContextAlloc(TopMemoryContext, Max(raw_len, 1));
		memcpy(p->raw, raw, raw_len);
		p->raw_len = (uint32) raw_len;
	}
}

/* Remove a key from a template table, freeing its content. */
static void
remove_template(HTAB *table, const NfTemplateKey *key)
{
	NfPendingTemplate *p = hash_search(table, key, HASH_FIND, NULL);

	if (p == NULL)
		return;
	if (p->raw)
		pfree(p->raw);
	hash_search(table, key, HASH_REMOVE, NULL);
}

/* Insert or update a key of a bounded template table; false if full. */
static bool
put_template(HTAB *table, const NfTemplateKey *key, bool is_options,
			 const uint8 *raw, size_t raw_len)
{
	NfPendingTemplate *p = hash_search(table, key, HASH_FIND, NULL);
	bool		found;

	if (p == NULL)
	{
		if (hash_get_num_entries(table) >= NF_MAX_PENDING_TEMPLATES)
			return false;
		p = hash_search(table, key, HASH_ENTER, &found);
		p->raw = NULL;
	}
	set_template(p, is_options, raw, raw_len);
	return true;
}

/*
 * nf_template_fn: remember a template event until it is saved.  Events
 * that would not change netflow.templates (an exporter resending the same
 * template, as exporters do periodically) are not written again.
 */
void
nf_state_template_event(void *arg, const nf_template_event *ev)
{
	NfTemplateKey key;
	NfPendingTemplate *s;
	bool		withdrawn = ev->withdrawn || ev->raw == NULL;

	if (pending == NULL)
		pending = make_template_table("netflow pending templates");
	if (saved == NULL)
		saved = make_template_table("netflow saved templates");

	memset(&key, 0, sizeof(key));
	key.exporter = ev->exporter;
	key.obs_domain = ev->obs_domain;
	key.version = ev->version;
	key.template_id = ev->template_id;

	s = hash_search(saved, &key, HASH_FIND, NULL);
	if ((withdrawn && s == NULL) ||
		(!withdrawn && s != NULL && s->is_options == ev->is_options &&
		 s->raw_len == ev->raw_len &&
		 memcmp(s->raw, ev->raw, ev->raw_len) == 0))
	{
		/* netflow.templates already says this */
		remove_template(pending, &key);
		return;
	}
	/* bounded; when full the exporter's next resend is saved instead */
	(void) put_template(pending, &key, ev->is_options,
						withdrawn ? NULL : ev->raw, ev->raw_len);
}

/* Number of template events not yet saved. */
static long
nf_state_pending_templates(void)
{
	return pending ? hash_get_num_entries(pending) : 0;
}

/* Write the pending template events to netflow.templates (SPI). */
static int
nf_state_save_templates(void)
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
	NfPendingTemplate *p;
	int			written = 0;

	if (nf_state_pending_templates() == 0)
		return 0;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	hash_seq_init(&seq, pending);
	while ((p = hash_seq_search(&seq)) != NULL)
	{
		Datum		args[6];
		int			rc;

		args[0] = nf_addr_to_inet(&p->key.exporter);
		args[1] = Int64GetDatum((int64) p->key.obs_domain);
		args[2] = Int16GetDatum((int16) p->key.version);
		args[3] = Int32GetDatum((int32) p->key.template_id);
		if (p->withdrawn)
		{
			rc = SPI_execute_with_args(withdraw, 4, types, args, NULL, false, 0);
			if (rc != SPI_OK_DELETE)
				elog(ERROR, "could not delete from netflow.templates: %s",
					 SPI_result_code_string(rc));
		}
		else
		{
			bytea	   *raw = (bytea *) palloc(VARHDRSZ + p->raw_len);

			SET_VARSIZE(raw, VARHDRSZ + p->raw_len);
			memcpy(VARDATA(raw), p->raw, p->raw_len);
			args[4] = BoolGetDatum(p->is_options);
			args[5] = PointerGetDatum(raw);
			rc = SPI_execute_with_args(upsert, 6, types, args, NULL, false, 0);
			if (rc != SPI_OK_INSERT)
				elog(ERROR, "could not write netflow.templates: %s",
					 SPI_result_code_string(rc));
		}
		written++;
	}
	SPI_finish();
	return written;
}

/* netflow.templates was recreated empty: save every template again. */
static void
nf_state_forget_saved(void)
{
	HASH_SEQ_STATUS seq;
	NfPendingTemplate *p;

	if (saved == NULL)
		return;
	hash_seq_init(&seq, saved);
	while ((p = hash_seq_search(&seq)) != NULL)
		if (p->raw)
			pfree(p->raw);
	hash_destroy(saved);
	saved = NULL;
}

/* The transaction that saved the templates committed: forget them. */
static void
nf_state_templates_committed(void)
{
	HASH_SEQ_STATUS seq;
	NfPendingTemplate *p;

	if (pending == NULL)
		return;
	if (saved == NULL)
		saved = make_template_table("netflow saved templates");
	hash_seq_init(&seq, pending);
	while ((p = hash_seq_search(&seq)) != NULL)
	{
		if (p->withdrawn)
			remove_template(saved, &p->key);
		else
			(void) put_template(saved, &p->key, p->is_options, p->raw,
								p->raw_len);
		if (p->raw)
			pfree(p->raw);
	}
	hash_destroy(pending);
	pending = NULL;
}

/* Load every template of netflow.templates into the decoder. */
static int
nf_state_load_templates(nf_decoder *d)
{
	uint64		i;
	int			loaded = 0,
				rejected = 0;
	int			rc;

	if (saved == NULL)
		saved = make_template_table("netflow saved templates");
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rc = SPI_execute("SELECT exporter, obs_domain, version, template_id,"
					 " is_options, raw FROM netflow.templates"
					 " ORDER BY updated_at", true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read netflow.templates: %s",
			 SPI_result_code_string(rc));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		bool		isnull[6];
		Datum		v[6];
		int			c;
		nf_addr		exporter;
		bytea	   *raw;
		int64		domain;

		for (c = 0; c < 6; c++)
			v[c] = SPI_getbinval(tup, td, c + 1, &isnull[c]);
		if (isnull[0] || isnull[1] || isnull[2] || isnull[3] || isnull[4] ||
			isnull[5] || !inet_to_nf_addr(v[0], &exporter))
		{
			rejected++;
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
			rejected++;
			continue;
		}
		{
			NfTemplateKey key;

			memset(&key, 0, sizeof(key));
			key.exporter = exporter;
			key.obs_domain = (uint32) domain;
			key.version = (uint16) DatumGetInt16(v[2]);
			key.template_id = (uint16) DatumGetInt32(v[3]);
			(void) put_template(saved, &key, DatumGetBool(v[4]),
								(const uint8 *) VARDATA_ANY(raw),
								VARSIZE_ANY_EXHDR(raw));
		}
		loaded++;
	}
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
		/* bounded; when full the exporter's next change is saved instead */
		if (hash_get_num_entries(pending_sampling) >= NF_MAX_PENDING_SAMPLING)
			return;
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
nf_state_save_sampling(void)
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
	if (pending_sampling == NULL)
		return;
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

	rc = SPI_execute("SELECT exporter, obs_domain, version, sampler_kind,"
					 " sampler_id, sampling_interval FROM netflow.sampling"
					 " ORDER BY updated_at", true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read netflow.sampling: %s",
			 SPI_result_code_string(rc));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		bool		isnull[6];
		Datum		v[6];
		int			col;
		nf_addr		exporter;
		int64		domain;
		int			kind;

		for (col = 0; col < 6; col++)
			v[col] = SPI_getbinval(tup, td, col + 1, &isnull[col]);
		if (isnull[0] || isnull[1] || isnull[2] || isnull[3] || isnull[4] ||
			isnull[5] || !inet_to_nf_addr(v[0], &exporter))
		{
			(*rejected)++;
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
			continue;
		}
		loaded++;
	}
	return loaded;
}

/* Load netflow.exporter_state into the decoder; returns rows loaded. */
static int
load_sequences(nf_decoder *d, int *rejected)
{
	uint64		i;
	int			loaded = 0;
	int			rc;

	if (saved_sequences == NULL)
		saved_sequences = make_sequence_table();
	rc = SPI_execute("SELECT exporter, obs_domain, version, next_sequence,"
					 " last_uptime_ms, last_seen FROM netflow.exporter_state"
					 " ORDER BY last_seen", true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read netflow.exporter_state: %s",
			 SPI_result_code_string(rc));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		bool		isnull[6];
		Datum		v[6];
		int			col;
		nf_sequence_state st;
		int64		domain;
		int64		next;
		int64		uptime = 0;
		NfSavedSequence *s;
		NfStreamKey key;
		bool		found;

		for (col = 0; col < 6; col++)
			v[col] = SPI_getbinval(tup, td, col + 1, &isnull[col]);
		memset(&st, 0, sizeof(st));
		if (isnull[0] || isnull[1] || isnull[2] || isnull[3] ||
			!inet_to_nf_addr(v[0], &st.exporter))
		{
			(*rejected)++;
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
	return nf_state_pending_templates() > 0 || nf_state_pending_sampling() > 0;
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

	templates = nf_state_save_templates();
	(void) nf_state_save_sampling();
	(void) nf_state_save_sequences(d);
	return templates;
}

/* The transaction of the last nf_state_save committed. */
void
nf_state_committed(void)
{
	nf_state_templates_committed();
	nf_state_sampling_committed();
	nf_state_sequences_committed();
}

/* The saved tables were recreated empty: save everything again. */
void
nf_state_forget(void)
{
	nf_state_forget_saved();
	nf_state_forget_saved_sequences();
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
