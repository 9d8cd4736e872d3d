/*-------------------------------------------------------------------------
 *
 * collector_settings.h
 *	  The collector's configuration parameters (netflow.* GUCs) and the
 *	  parsed forms of the list-valued ones (listen addresses, allowed
 *	  exporter networks).
 *
 *-------------------------------------------------------------------------
 */
#ifndef NETFLOW_COLLECTOR_SETTINGS_H
#define NETFLOW_COLLECTOR_SETTINGS_H

#include <sys/socket.h>

#include "flow_record.h"

/* Upper bounds for the list-valued settings. */
#define NF_MAX_LISTEN		32
#define NF_MAX_RECEIVERS	64
#define NF_MAX_CIDRS		1024

/* One UDP address to listen on, parsed from netflow.listen. */
typedef struct NfListenAddr
{
	struct sockaddr_storage ss; /* family, address and port */
	socklen_t	sslen;
	char		text[64];		/* as written, for log messages */
} NfListenAddr;

/* One network of netflow.allowed_exporters. */
typedef struct NfCidr
{
	uint8_t		family;			/* NF_AF_INET or NF_AF_INET6 */
	uint8_t		bits;			/* prefix length */
	uint8_t		addr[16];		/* network byte order, host bits zero */
} NfCidr;

/* Parsed netflow.allowed_exporters (n == 0: every source allowed). */
typedef struct NfCidrList
{
	int			n;
	NfCidr		items[FLEXIBLE_ARRAY_MEMBER];
} NfCidrList;

/* Values of netflow.synchronous_commit. */
typedef enum NfSyncCommit
{
	NF_SYNC_OFF,
	NF_SYNC_LOCAL,
	NF_SYNC_REMOTE_WRITE,
	NF_SYNC_REMOTE_APPLY,
	NF_SYNC_ON
} NfSyncCommit;

/* The settings (see docs/configuration.md). */
extern char *nf_listen;
extern char *nf_database;
extern char *nf_role;
extern int	nf_workers;
extern int	nf_rcvbuf_kb;
extern int	nf_flush_interval_ms;
extern int	nf_batch_size;
extern char *nf_allowed_exporters;
extern int	nf_synchronous_commit;
extern int	nf_queue_size_kb;
extern int	nf_shutdown_timeout_ms;
extern int	nf_test_fail_decode_every;

/* Define the collector's GUCs (called from _PG_init). */
extern void nf_collector_define_settings(bool preloading);

/* Name of the server's synchronous_commit value for ours. */
extern const char *nf_sync_commit_name(int value);

/*
 * Parse a netflow.listen value into at most 'max' addresses.  Returns the
 * number parsed, or -1 with a static message in *err.  A '*' host yields
 * two entries (0.0.0.0 and ::).
 */
extern int	nf_parse_listen(const char *value, NfListenAddr *out, int max,
							const char **err);

/* Is 'a' inside the current netflow.allowed_exporters (empty: yes)? */
extern bool nf_exporter_allowed(const nf_addr *a);

/* Is 'a' inside one of the networks of 'list' (empty list: yes)? */
extern bool nf_cidr_list_contains(const NfCidrList *list, const nf_addr *a);

#endif							/* NETFLOW_COLLECTOR_SETTINGS_H */
