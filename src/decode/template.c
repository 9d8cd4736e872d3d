/*-------------------------------------------------------------------------
 *
 * template.c
 *	  Parse NetFlow v9 / IPFIX template and options template records and
 *	  compile them into field operation lists (nf_fop).
 *
 * Validation (each failure is a malformed template, never a crash):
 *	- the record must lie inside its set (field count x 4, enterprise
 *	  numbers, v9 scope/option lengths);
 *	- template id >= 256; options templates need >= 1 scope field;
 *	- at most NF_MAX_TEMPLATE_FIELDS fields;
 *	- the fixed record length must be >= 1 (a zero-length record would
 *	  never advance) and <= NF_MAX_RECORD_LEN (no 16-bit overflow).
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "template.h"

/* A field specifier as read from the wire. */
typedef struct nf_fspec
{
	uint16_t	ie;
	uint16_t	len;
	bool		enterprise;
	bool		scope;
	uint32_t	pen;			/* enterprise number when 'enterprise' */
} nf_fspec;

/*
 * Read 'count' field specifiers starting at c; IPFIX ones may carry an
 * enterprise number.  Returns false if they run past the cursor's end.
 * 'specs' may be NULL (validation pass) and has room for 'count' entries.
 */
static bool
nf_read_specs(nf_cursor *c, uint16_t version, uint32_t count,
			  uint32_t scope_count, nf_fspec *specs)
{
	uint32_t	i;

	for (i = 0; i < count; i++)
	{
		uint16_t	ie;
		uint16_t	flen;
		bool		ent = false;
		uint32_t	pen = 0;

		if (!nf_rd_u16(c, &ie) || !nf_rd_u16(c, &flen))
			return false;
		if (version == 10 && (ie & 0x8000))
		{
			ent = true;
			ie &= 0x7FFF;
			if (!nf_rd_u32(c, &pen))
				return false;
		}
		if (specs)
		{
			specs[i].ie = ie;
			specs[i].len = flen;
			specs[i].enterprise = ent;
			specs[i].pen = pen;
			specs[i].scope = (i < scope_count);
		}
	}
	return true;
}

/* Compile validated specifiers into a template; NF_TP_* result. */
static nf_tparse
nf_compile(uint16_t version, bool is_options, uint16_t tid,
		   const nf_fspec *specs, uint32_t count,
		   const uint8_t *raw, size_t raw_len,
		   nf_template **out, const char **why)
{
	uint64_t	min_len = 0;
	bool		has_var = false;
	uint32_t	i;
	uint32_t	nops = 0;
	nf_template *t;
	size_t		size;

	for (i = 0; i < count; i++)
	{
		if (version == 10 && specs[i].len == NF_VARLEN)
		{
			has_var = true;
			min_len += 1;
		}
		else
			min_len += specs[i].len;
	}
	if (min_len == 0)
	{
		*why = "template record length is 0";
		return NF_TP_SKIP;
	}
	if (min_len > NF_MAX_RECORD_LEN)
	{
		*why = "template record length exceeds 65531 bytes";
		return NF_TP_SKIP;
	}

	size = sizeof(nf_template) + count * sizeof(nf_fop) + raw_len;
	t = malloc(size);
	if (t == NULL)
	{
		*why = "out of memory";
		return NF_TP_NOMEM;
	}
	memset(t, 0, sizeof(nf_template));
	t->ops = (nf_fop *) (t + 1);
	t->raw = (uint8_t *) (t->ops + count);
	memcpy(t->raw, raw, raw_len);
	t->raw_len = raw_len;
	t->id = tid;
	t->version = version;
	t->is_options = is_options;
	t->has_var = has_var;
	t->min_len = (uint32_t) min_len;

	for (i = 0; i < count; i++)
	{
		uint16_t	flen = specs[i].len;
		nf_op		op;
		bool		var = (version == 10 && flen == NF_VARLEN);

		/* v9 scope fields use their own type space: never mapped */
		if (version == 9 && specs[i].scope)
			op = NF_OP_SKIP;
		else
			op = nfd_field_op(specs[i].ie, var ? NF_VARLEN : flen,
							  specs[i].enterprise, specs[i].pen);

		if (op == NF_OP_SKIP && !var)
		{
			if (flen == 0)
				continue;
			/* merge runs of fixed-length skips into one operation */
			if (nops > 0 && t->ops[nops - 1].kind == NF_K_SKIP)
			{
				t->ops[nops - 1].len += flen;	/* <= NF_MAX_RECORD_LEN */
				continue;
			}
		}
		t->ops[nops].op = (uint8_t) op;
		t->ops[nops].len = var ? NF_VARLEN : flen;
		if (var)
			t->ops[nops].kind = NF_K_VAR;
		else if (op == NF_OP_SKIP)
			t->ops[nops].kind = NF_K_SKIP;
		else if (op == NF_OP_SRC_V6 || op == NF_OP_DST_V6 ||
				 op == NF_OP_NEXTHOP_V6 || op == NF_OP_BGP_NEXTHOP_V6)
			t->ops[nops].kind = NF_K_V6;
		else
			t->ops[nops].kind = NF_K_UINT;	/* nfd_field_op: 1..8 bytes */
		if (t->ops[nops].kind == NF_K_UINT || t->ops[nops].kind == NF_K_V6)
		{
			if (op < NF_OP_FIRST_HI)
				t->seen_mask |= UINT64_C(1) << op;
			else
				t->seen_mask_hi |= UINT64_C(1) << (op - NF_OP_FIRST_HI);
		}
		nops++;
	}
	t->nops = nops;
	*out = t;
	return NF_TP_OK;
}

/* Parse one template record (see template.h). */
nf_tparse
nfd_template_parse(uint16_t version, bool is_options,
				   const uint8_t *p, size_t len,
				   size_t *consumed, uint16_t *tid,
				   nf_template **out, const char **why)
{
	nf_cursor	c;
	uint16_t	id;
	uint16_t	count;
	uint16_t	scope_count = 0;
	uint32_t	nfields;
	const uint8_t *specs_at;
	nf_fspec   *specs;
	nf_tparse	res;

	*out = NULL;
	*consumed = 0;
	*tid = 0;
	*why = "";
	c.p = p;
	c.end = p + len;

	if (version == 9 && is_options)
	{
		uint16_t	scope_len;
		uint16_t	opt_len;

		/* template id, option scope length, option length (bytes) */
		if (len < 6)
			return NF_TP_PADDING;
		id = nf_get_u16(p);
		scope_len = nf_get_u16(p + 2);
		opt_len = nf_get_u16(p + 4);
		*tid = id;
		if (id == 0 && scope_len == 0 && opt_len == 0)
			return NF_TP_PADDING;
		if (scope_len % 4 != 0 || opt_len % 4 != 0)
		{
			*why = "v9 options template scope/option length not a multiple of 4";
			return NF_TP_STOP;
		}
		if ((size_t) 6 + scope_len + opt_len > len)
		{
			*why = "v9 options template runs past its flowset";
			return NF_TP_STOP;
		}
		*consumed = (size_t) 6 + scope_len + opt_len;
		if (scope_len == 0)
		{
			*why = "options template with scope count 0";
			return NF_TP_SKIP;
		}
		scope_count = scope_len / 4;
		nfields = (uint32_t) scope_count + opt_len / 4;
		specs_at = p + 6;
	}
	else
	{
		if (len < 4)
			return NF_TP_PADDING;
		id = nf_get_u16(p);
		count = nf_get_u16(p + 2);
		*tid = id;
		if (id == 0 && count == 0)
			return NF_TP_PADDING;
		if (count == 0)
		{
			*consumed = 4;
			if (version == 9)
			{
				*why = "v9 template with field count 0";
				return NF_TP_SKIP;
			}
			if ((id == 2 && !is_options) || (id == 3 && is_options))
				return NF_TP_WITHDRAW_ALL;
			if (id < 256)
			{
				*why = "template withdrawal with id below 256";
				return NF_TP_SKIP;
			}
			return NF_TP_WITHDRAW;
		}
		if (is_options)
		{
			if (len < 6)
			{
				*why = "options template header runs past its set";
				return NF_TP_STOP;
			}
			scope_count = nf_get_u16(p + 4);
			specs_at = p + 6;
		}
		else
			specs_at = p + 4;
		nfields = count;
	}

	/* validation pass: find the record's end */
	c.p = specs_at;
	if (version == 9 && !is_options && (size_t) nfields * 4 > nf_left(&c))
	{
		*why = "template field count x 4 exceeds its flowset";
		return NF_TP_STOP;
	}
	if (!nf_read_specs(&c, version, nfields, scope_count, NULL))
	{
		*why = "template field specifiers run past their set";
		return NF_TP_STOP;
	}
	*consumed = (size_t) (c.p - p);

	if (id < 256)
	{
		*why = "template id below 256";
		return NF_TP_SKIP;
	}
	if (is_options && scope_count == 0)
	{
		*why = "options template with scope count 0";
		return NF_TP_SKIP;
	}
	if (scope_count > nfields)
	{
		*why = "options template scope count exceeds field count";
		return NF_TP_SKIP;
	}
	if (nfields > NF_MAX_TEMPLATE_FIELDS)
	{
		*why = "template has too many fields";
		return NF_TP_SKIP;
	}

	specs = malloc(sizeof(nf_fspec) * nfields);
	if (specs == NULL)
	{
		*why = "out of memory";
		return NF_TP_NOMEM;
	}
	c.p = specs_at;
	(void) nf_read_specs(&c, version, nfields, scope_count, specs);
	res = nf_compile(version, is_options, id, specs, nfields,
					 p, *consumed, out, why);
	free(specs);
	return res;
}

/* Free a template. */
void
nfd_template_free(nf_template *t)
{
	free(t);
}
