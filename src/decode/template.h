/*-------------------------------------------------------------------------
 *
 * template.h
 *	  A NetFlow v9 / IPFIX (options) template compiled into a field
 *	  operation list, and the parser of template records off the wire.
 *
 *-------------------------------------------------------------------------
 */
#ifndef NETFLOW_TEMPLATE_H
#define NETFLOW_TEMPLATE_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

#include "field_map.h"

/* Fields one template may have; more is treated as a malformed template. */
#define NF_MAX_TEMPLATE_FIELDS 512

/*
 * Largest fixed part of a data record: it must fit a set (16-bit length
 * with a 4-byte header).  Keeps every merged skip length below NF_VARLEN.
 */
#define NF_MAX_RECORD_LEN (65535 - 4)

/* How the record loop reads a compiled field. */
#define NF_K_SKIP	0			/* skip 'len' bytes */
#define NF_K_UINT	1			/* big-endian unsigned of 1..8 bytes */
#define NF_K_V6		2			/* 16-byte IPv6 address */
#define NF_K_VAR	3			/* IPFIX variable length: skip */

/* One compiled field: an nf_op, how to read it, and its wire length. */
typedef struct nf_fop
{
	uint8_t		op;				/* nf_op */
	uint8_t		kind;			/* NF_K_* */
	uint16_t	len;			/* NF_VARLEN for NF_K_VAR */
} nf_fop;

struct nf_tset;

/* A learned template.  One allocation holds the struct, ops and raw. */
typedef struct nf_template
{
	/* links owned by template_cache.c */
	struct nf_template *lru_prev;	/* all templates */
	struct nf_template *lru_next;
	struct nf_template *alru_prev;	/* templates of the same address */
	struct nf_template *alru_next;
	struct nf_tset *owner;
	bool		drained;		/* data waiting for it was decoded */

	uint16_t	id;
	uint16_t	version;		/* 9 or 10 */
	bool		is_options;
	bool		has_var;		/* has variable-length fields */
	uint32_t	nops;
	uint32_t	min_len;		/* minimum bytes per data record, >= 1 */
	uint64_t	seen_mask;		/* bit (1 << op) of every op read into a slot */
	uint64_t	seen_mask_hi;	/* the same for ops >= NF_OP_FIRST_HI */
	nf_fop	   *ops;
	uint8_t    *raw;			/* template record as on the wire */
	size_t		raw_len;
} nf_template;

/* Outcome of parsing one template record. */
typedef enum nf_tparse
{
	NF_TP_OK,					/* *out is a new template */
	NF_TP_WITHDRAW,				/* IPFIX withdrawal of *tid */
	NF_TP_WITHDRAW_ALL,			/* IPFIX withdrawal of all (options) templates */
	NF_TP_PADDING,				/* rest of the set is padding */
	NF_TP_SKIP,					/* invalid record, skip *consumed bytes */
	NF_TP_STOP,					/* invalid, rest of the set unusable */
	NF_TP_NOMEM					/* out of memory, skip *consumed bytes */
} nf_tparse;

/*
 * Parse one template record of 'version' (9 or 10) at p[0..len) (the rest
 * of its set).  'is_options' selects the options template format.  Sets
 * *consumed (for OK, WITHDRAW*, SKIP, NOMEM), *tid, and *why on failure.
 */
extern nf_tparse nfd_template_parse(uint16_t version, bool is_options,
									const uint8_t *p, size_t len,
									size_t *consumed, uint16_t *tid,
									nf_template **out, const char **why);

/* Free a template (NULL is fine). */
extern void nfd_template_free(nf_template *t);

#endif							/* NETFLOW_TEMPLATE_H */
