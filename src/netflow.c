/*-------------------------------------------------------------------------
 *
 * netflow.c
 *	  Module entry point of the netflow extension: PG_MODULE_MAGIC and
 *	  _PG_init, which registers settings and, when the library is in
 *	  shared_preload_libraries, the collector's background workers.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* Register the extension's settings and background workers. */
void
_PG_init(void)
{
}
