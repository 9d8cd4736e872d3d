/*-------------------------------------------------------------------------
 *
 * flow_type.c
 *	  The netflow.flow SQL type: one nf_flow_record stored verbatim
 *	  (fixed length 192, double aligned, by reference).
 *
 * Text form: space-separated key=value pairs, keys being the column names
 * of netflow.flows in column order, absent optional fields omitted.
 * Binary form (send/recv, flow_to_bytea/flow_from_bytea): a format version
 * byte, the present mask, then the fields in column order in network byte
 * order, absent optional fields omitted.  Both inputs validate everything
 * and end with the validity contract (src/decode/flow_contract.h), the
 * same rules the decoders apply, so every stored value round-trips.
 *
 * Ordering: field by field in column order (an absent optional field sorts
 * before a present one), ties broken by the raw bytes, so a = b exactly
 * when the records are byte-equal; hashing hashes those bytes.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "common/hashfn.h"
#include "common/int.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/inet.h"
#include "utils/typcache.h"

#include "flow_contract.h"
#include "flow_tuple.h"

#define FLOW_TYPE_NAME "netflow.flow"

#define DatumGetFlowP(X)	((nf_flow_record *) DatumGetPointer(X))
#define PG_GETARG_FLOW_P(n) DatumGetFlowP(PG_GETARG_DATUM(n))
#define PG_RETURN_FLOW_P(x) PG_RETURN_POINTER(x)

/* Microseconds per day and per second. */
#define US_PER_SEC	INT64CONST(1000000)
#define US_PER_DAY	INT64CONST(86400000000)

/* Longest text form of one time: sign, 6-digit year, the rest, NUL. */
#define TIME_BUFLEN 40

PG_FUNCTION_INFO_V1(flow_in);
PG_FUNCTION_INFO_V1(flow_out);
PG_FUNCTION_INFO_V1(flow_recv);
PG_FUNCTION_INFO_V1(flow_send);
PG_FUNCTION_INFO_V1(flow_to_bytea);
PG_FUNCTION_INFO_V1(flow_from_bytea);
PG_FUNCTION_INFO_V1(flow_cmp);
PG_FUNCTION_INFO_V1(flow_eq);
PG_FUNCTION_INFO_V1(flow_ne);
PG_FUNCTION_INFO_V1(flow_lt);
PG_FUNCTION_INFO_V1(flow_le);
PG_FUNCTION_INFO_V1(flow_gt);
PG_FUNCTION_INFO_V1(flow_ge);
PG_FUNCTION_INFO_V1(flow_hash);
PG_FUNCTION_INFO_V1(flow_hash_extended);
PG_FUNCTION_INFO_V1(flow_expand);
PG_FUNCTION_INFO_V1(flow_from_row);
PG_FUNCTION_INFO_V1(flow_row_check);

/* ----------------------------------------------------------------
 * Calendar arithmetic (proleptic Gregorian, UTC, whole int64 range)
 * ----------------------------------------------------------------
 */

/* Floor division for a positive divisor. */
static int64
floor_div(int64 a, int64 b)
{
	int64		q = a / b;

	return (a % b != 0 && a < 0) ? q - 1 : q;
}

/* Days since 1970-01-01 of a civil date (|y| well below 2^40). */
static int64
days_from_civil(int64 y, int m, int d)
{
	int64		era,
				yoe,
				doy,
				doe;

	y -= (m <= 2);
	era = floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Civil date of a day count since 1970-01-01. */
static void
civil_from_days(int64 z, int64 *y, int *m, int *d)
{
	int64		era,
				doe,
				yoe,
				doy,
				mp;

	z += 719468;
	era = floor_div(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int) (doy - (153 * mp + 2) / 5 + 1);
	*m = (int) (mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* Days in a month of a year. */
static int
days_in_month(int64 y, int m)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool		leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return (m == 2 && leap) ? 29 : mdays[m - 1];
}

/*
 * Format Unix-epoch microseconds as YYYY-MM-DDTHH:MM:SS.ffffffZ.  Years
 * outside 0000-9999 get an explicit sign (ISO 8601 expanded form).
 */
static void
format_time(int64 us, char *buf, size_t len)
{
	int64		days = floor_div(us, US_PER_DAY);
	int64		rem = us - days * US_PER_DAY;	/* 0 .. US_PER_DAY-1 */
	int64		secs = rem / US_PER_SEC;
	int64		y;
	int			m,
				d;
	char		ybuf[16];

	civil_from_days(days, &y, &m, &d);
	if (y >= 0 && y <= 9999)
		snprintf(ybuf, sizeof(ybuf), "%04d", (int) y);
	else
		snprintf(ybuf, sizeof(ybuf), "%c%04lld", y < 0 ? '-' : '+',
				 (long long) (y < 0 ? -y : y));
	snprintf(buf, len, "%s-%02d-%02dT%02d:%02d:%02d.%06dZ", ybuf, m, d,
			 (int) (secs / 3600), (int) (secs / 60 % 60), (int) (secs % 60),
			 (int) (rem % US_PER_SEC));
}

/* Parse exactly n decimal digits at *s into *out and advance; false if not. */
static bool
parse_digits(const char **s, int n, int64 *out)
{
	int64		v = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		if ((*s)[i] < '0' || (*s)[i] > '9')
			return false;
		v = v * 10 + ((*s)[i] - '0');
	}
	*s += n;
	*out = v;
	return true;
}

/*
 * Parse the text form of a time (as written by format_time, with 0 to 6
 * fraction digits).  Returns 0 on success, 1 on bad syntax, 2 if the time
 * is outside the int64 microsecond range.
 */
static int
parse_time(const char *s, int64 *out)
{
	int64		y,
				mo,
				d,
				h,
				mi,
				sec,
				frac = 0;
	int64		days,
				tod,
				us;
	int			ndigits = 0;
	int			i;
	char		sign = 0;

	if (*s == '+' || *s == '-')
		sign = *s++;
	/* Year: exactly 4 digits, or 4 to 6 with an explicit sign. */
	while (s[ndigits] >= '0' && s[ndigits] <= '9' && ndigits < 7)
		ndigits++;
	if (ndigits < 4 || ndigits > (sign ? 6 : 4) || !parse_digits(&s, ndigits, &y))
		return 1;
	if (sign == '-')
		y = -y;
	if (*s++ != '-' || !parse_digits(&s, 2, &mo) || *s++ != '-' ||
		!parse_digits(&s, 2, &d) || *s++ != 'T' ||
		!parse_digits(&s, 2, &h) || *s++ != ':' ||
		!parse_digits(&s, 2, &mi) || *s++ != ':' ||
		!parse_digits(&s, 2, &sec))
		return 1;
	if (*s == '.')
	{
		s++;
		for (i = 0; i < 6 && *s >= '0' && *s <= '9'; i++, s++)
			frac = frac * 10 + (*s - '0');
		if (i == 0)
			return 1;
		for (; i < 6; i++)
			frac *= 10;
	}
	if (*s++ != 'Z' || *s != '\0')
		return 1;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, (int) mo) ||
		h > 23 || mi > 59 || sec > 59)
		return 1;

	/*
	 * days * US_PER_DAY + time of day.  For days before 1970 start from the
	 * next midnight and go back, so that the earliest microsecond of the
	 * int64 range does not overflow on the way.
	 */
	days = days_from_civil(y, (int) mo, (int) d);
	tod = (h * 3600 + mi * 60 + sec) * US_PER_SEC + frac;
	if (days < 0)
	{
		days += 1;
		tod -= US_PER_DAY;
	}
	if (pg_mul_s64_overflow(days, US_PER_DAY, &us) ||
		pg_add_s64_overflow(us, tod, &us))
		return 2;
	*out = us;
	return 0;
}

/* ----------------------------------------------------------------
 * Text I/O
 * ----------------------------------------------------------------
 */

/* Raise the error for a malformed text value. */
static void
pg_attribute_noreturn()
text_error(const char *input, int code, const char *fmt,...)
pg_attribute_printf(3, 4);

static void
text_error(const char *input, int code, const char *fmt,...)
{
	va_list		ap;
	char		detail[512];

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);

	if (code == ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE)
		ereport(ERROR,
				(errcode(code),
				 errmsg("value out of range for type %s: \"%s\"",
						FLOW_TYPE_NAME, input),
				 errdetail_internal("%s", detail)));
	ereport(ERROR,
			(errcode(code),
			 errmsg("invalid input syntax for type %s: \"%s\"",
					FLOW_TYPE_NAME, input),
			 errdetail_internal("%s", detail)));
}

/* Parse an unsigned decimal integer; 0 ok, 1 bad syntax, 2 out of range. */
static int
parse_uint(const char *s, uint64 max, uint64 *out)
{
	uint64		v = 0;
	bool		neg = false;

	if (*s == '-')
	{
		neg = true;
		s++;
	}
	if (*s == '\0')
		return 1;
	for (; *s; s++)
	{
		if (*s < '0' || *s > '9')
			return 1;
		if (v > (PG_UINT64_MAX - (uint64) (*s - '0')) / 10)
			neg = true;			/* overflow: report as out of range */
		else
			v = v * 10 + (uint64) (*s - '0');
	}
	if (neg || v > max)
		return 2;
	*out = v;
	return 0;
}

/* Parse an IPv4 or IPv6 address into a; false if it is not one. */
static bool
parse_addr(const char *s, nf_addr *a)
{
	if (strchr(s, ':') != NULL)
	{
		if (inet_pton(AF_INET6, s, a->a) != 1)
			return false;
		a->family = NF_AF_INET6;
	}
	else
	{
		if (inet_pton(AF_INET, s, a->a) != 1)
			return false;
		a->family = NF_AF_INET;
	}
	return true;
}

/* Value of one hex digit, or -1. */
static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parse a MAC address aa:bb:cc:dd:ee:ff; false if malformed. */
static bool
parse_mac(const char *s, uint8 *mac)
{
	int			i;

	if (strlen(s) != 17)
		return false;
	for (i = 0; i < 6; i++)
	{
		int			hi = hex_value(s[i * 3]);
		int			lo = hex_value(s[i * 3 + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != ':'))
			return false;
		mac[i] = (uint8) (hi * 16 + lo);
	}
	return true;
}

/* Index of the column called name (length len), or -1. */
static int
find_field(const char *name, size_t len)
{
	int			i;

	for (i = 0; i < NF_FLOWS_NATTS; i++)
		if (strlen(nf_flow_fields[i].name) == len &&
			memcmp(nf_flow_fields[i].name, name, len) == 0)
			return i;
	return -1;
}

/* Parse the value of one key into r, or raise the error. */
static void
parse_value(const char *input, const nf_flow_field *f, const char *val,
			nf_flow_record *r)
{
	char	   *p = (char *) r + f->offset;

	switch (f->kind)
	{
		case NF_FK_TIME:
			{
				int64		t;
				int			rc = parse_time(val, &t);

				if (rc == 1)
					text_error(input, ERRCODE_INVALID_TEXT_REPRESENTATION,
							   "Key \"%s\" needs a UTC time like 2026-11-26T10:00:00.123456Z, not \"%s\".",
							   f->name, val);
				if (rc == 2)
					text_error(input, ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
							   "Key \"%s\" is a time outside the range a netflow.flow can hold.",
							   f->name);
				memcpy(p, &t, sizeof(t));
				break;
			}
		case NF_FK_ADDR:
			if (!parse_addr(val, (nf_addr *) p))
				text_error(input, ERRCODE_INVALID_TEXT_REPRESENTATION,
						   "Key \"%s\" needs an IPv4 or IPv6 host address, not \"%s\".",
						   f->name, val);
			break;
		case NF_FK_MAC:
			if (!parse_mac(val, (uint8 *) p))
				text_error(input, ERRCODE_INVALID_TEXT_REPRESENTATION,
						   "Key \"%s\" needs a MAC address like 00:1b:21:3a:4f:5e, not \"%s\".",
						   f->name, val);
			break;
		case NF_FK_UINT:
			{
				uint64		v = 0;
				int			rc = parse_uint(val, f->maxval, &v);

				if (rc == 1)
					text_error(input, ERRCODE_INVALID_TEXT_REPRESENTATION,
							   "Key \"%s\" needs an unsigned decimal integer, not \"%s\".",
							   f->name, val);
				if (rc == 2)
					text_error(input, ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
							   "Key \"%s\" must be between 0 and " UINT64_FORMAT ", not %s.",
							   f->name, f->maxval, val);
				nf_field_set_uint(r, f, v);
				break;
			}
	}
	r->present |= f->present_bit;
}

/* Raise the error for a record that breaks the validity contract. */
static void
check_or_error(const nf_flow_record *r, const char *input, bool binary)
{
	nf_rule		rule = nf_contract_check(r);
	const char *detail;

	if (rule == NF_RULE_OK)
		return;
	detail = nf_rule_detail(rule, r);
	if (binary)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary value for type %s", FLOW_TYPE_NAME),
				 errdetail_internal("%s", detail)));
	text_error(input, nf_rule_is_range(rule) ? ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE :
			   ERRCODE_INVALID_TEXT_REPRESENTATION, "%s", detail);
}

/* Text input: key=value pairs separated by spaces. */
Datum
flow_in(PG_FUNCTION_ARGS)
{
	const char *input = PG_GETARG_CSTRING(0);
	nf_flow_record *r = (nf_flow_record *) palloc0(sizeof(nf_flow_record));
	bool		seen[NF_FLOWS_NATTS] = {0};
	const char *s = input;
	int			npairs = 0;
	int			i;

	for (;;)
	{
		const char *tok;
		const char *eq;
		size_t		toklen;
		char	   *val;
		int			col;

		while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			s++;
		if (*s == '\0')
			break;
		tok = s;
		while (*s != '\0' && *s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			s++;
		toklen = s - tok;
		eq = memchr(tok, '=', toklen);
		if (eq == NULL || eq == tok)
			text_error(input, ERRCODE_INVALID_TEXT_REPRESENTATION,
					   "Expected key=value, not \"%.*s\".", (int) toklen, tok);
		col = find_field(tok, eq - tok);
		if (col < 0)
			text_error(input, ERRCODE_INVALID_TEXT_REPRESENTATION,
					   "Unknown key \"%.*s\".", (int) (eq - tok), tok);
		if (seen[col])
			text_error(input, ERRCODE_INVALID_TEXT_REPRESENTATION,
					   "Key \"%s\" appears more than once.", nf_flow_fields[col].name);
		seen[col] = true;
		npairs++;
		val = pnstrdup(eq + 1, toklen - (eq + 1 - tok));
		parse_value(input, &nf_flow_fields[col], val, r);
		pfree(val);
	}

	if (npairs == 0)
		text_error(input, ERRCODE_INVALID_TEXT_REPRESENTATION,
				   "The value has no key=value pairs.");
	for (i = 0; i < NF_FLOWS_NATTS; i++)
		if (nf_flow_fields[i].required && !seen[i])
			text_error(input, ERRCODE_INVALID_TEXT_REPRESENTATION,
					   "Required key \"%s\" is missing.", nf_flow_fields[i].name);
	if (seen[NF_COL_ICMP_TYPE] != seen[NF_COL_ICMP_CODE])
		text_error(input, ERRCODE_INVALID_TEXT_REPRESENTATION,
				   "Keys \"icmp_type\" and \"icmp_code\" must be given together.");

	check_or_error(r, input, false);
	PG_RETURN_FLOW_P(r);
}

/* Text output: every present field as key=value, in column order. */
Datum
flow_out(PG_FUNCTION_ARGS)
{
	const nf_flow_record *r = PG_GETARG_FLOW_P(0);
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < NF_FLOWS_NATTS; i++)
	{
		const nf_flow_field *f = &nf_flow_fields[i];
		const char *p = (const char *) r + f->offset;

		if (nf_field_absent(r, f))
			continue;
		if (buf.len > 0)
			appendStringInfoChar(&buf, ' ');
		appendStringInfo(&buf, "%s=", f->name);
		switch (f->kind)
		{
			case NF_FK_TIME:
				{
					int64		t;
					char		tbuf[TIME_BUFLEN];

					memcpy(&t, p, sizeof(t));
					format_time(t, tbuf, sizeof(tbuf));
					appendStringInfoString(&buf, tbuf);
					break;
				}
			case NF_FK_ADDR:
				{
					const nf_addr *a = (const nf_addr *) p;
					char		abuf[64];
					bool		v4 = a->family == NF_AF_INET;

					if (pg_inet_net_ntop(v4 ? PGSQL_AF_INET : PGSQL_AF_INET6,
										 a->a, v4 ? 32 : 128,
										 abuf, sizeof(abuf)) == NULL)
						ereport(ERROR,
								(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
								 errmsg("could not format address of key \"%s\"", f->name)));
					appendStringInfoString(&buf, abuf);
					break;
				}
			case NF_FK_MAC:
				{
					const uint8 *m = (const uint8 *) p;

					appendStringInfo(&buf, "%02x:%02x:%02x:%02x:%02x:%02x",
									 m[0], m[1], m[2], m[3], m[4], m[5]);
					break;
				}
			case NF_FK_UINT:
				appendStringInfo(&buf, UINT64_FORMAT, nf_field_get_uint(r, f));
				break;
		}
	}
	PG_RETURN_CSTRING(buf.data);
}

/* ----------------------------------------------------------------
 * Binary I/O
 * ----------------------------------------------------------------
 */

/* Encode a record in the binary format into a new bytea. */
static bytea *
encode_binary(const nf_flow_record *r)
{
	StringInfoData buf;
	int			i;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, NF_FLOW_RECORD_VERSION);
	pq_sendint32(&buf, r->present);
	for (i = 0; i < NF_FLOWS_NATTS; i++)
	{
		const nf_flow_field *f = &nf_flow_fields[i];
		const char *p = (const char *) r + f->offset;

		if (f->present_bit != 0 && (r->present & f->present_bit) == 0)
			continue;
		switch (f->kind)
		{
			case NF_FK_TIME:
				{
					int64		t;

					memcpy(&t, p, sizeof(t));
					pq_sendint64(&buf, t);
					break;
				}
			case NF_FK_ADDR:
				{
					const nf_addr *a = (const nf_addr *) p;

					pq_sendbyte(&buf, a->family);
					if (a->family == NF_AF_INET)
						pq_sendbytes(&buf, (const char *) a->a, 4);
					else if (a->family == NF_AF_INET6)
						pq_sendbytes(&buf, (const char *) a->a, 16);
					break;
				}
			case NF_FK_MAC:
				pq_sendbytes(&buf, p, 6);
				break;
			case NF_FK_UINT:
				{
					uint64		v = nf_field_get_uint(r, f);

					if (f->width == 1)
						pq_sendbyte(&buf, (uint8) v);
					else if (f->width == 2)
						pq_sendint16(&buf, (uint16) v);
					else if (f->width == 4)
						pq_sendint32(&buf, (uint32) v);
					else
						pq_sendint64(&buf, v);
					break;
				}
		}
	}
	return pq_endtypsend(&buf);
}

/* Cursor over a binary value being decoded. */
typedef struct bin_reader
{
	const uint8 *data;
	size_t		len;
	size_t		pos;
} bin_reader;

/* Raise the error for a malformed binary value. */
static void
pg_attribute_noreturn()
bin_error(const char *fmt,...)
pg_attribute_printf(1, 2);

static void
bin_error(const char *fmt,...)
{
	va_list		ap;
	char		detail[256];

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid binary value for type %s", FLOW_TYPE_NAME),
			 errdetail_internal("%s", detail)));
}

/* Take n bytes for field 'what', or raise the truncation error. */
static const uint8 *
bin_take(bin_reader *rd, size_t n, const char *what)
{
	const uint8 *p;

	if (rd->len - rd->pos < n)
		bin_error("The value ends in the middle of %s.", what);
	p = rd->data + rd->pos;
	rd->pos += n;
	return p;
}

/* Read a big-endian unsigned integer of n bytes. */
static uint64
bin_uint(bin_reader *rd, size_t n, const char *what)
{
	const uint8 *p = bin_take(rd, n, what);
	uint64		v = 0;
	size_t		i;

	for (i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/* Decode a binary value of len bytes into r; raise an error if invalid. */
static void
decode_binary(const uint8 *data, size_t len, nf_flow_record *r)
{
	bin_reader	rd = {data, len, 0};
	uint64		version;
	char		what[64];
	int			i;

	nf_flow_init(r);
	if (len == 0)
		bin_error("The value is empty.");
	version = bin_uint(&rd, 1, "the format version");
	if (version != NF_FLOW_RECORD_VERSION)
		bin_error("Binary format version " UINT64_FORMAT " is not supported; expected version %d.",
				  version, NF_FLOW_RECORD_VERSION);
	r->present = (uint32) bin_uint(&rd, 4, "the present mask");
	if (r->present & ~NF_HAS_ALL_BITS)
		bin_error("The present mask 0x%08x has unknown bits.", r->present);

	for (i = 0; i < NF_FLOWS_NATTS; i++)
	{
		const nf_flow_field *f = &nf_flow_fields[i];
		char	   *p = (char *) r + f->offset;

		if (f->present_bit != 0 && (r->present & f->present_bit) == 0)
			continue;
		snprintf(what, sizeof(what), "field \"%s\"", f->name);
		switch (f->kind)
		{
			case NF_FK_TIME:
				{
					int64		t = (int64) bin_uint(&rd, 8, what);

					memcpy(p, &t, sizeof(t));
					break;
				}
			case NF_FK_ADDR:
				{
					nf_addr    *a = (nf_addr *) p;

					a->family = (uint8) bin_uint(&rd, 1, what);
					if (a->family == NF_AF_INET)
						memcpy(a->a, bin_take(&rd, 4, what), 4);
					else if (a->family == NF_AF_INET6)
						memcpy(a->a, bin_take(&rd, 16, what), 16);
					else if (a->family != NF_AF_NONE)
						bin_error("Field \"%s\" has unknown address family %u.",
								  f->name, (unsigned int) a->family);
					break;
				}
			case NF_FK_MAC:
				memcpy(p, bin_take(&rd, 6, what), 6);
				break;
			case NF_FK_UINT:
				{
					uint64		v = bin_uint(&rd, f->width, what);

					if (v > f->maxval)
						bin_error("Field \"%s\" is " UINT64_FORMAT ", outside the range 0 to " UINT64_FORMAT ".",
								  f->name, v, f->maxval);
					nf_field_set_uint(r, f, v);
					break;
				}
		}
	}
	if (rd.pos != rd.len)
	{
		if (rd.len - rd.pos == 1)
			bin_error("The value has 1 byte after its last field.");
		bin_error("The value has %zu bytes after its last field.", rd.len - rd.pos);
	}
	check_or_error(r, NULL, true);
}

/* Binary input (COPY BINARY, binary protocol parameters). */
Datum
flow_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	nf_flow_record *r = (nf_flow_record *) palloc(sizeof(nf_flow_record));

	decode_binary((const uint8 *) buf->data + buf->cursor,
				  buf->len - buf->cursor, r);
	buf->cursor = buf->len;
	PG_RETURN_FLOW_P(r);
}

/* Binary output. */
Datum
flow_send(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(encode_binary(PG_GETARG_FLOW_P(0)));
}

/* The binary form as a bytea value. */
Datum
flow_to_bytea(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(encode_binary(PG_GETARG_FLOW_P(0)));
}

/* A flow from its binary form held in a bytea value. */
Datum
flow_from_bytea(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	nf_flow_record *r = (nf_flow_record *) palloc(sizeof(nf_flow_record));

	decode_binary((const uint8 *) VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), r);
	PG_RETURN_FLOW_P(r);
}

/* ----------------------------------------------------------------
 * Comparison and hashing
 * ----------------------------------------------------------------
 */

#define CMP3(x, y) ((x) < (y) ? -1 : (x) > (y) ? 1 : 0)

/* Total order: fields in column order, absent first, then raw bytes. */
static int
flow_compare(const nf_flow_record *a, const nf_flow_record *b)
{
	int			i;
	int			c;

	for (i = 0; i < NF_FLOWS_NATTS; i++)
	{
		const nf_flow_field *f = &nf_flow_fields[i];
		const char *pa = (const char *) a + f->offset;
		const char *pb = (const char *) b + f->offset;
		bool		absa = nf_field_absent(a, f);
		bool		absb = nf_field_absent(b, f);

		if (absa || absb)
		{
			if (absa != absb)
				return absa ? -1 : 1;
			continue;
		}
		switch (f->kind)
		{
			case NF_FK_TIME:
				{
					int64		ta,
								tb;

					memcpy(&ta, pa, sizeof(ta));
					memcpy(&tb, pb, sizeof(tb));
					c = CMP3(ta, tb);
					break;
				}
			case NF_FK_ADDR:
				c = CMP3(((const nf_addr *) pa)->family, ((const nf_addr *) pb)->family);
				if (c == 0)
					c = memcmp(((const nf_addr *) pa)->a, ((const nf_addr *) pb)->a, 16);
				break;
			case NF_FK_MAC:
				c = memcmp(pa, pb, 6);
				break;
			default:
				c = CMP3(nf_field_get_uint(a, f), nf_field_get_uint(b, f));
				break;
		}
		if (c != 0)
			return c < 0 ? -1 : 1;
	}
	/* Equal field by field: order by bytes so that 0 means byte-equal. */
	c = memcmp(a, b, sizeof(nf_flow_record));
	return c < 0 ? -1 : c > 0 ? 1 : 0;
}

/* btree support: -1, 0 or 1. */
Datum
flow_cmp(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(flow_compare(PG_GETARG_FLOW_P(0), PG_GETARG_FLOW_P(1)));
}

/* a = b: the records are byte-equal. */
Datum
flow_eq(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(memcmp(PG_GETARG_FLOW_P(0), PG_GETARG_FLOW_P(1),
						  sizeof(nf_flow_record)) == 0);
}

/* a <> b. */
Datum
flow_ne(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(memcmp(PG_GETARG_FLOW_P(0), PG_GETARG_FLOW_P(1),
						  sizeof(nf_flow_record)) != 0);
}

/* a < b. */
Datum
flow_lt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(flow_compare(PG_GETARG_FLOW_P(0), PG_GETARG_FLOW_P(1)) < 0);
}

/* a <= b. */
Datum
flow_le(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(flow_compare(PG_GETARG_FLOW_P(0), PG_GETARG_FLOW_P(1)) <= 0);
}

/* a > b. */
Datum
flow_gt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(flow_compare(PG_GETARG_FLOW_P(0), PG_GETARG_FLOW_P(1)) > 0);
}

/* a >= b. */
Datum
flow_ge(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(flow_compare(PG_GETARG_FLOW_P(0), PG_GETARG_FLOW_P(1)) >= 0);
}

/* 32-bit hash of the record's bytes (consistent with =). */
Datum
flow_hash(PG_FUNCTION_ARGS)
{
	return hash_any((const unsigned char *) PG_GETARG_FLOW_P(0),
					sizeof(nf_flow_record));
}

/* 64-bit seeded hash of the record's bytes (consistent with =). */
Datum
flow_hash_extended(PG_FUNCTION_ARGS)
{
	return hash_any_extended((const unsigned char *) PG_GETARG_FLOW_P(0),
							 sizeof(nf_flow_record), PG_GETARG_INT64(1));
}

/* ----------------------------------------------------------------
 * Casts to and from the row type netflow.flows
 * ----------------------------------------------------------------
 */

/* Per-call-site cache of flow_expand: the result row type and a slot. */
typedef struct expand_cache
{
	TupleTableSlot *slot;		/* virtual, of the blessed result type */
	int			attidx[NF_FLOWS_NATTS];
} expand_cache;

/* netflow.expand(flow): the flow as a netflow.flows row. */
Datum
flow_expand(PG_FUNCTION_ARGS)
{
	const nf_flow_record *r = PG_GETARG_FLOW_P(0);
	expand_cache *cache = (expand_cache *) fcinfo->flinfo->fn_extra;

	if (cache == NULL)
	{
		TupleDesc	td;
		TupleDesc	blessed;
		MemoryContext old;

		if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("function returning a row called in a context that cannot accept one")));
		old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		cache = (expand_cache *) palloc(sizeof(expand_cache));
		blessed = BlessTupleDesc(CreateTupleDescCopy(td));
		nf_flows_map_tupdesc(blessed, "netflow.flows", cache->attidx);
		cache->slot = MakeSingleTupleTableSlot(blessed, &TTSOpsVirtual);
		MemoryContextSwitchTo(old);
		fcinfo->flinfo->fn_extra = cache;
	}

	nf_flow_store_slot(r, cache->slot, cache->attidx);
	PG_RETURN_DATUM(ExecFetchSlotHeapTupleDatum(cache->slot));
}

/* netflow.flow(netflow.flows): a flow from a table row. */
Datum
flow_from_row(PG_FUNCTION_ARGS)
{
	HeapTupleHeader th = PG_GETARG_HEAPTUPLEHEADER(0);
	TupleDesc	td;
	HeapTupleData tmptup;
	Datum	   *values;
	bool	   *nulls;
	Datum		cols[NF_FLOWS_NATTS];
	bool		colnulls[NF_FLOWS_NATTS];
	int			attidx[NF_FLOWS_NATTS];
	nf_flow_record *r;
	int			sqlerrcode;
	char	   *detail;
	int			i;

	td = lookup_rowtype_tupdesc(HeapTupleHeaderGetTypeId(th),
								HeapTupleHeaderGetTypMod(th));
	nf_flows_map_tupdesc(td, "netflow.flows", attidx);

	tmptup.t_len = HeapTupleHeaderGetDatumLength(th);
	ItemPointerSetInvalid(&(tmptup.t_self));
	tmptup.t_tableOid = InvalidOid;
	tmptup.t_data = th;
	values = (Datum *) palloc(sizeof(Datum) * td->natts);
	nulls = (bool *) palloc(sizeof(bool) * td->natts);
	heap_deform_tuple(&tmptup, td, values, nulls);
	ReleaseTupleDesc(td);

	for (i = 0; i < NF_FLOWS_NATTS; i++)
	{
		cols[i] = values[attidx[i]];
		colnulls[i] = nulls[attidx[i]];
	}

	r = (nf_flow_record *) palloc(sizeof(nf_flow_record));
	if (!nf_flow_from_values(cols, colnulls, false, r, &sqlerrcode, &detail))
		ereport(ERROR,
				(errcode(sqlerrcode),
				 errmsg("cannot convert netflow.flows row to netflow.flow"),
				 errdetail_internal("%s", detail)));
	PG_RETURN_FLOW_P(r);
}

/*
 * netflow.flow_row_check(the 32 columns of netflow.flows): whether the
 * values of a row satisfy the validity contract, NULLs allowed anywhere.
 * The CHECK constraint flows_contract of netflow.flows calls it, so the
 * table accepts what the type and the decoders accept.
 */
Datum
flow_row_check(PG_FUNCTION_ARGS)
{
	Datum		cols[NF_FLOWS_NATTS];
	bool		colnulls[NF_FLOWS_NATTS];
	nf_flow_record r;
	int			sqlerrcode;
	char	   *detail;
	int			i;

	if (PG_NARGS() != NF_FLOWS_NATTS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("netflow.flow_row_check takes the %d columns of netflow.flows",
						NF_FLOWS_NATTS)));
	for (i = 0; i < NF_FLOWS_NATTS; i++)
	{
		colnulls[i] = PG_ARGISNULL(i);
		cols[i] = colnulls[i] ? (Datum) 0 : PG_GETARG_DATUM(i);
	}
	PG_RETURN_BOOL(nf_flow_from_values(cols, colnulls, true, &r,
									   &sqlerrcode, &detail));
}
