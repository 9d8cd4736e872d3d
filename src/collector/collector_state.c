/*-------------------------------------------------------------------------
 *
 * collector_state.c
 *	  Collector state that outlives the inserter process.
 *
 * Templates: the decoder reports every template learned or withdrawn; the
 * latest event per (exporter, domain, version, template id) is kept here
 * and written to netflow.templates in the same transaction as the next
 * flow flush.  When the inserter starts, it loads the saved templates into
 * its decoder, so that v9/IPFIX data arriving after a restart is decoded
 * at once instead of waiting for the exporter to resend its templates.
 *
 * Exporters: the inserter periodically copies the decoder's per-exporter
 * state into shared memory for the netflow.exporters view.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inet.h"
#include "utils/memutils.h"

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
long
nf_state_pending_templates(void)
{
	return pending ? hash_get_num_entries(pending) : 0;
}

/* Write the pending template events to netflow.templates (SPI). */
int
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
void
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
void
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
int
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
