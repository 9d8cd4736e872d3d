/*-------------------------------------------------------------------------
 *
 * test_main.c
 *	  Runs the decoder unit test groups; TAP output on stdout.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "tests.h"

int
main(void)
{
	int			i;

	/* counter names are stable and unique */
	for (i = 0; i < NF_CTR__COUNT; i++)
	{
		int			j;
		int			dup = 0;

		for (j = 0; j < i; j++)
			if (strcmp(nf_counter_name((nf_counter) i),
					   nf_counter_name((nf_counter) j)) == 0)
				dup = 1;
		if (dup || strcmp(nf_counter_name((nf_counter) i), "unknown") == 0)
			ok(0, "counter %d has a unique name", i);
	}
	ok(strcmp(nf_counter_name(NF_CTR_DROP_BAD_SET), "drop_bad_set") == 0,
	   "counter names are the documented ones");

	test_field_map();
	test_v5();
	test_v9();
	test_ipfix();
	test_hardening();
	test_state();
	test_biflow();
	test_contract();
	test_bounds();
	return tap_done();
}
