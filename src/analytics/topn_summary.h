/*-------------------------------------------------------------------------
 *
 * topn_summary.h
 *	  Serialized form of a weighted heavy-hitter summary: the on-disk and
 *	  binary (send/recv) format of netflow.topn_summary, also used for the
 *	  aggregate states passed between parallel workers.
 *
 * Layout of format version 1, the only one so far (all integers
 * big-endian; the version byte comes first in every version, and every
 * version ever written stays readable, docs/formats.md):
 *	  uint8  version (1)
 *	  uint8  kind: 0 = summary, keys are item text; 1 = partial state of
 *	         topn(), keys are the raw key bytes of type 'typoid'
 *	  int32  capacity (1 .. TOPN_MAX_CAPACITY)
 *	  int64  total (sum of all counted weights)
 *	  int64  bound (no unlisted item has a true weight above it)
 *	  int32  typoid (kind 1 only)
 *	  int32  nitems (0 .. capacity)
 *	  nitems times: int64 weight, int64 error, int32 keylen, keylen bytes
 * Items are in canonical order: weight descending, then key bytes
 * ascending; keys are distinct.
 *
 *-------------------------------------------------------------------------
 */
#ifndef NETFLOW_TOPN_SUMMARY_H
#define NETFLOW_TOPN_SUMMARY_H

#include "postgres.h"

#include "agg_state.h"
#include "lib/stringinfo.h"

/* Format versions: the layout above is version 1; new values get the last. */
#define TOPN_FORMAT_V1 1
#define TOPN_FORMAT_VERSION TOPN_FORMAT_V1
#define TOPN_KIND_TEXT 0
#define TOPN_KIND_RAW 1
#define TOPN_MAX_CAPACITY 1000000

typedef struct TopnItem
{
	const char *key;
	uint32		len;
	int64		weight;			/* reported weight: true <= weight */
	int64		error;			/* weight - error <= true */
} TopnItem;

typedef struct TopnParsed
{
	int			kind;
	int32		capacity;
	int64		total;
	int64		bound;
	Oid			typoid;			/* kind 1 only */
	int16		typlen;
	bool		typbyval;
	int32		nitems;
	TopnItem   *items;			/* keys point into the parsed buffer */
} TopnParsed;

extern int	topn_item_cmp(const void *a, const void *b);
extern int	topn_item_key_cmp(const void *a, const void *b);
extern void topn_write(StringInfo buf, int kind, int32 capacity, int64 total,
					   int64 bound, Oid typoid, TopnItem *items, int32 nitems);
extern void topn_parse(const char *data, Size len, int errcode,
					   TopnParsed *out);
extern void topn_parse_summary(Datum d, TopnParsed *out);
extern void topn_parse_summary_for_merge(Datum d, TopnParsed *out);
extern void topn_json_body(StringInfo buf, const TopnParsed *p,
						   const char *keymember, AggValueIO *io);

#endif							/* NETFLOW_TOPN_SUMMARY_H */
