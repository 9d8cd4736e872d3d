/*-------------------------------------------------------------------------
 *
 * fuzz_decode.c
 *	  libFuzzer harness for nf_decode.  One decoder lives across inputs
 *	  (templates, pending data and sequence state carry over, as in the
 *	  collector), with small limits so eviction paths run too.  The first
 *	  input byte picks one of 8 exporters; the rest is the datagram.
 *
 *	  make -C test/fuzz run [FUZZ_SECONDS=60]
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stddef.h>
#include <string.h>

#include "decoder.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static nf_decoder *fuzz_decoder;

/* Trap on a record that breaks an invariant of nf_flow_record. */
static void
fuzz_emit(void *arg, const nf_flow_record *r)
{
	(void) arg;
	if ((r->present & ~NF_HAS_ALL_BITS) || (r->flags & ~NF_FLAG_ALL_BITS) ||
		r->src_addr.family > NF_AF_INET6 || r->dst_addr.family > NF_AF_INET6)
		__builtin_trap();
}

/* Decode one input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	nf_addr		ex;

	if (fuzz_decoder == NULL)
	{
		nf_decoder_limits lim;

		nf_decoder_default_limits(&lim);
		lim.max_templates = 64;
		lim.max_exporters = 4;
		lim.pending_bytes_per_exporter = 8192;
		lim.pending_bytes_total = 16384;
		fuzz_decoder = nf_decoder_create(&lim);
		if (fuzz_decoder == NULL)
			return 0;
	}
	if (size < 1)
		return 0;
	memset(&ex, 0, sizeof(ex));
	ex.family = NF_AF_INET;
	ex.a[0] = 127;
	ex.a[3] = data[0] & 7;
	(void) nf_decode(fuzz_decoder, data + 1, size - 1, &ex,
					 (int64_t) size * 1000000, fuzz_emit, NULL);
	return 0;
}
