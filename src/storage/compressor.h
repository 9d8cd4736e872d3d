/*-------------------------------------------------------------------------
 *
 * compressor.h
 *	  The "netflow compressor" background worker (compressor.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef NETFLOW_COMPRESSOR_H
#define NETFLOW_COMPRESSOR_H

extern void nf_compressor_launch(void);

#endif							/* NETFLOW_COMPRESSOR_H */
