/*-------------------------------------------------------------------------
 *
 * msg_ctx.h
 *	  What decoding a data set needs from its message header.  Kept with
 *	  a data set that waits for its template, so it decodes the same later.
 *
 *-------------------------------------------------------------------------
 */
#ifndef NETFLOW_MSG_CTX_H
#define NETFLOW_MSG_CTX_H

#include <stdint.h>
#include <stdbool.h>

typedef struct nf_msg_ctx
{
	int64_t		export_us;		/* header export time, us since epoch */
	int64_t		recv_us;		/* collector clock at receipt */
	uint32_t	uptime_ms;		/* v9 header sysUptime */
	uint32_t	obs_domain;
	uint16_t	version;		/* 9 or 10 */
} nf_msg_ctx;

#endif							/* NETFLOW_MSG_CTX_H */
