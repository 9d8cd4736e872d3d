/*-------------------------------------------------------------------------
 *
 * receiver.c
 *	  The collector's receive workers ("netflow receiver").
 *
 * A receiver only reads datagrams: it binds one UDP socket per
 * netflow.listen address (SO_REUSEPORT, so several receivers share the
 * load), reads batches with recvmmsg() into 64 KiB buffers, drops datagrams
 * from sources outside netflow.allowed_exporters, and appends the rest to
 * the shared queue for the inserter.  It never touches a table, so a slow
 * or locked table never stops the sockets being read.  Kernel socket drops
 * are read from SO_RXQ_OVFL and counted.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "collector.h"
#include "collector_shmem.h"

/* Datagrams read per recvmmsg() call. */
#define NF_RECV_BATCH		32

/* recvmmsg() calls per wake-up before checking for signals again. */
#define NF_RECV_ROUNDS		64

/* One bound socket. */
typedef struct NfSocket
{
	pgsocket	fd;
	uint32		last_ovfl;		/* last SO_RXQ_OVFL value seen */
	const NfListenAddr *addr;
} NfSocket;

/* Buffers for one recvmmsg() batch. */
typedef struct NfRecvBuffers
{
	struct mmsghdr msgs[NF_RECV_BATCH];
	struct iovec iov[NF_RECV_BATCH];
	struct sockaddr_storage from[NF_RECV_BATCH];
	char		control[NF_RECV_BATCH][CMSG_SPACE(sizeof(uint32)) + 64];
	uint8	   *data[NF_RECV_BATCH];
} NfRecvBuffers;

static int	my_slot;

/* Drops not yet reported in the server log, and when we last did. */
static uint64 unlogged_queue_full = 0;
static uint64 unlogged_kernel_drops = 0;
static int64 last_drop_log_us = 0;

/* At most one drop report every this many microseconds. */
#define NF_DROP_LOG_US		INT64CONST(10000000)

/* Convert a socket address into an nf_addr (IPv4-mapped IPv6 as IPv4). */
static void
sockaddr_to_nf_addr(const struct sockaddr_storage *ss, nf_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (ss->ss_family == AF_INET)
	{
		const struct sockaddr_in *sin = (const struct sockaddr_in *) ss;

		out->family = NF_AF_INET;
		memcpy(out->a, &sin->sin_addr, 4);
	}
	else if (ss->ss_family == AF_INET6)
	{
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *) ss;

		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
		{
			out->family = NF_AF_INET;
			memcpy(out->a, &sin6->sin6_addr.s6_addr[12], 4);
		}
		else
		{
			out->family = NF_AF_INET6;
			memcpy(out->a, &sin6->sin6_addr, 16);
		}
	}
}

/* Request netflow.rcvbuf on a socket and return what the kernel granted. */
static int
apply_rcvbuf(pgsocket fd)
{
	int			granted = 0;
	socklen_t	len = sizeof(granted);

	if (nf_rcvbuf_kb > 0)
	{
		int			want = nf_rcvbuf_kb * 1024;

		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof(want)) < 0)
			ereport(LOG,
					(errmsg("netflow receiver could not set SO_RCVBUF to %d bytes: %m", want)));
	}
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &granted, &len) < 0)
		granted = 0;
	return granted;
}

/* Open and bind the socket for one listen address; false if skipped. */
static bool
open_socket(const NfListenAddr *la, NfSocket *out, bool optional_v6)
{
	int			one = 1;
	pgsocket	fd;
	int			granted;

	fd = socket(la->ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
	{
		if (optional_v6 && (errno == EAFNOSUPPORT || errno == EPROTONOSUPPORT))
		{
			ereport(LOG,
					(errmsg("netflow receiver skips %s: IPv6 is not available", la->text)));
			return false;
		}
		ereport(ERROR,
				(errcode_for_socket_access(),
				 errmsg("could not create UDP socket for %s: %m", la->text)));
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
		ereport(ERROR,
				(errcode_for_socket_access(),
				 errmsg("could not set SO_REUSEPORT on %s: %m", la->text)));
	if (la->ss.ss_family == AF_INET6 &&
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		ereport(ERROR,
				(errcode_for_socket_access(),
				 errmsg("could not set IPV6_V6ONLY on %s: %m", la->text)));
	if (setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one)) < 0)
		ereport(LOG,
				(errmsg("netflow receiver cannot count kernel drops on %s (SO_RXQ_OVFL): %m",
						la->text)));
	granted = apply_rcvbuf(fd);
	if (bind(fd, (const struct sockaddr *) &la->ss, la->sslen) < 0)
	{
		if (optional_v6 && errno == EADDRNOTAVAIL)
		{
			close(fd);
			ereport(LOG,
					(errmsg("netflow receiver skips %s: IPv6 is not available", la->text)));
			return false;
		}
		ereport(ERROR,
				(errcode_for_socket_access(),
				 errmsg("could not bind UDP socket to %s: %m", la->text),
				 errhint("Check netflow.listen; another process may use the port.")));
	}
	out->fd = fd;
	out->last_ovfl = 0;
	out->addr = la;
	nf_count_set(my_slot, NFW_RCVBUF_GRANTED, (uint64) granted);
	ereport(LOG,
			(errmsg("netflow receiver %d listening on %s, receive buffer %d bytes (requested %d)",
					my_slot, la->text, granted, nf_rcvbuf_kb * 1024)));
	return true;
}

/* Account the SO_RXQ_OVFL value carried by a received message. */
static void
read_overflow(NfSocket *s, struct msghdr *mh)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c))
	{
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL &&
			c->cmsg_len >= CMSG_LEN(sizeof(uint32)))
		{
			uint32		v;

			memcpy(&v, CMSG_DATA(c), sizeof(v));
			if (v != s->last_ovfl)
			{
				uint64		d = (uint64) (uint32) (v - s->last_ovfl);

				nf_count(my_slot, NFW_KERNEL_DROPS, d);
				unlogged_kernel_drops += d;
				s->last_ovfl = v;
			}
		}
	}
}

/*
 * Read what is waiting on one socket (bounded number of rounds).  Returns
 * true if something was queued.
 */
static bool
drain_socket(NfSocket *s, NfRecvBuffers *rb)
{
	bool		queued = false;
	int			round;

	for (round = 0; round < NF_RECV_ROUNDS; round++)
	{
		int			n,
					i;
		uint64		datagrams = 0,
					bytes = 0,
					not_allowed = 0,
					truncated = 0,
					queue_full = 0;
		int64		now_us;

		for (i = 0; i < NF_RECV_BATCH; i++)
		{
			struct msghdr *mh = &rb->msgs[i].msg_hdr;

			rb->iov[i].iov_base = rb->data[i];
			rb->iov[i].iov_len = NF_MAX_DATAGRAM;
			mh->msg_name = &rb->from[i];
			mh->msg_namelen = sizeof(rb->from[i]);
			mh->msg_iov = &rb->iov[i];
			mh->msg_iovlen = 1;
			mh->msg_control = rb->control[i];
			mh->msg_controllen = sizeof(rb->control[i]);
			mh->msg_flags = 0;
			rb->msgs[i].msg_len = 0;
		}
		n = recvmmsg(s->fd, rb->msgs, NF_RECV_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0)
		{
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				break;
			ereport(LOG,
					(errmsg("netflow receiver could not receive on %s: %m", s->addr->text)));
			break;
		}
		if (n == 0)
			break;

		now_us = nf_now_us();
		for (i = 0; i < n; i++)
		{
			struct msghdr *mh = &rb->msgs[i].msg_hdr;
			uint32		len = rb->msgs[i].msg_len;
			nf_addr		src;

			datagrams++;
			bytes += len;
			read_overflow(s, mh);
			if (mh->msg_flags & MSG_TRUNC)
			{
				truncated++;
				continue;
			}
			sockaddr_to_nf_addr(&rb->from[i], &src);
			if (src.family == NF_AF_NONE || !nf_exporter_allowed(&src))
			{
				not_allowed++;
				continue;
			}
			if (!nf_queue_push(rb->data[i], len, &src, now_us))
			{
				queue_full++;
				continue;
			}
			queued = true;
		}
		nf_count(my_slot, NFW_DATAGRAMS, datagrams);
		nf_count(my_slot, NFW_BYTES, bytes);
		if (not_allowed)
			nf_count(my_slot, NFW_DROP_NOT_ALLOWED, not_allowed);
		if (truncated)
			nf_count(my_slot, NFW_DROP_TRUNCATED, truncated);
		if (queue_full)
		{
			nf_count(my_slot, NFW_DROP_QUEUE_FULL, queue_full);
			unlogged_queue_full += queue_full;
		}
		if (queued)
			nf_wake_inserter();
		if ((unlogged_queue_full > 0 || unlogged_kernel_drops > 0) &&
			now_us - last_drop_log_us >= NF_DROP_LOG_US)
		{
			ereport(LOG,
					(errmsg("netflow receiver %d dropped " UINT64_FORMAT " datagrams because the queue was full and the kernel dropped " UINT64_FORMAT " on its socket buffer",
							my_slot, unlogged_queue_full, unlogged_kernel_drops),
					 errhint("See netflow.collector_stats; consider netflow.queue_size or netflow.rcvbuf.")));
			unlogged_queue_full = 0;
			unlogged_kernel_drops = 0;
			last_drop_log_us = now_us;
		}
		if (n < NF_RECV_BATCH)
			break;
	}
	return queued;
}

/* Entry point of a receive worker; main_arg is its index (0-based). */
void
nf_receiver_main(Datum main_arg)
{
	int			index = DatumGetInt32(main_arg);
	NfListenAddr *addrs;
	NfSocket   *socks;
	NfRecvBuffers *rb;
	WaitEventSet *wes;
	WaitEvent  *events;
	const char *err;
	int			naddr,
				nsock = 0,
				i;

	my_slot = NF_INSERTER_SLOT + 1 + index;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	BackgroundWorkerUnblockSignals();

	/* no database: this only makes the worker visible in pg_stat_activity */
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);

	if (nf_shared == NULL)
		ereport(FATAL,
				(errmsg("netflow receiver started without the netflow shared memory")));
	nf_worker_attach(my_slot);

	addrs = MemoryContextAllocZero(TopMemoryContext, sizeof(NfListenAddr) * NF_MAX_LISTEN);
	naddr = nf_parse_listen(nf_listen, addrs, NF_MAX_LISTEN, &err);
	if (naddr < 0)
		ereport(FATAL,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for netflow.listen: %s", err)));

	socks = MemoryContextAllocZero(TopMemoryContext, sizeof(NfSocket) * (naddr + 1));
	for (i = 0; i < naddr; i++)
	{
		/* the IPv6 half of "*" is optional (hosts without IPv6) */
		bool		optional = (addrs[i].ss.ss_family == AF_INET6 &&
								i > 0 &&
								addrs[i - 1].ss.ss_family == AF_INET &&
								strncmp(addrs[i].text, "[::]:", 5) == 0 &&
								strncmp(addrs[i - 1].text, "0.0.0.0:", 8) == 0);

		if (open_socket(&addrs[i], &socks[nsock], optional))
			nsock++;
	}
	if (nsock == 0)
		ereport(FATAL,
				(errmsg("netflow receiver has no address to listen on")));

	rb = MemoryContextAllocZero(TopMemoryContext, sizeof(NfRecvBuffers));
	for (i = 0; i < NF_RECV_BATCH; i++)
		rb->data[i] = MemoryContextAlloc(TopMemoryContext, NF_MAX_DATAGRAM);

	wes = CreateWaitEventSet(TopMemoryContext, nsock + 2);
	AddWaitEventToSet(wes, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
	AddWaitEventToSet(wes, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, NULL, NULL);
	for (i = 0; i < nsock; i++)
		AddWaitEventToSet(wes, WL_SOCKET_READABLE, socks[i].fd, NULL, &socks[i]);
	events = MemoryContextAlloc(TopMemoryContext, sizeof(WaitEvent) * (nsock + 2));

	for (;;)
	{
		int			nev;

		nev = WaitEventSetWait(wes, -1, events, nsock + 2, PG_WAIT_EXTENSION);
		for (i = 0; i < nev; i++)
		{
			if (events[i].events & WL_LATCH_SET)
				ResetLatch(MyLatch);
			else if (events[i].events & WL_SOCKET_READABLE)
				drain_socket((NfSocket *) events[i].user_data, rb);
		}

		CHECK_FOR_INTERRUPTS();
		if (ShutdownRequestPending)
			break;
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			for (i = 0; i < nsock; i++)
				nf_count_set(my_slot, NFW_RCVBUF_GRANTED,
							 (uint64) apply_rcvbuf(socks[i].fd));
		}
	}

	for (i = 0; i < nsock; i++)
		close(socks[i].fd);
	/* status 1: restarted after bgw_restart_time unless the server stops */
	proc_exit(1);
}
