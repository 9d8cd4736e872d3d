/*-------------------------------------------------------------------------
 *
 * flowgen.c
 *	  A deterministic NetFlow v5 / IPFIX traffic generator for tests and
 *	  benchmarks: sends a given number of synthetic flows to a UDP address
 *	  at a given rate and prints the totals it sent, so a test can compare
 *	  them with what reached the table.
 *
 * Usage: flowgen -p PORT [-h HOST] [-v 5|10] [-n FLOWS] [-r FLOWS_PER_SEC]
 *				  [-t UNIX_SECONDS] [-o DOMAIN] [-w FILE]
 *	-r 0 sends as fast as the socket takes it.  -t sets the flows' start
 *	time (default: now).  -w writes the datagrams to FILE (each prefixed by
 *	a 4-byte big-endian length) instead of sending them.
 *
 * Flow i has src 10.x.y.z / dst 172.16.y.z derived from i, packets
 * 1 + i % 7 and bytes 40 * packets + i % 1000, so totals are exact.
 * Only loopback addresses are accepted as destinations.
 *
 *-------------------------------------------------------------------------
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define V5_HEADER 24
#define V5_RECORD 48
#define V5_PER_DGRAM 30
#define IPFIX_PER_DGRAM 30

static uint8_t *out_buf;

/* Store a 16-bit value big-endian. */
static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

/* Store a 32-bit value big-endian. */
static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* Store a 64-bit value big-endian. */
static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t) (v >> 32));
	put32(p + 4, (uint32_t) v);
}

/* Current monotonic time in seconds. */
static double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The synthetic flow number i. */
static void
flow_values(uint64_t i, uint32_t *src, uint32_t *dst, uint16_t *sport,
			uint16_t *dport, uint8_t *proto, uint32_t *pkts, uint32_t *bytes)
{
	*src = (10u << 24) | (uint32_t) (i % 65536) << 8 | (uint32_t) (i % 251);
	*dst = (172u << 24) | (16u << 16) | (uint32_t) ((i * 7) % 65536);
	*sport = 1024 + i % 60000;
	*dport = (i % 3 == 0) ? 443 : (i % 3 == 1) ? 53 : 22 + i % 1000;
	*proto = (i % 3 == 1) ? 17 : 6;
	*pkts = 1 + i % 7;
	*bytes = 40 * *pkts + i % 1000;
}

/* Build one v5 datagram of 'n' flows starting at flow 'first'. */
static size_t
build_v5(uint8_t *b, uint64_t first, int n, uint32_t unix_secs,
		 uint32_t *seq)
{
	uint32_t	uptime = 3600000;	/* exporter up for an hour */

	memset(b, 0, V5_HEADER + n * V5_RECORD);
	put16(b, 5);
	put16(b + 2, n);
	put32(b + 4, uptime);
	put32(b + 8, unix_secs);
	put32(b + 12, 0);
	put32(b + 16, *seq);
	*seq += n;
	for (int k = 0; k < n; k++)
	{
		uint8_t    *r = b + V5_HEADER + k * V5_RECORD;
		uint32_t	src, dst, pkts, bytes;
		uint16_t	sport, dport;
		uint8_t		proto;

		flow_values(first + k, &src, &dst, &sport, &dport, &proto, &pkts, &bytes);
		put32(r, src);
		put32(r + 4, dst);
		put16(r + 12, 1);		/* input if */
		put16(r + 14, 2);		/* output if */
		put32(r + 16, pkts);
		put32(r + 20, bytes);
		put32(r + 24, uptime - 2000);	/* first: 2 s before export */
		put32(r + 28, uptime - 1000);	/* last: 1 s before export */
		put16(r + 32, sport);
		put16(r + 34, dport);
		r[37] = proto == 6 ? 0x1b : 0;
		r[38] = proto;
	}
	return V5_HEADER + n * V5_RECORD;
}

/*
 * Build one IPFIX message of 'n' flows, with the template set first when
 * 'with_template'.  Data record: 8 src, 12 dst, 7 sport, 11 dport, 4 proto,
 * 2 packets (8), 1 octets (8), 152/153 start/end milliseconds.
 */
static size_t
build_ipfix(uint8_t *b, uint64_t first, int n, uint32_t unix_secs,
			uint32_t *seq, uint32_t domain, int with_template)
{
	static const uint16_t fields[][2] = {
		{8, 4}, {12, 4}, {7, 2}, {11, 2}, {4, 1}, {2, 8}, {1, 8}, {152, 8}, {153, 8}
	};
	const int	nfields = sizeof(fields) / sizeof(fields[0]);
	const int	reclen = 4 + 4 + 2 + 2 + 1 + 8 + 8 + 8 + 8;
	size_t		off = 16;

	if (with_template)
	{
		size_t		setlen = 4 + 4 + nfields * 4;

		put16(b + off, 2);
		put16(b + off + 2, setlen);
		put16(b + off + 4, 256);
		put16(b + off + 6, nfields);
		for (int f = 0; f < nfields; f++)
		{
			put16(b + off + 8 + f * 4, fields[f][0]);
			put16(b + off + 10 + f * 4, fields[f][1]);
		}
		off += setlen;
	}
	put16(b + off, 256);
	put16(b + off + 2, 4 + n * reclen);
	off += 4;
	for (int k = 0; k < n; k++)
	{
		uint8_t    *r = b + off;
		uint32_t	src, dst, pkts, bytes;
		uint16_t	sport, dport;
		uint8_t		proto;
		uint64_t	ms = (uint64_t) unix_secs * 1000;

		flow_values(first + k, &src, &dst, &sport, &dport, &proto, &pkts, &bytes);
		put32(r, src);
		put32(r + 4, dst);
		put16(r + 8, sport);
		put16(r + 10, dport);
		r[12] = proto;
		put64(r + 13, pkts);
		put64(r + 21, bytes);
		put64(r + 29, ms - 2000);
		put64(r + 37, ms - 1000);
		off += reclen;
	}
	put16(b, 10);
	put16(b + 2, off);
	put32(b + 4, unix_secs);
	put32(b + 8, *seq);
	put32(b + 12, domain);
	*seq += n;
	return off;
}

/* Parse arguments, build and send (or write) the datagrams. */
int
main(int argc, char **argv)
{
	const char *host = "127.0.0.1";
	const char *port = NULL;
	const char *wfile = NULL;
	int			version = 5;
	uint64_t	nflows = 100000;
	double		rate = 0;
	uint32_t	unix_secs = (uint32_t) time(NULL);
	uint32_t	domain = 0;
	int			opt;
	int			sock = -1;
	FILE	   *wf = NULL;
	struct addrinfo hints,
			   *ai;
	uint64_t	sent = 0,
				pkts_total = 0,
				bytes_total = 0,
				dgrams = 0;
	uint32_t	seq = 0;
	double		t0;

	while ((opt = getopt(argc, argv, "h:p:v:n:r:t:o:w:")) != -1)
	{
		switch (opt)
		{
			case 'h':
				host = optarg;
				break;
			case 'p':
				port = optarg;
				break;
			case 'v':
				version = atoi(optarg);
				break;
			case 'n':
				nflows = strtoull(optarg, NULL, 10);
				break;
			case 'r':
				rate = atof(optarg);
				break;
			case 't':
				unix_secs = (uint32_t) strtoul(optarg, NULL, 10);
				break;
			case 'o':
				domain = (uint32_t) strtoul(optarg, NULL, 10);
				break;
			case 'w':
				wfile = optarg;
				break;
			default:
				fprintf(stderr, "usage: flowgen -p PORT [-h HOST] [-v 5|10] [-n FLOWS] [-r RATE] [-t SECS] [-o DOMAIN] [-w FILE]\n");
				return 2;
		}
	}
	if (version != 5 && version != 10)
	{
		fprintf(stderr, "flowgen: version must be 5 or 10\n");
		return 2;
	}
	if (wfile)
	{
		wf = fopen(wfile, "wb");
		if (!wf)
		{
			perror(wfile);
			return 1;
		}
	}
	else
	{
		if (!port)
		{
			fprintf(stderr, "flowgen: -p PORT is required\n");
			return 2;
		}
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_DGRAM;
		if (getaddrinfo(host, port, &hints, &ai) != 0)
		{
			fprintf(stderr, "flowgen: cannot resolve %s\n", host);
			return 1;
		}
		/* Tests send traffic to loopback only. */
		if (!((ai->ai_family == AF_INET &&
			   (ntohl(((struct sockaddr_in *) ai->ai_addr)->sin_addr.s_addr) >> 24) == 127) ||
			  (ai->ai_family == AF_INET6 &&
			   IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *) ai->ai_addr)->sin6_addr))))
		{
			fprintf(stderr, "flowgen: refusing non-loopback destination %s\n", host);
			return 2;
		}
		sock = socket(ai->ai_family, SOCK_DGRAM, 0);
		if (sock < 0 || connect(sock, ai->ai_addr, ai->ai_addrlen) != 0)
		{
			perror("flowgen: socket");
			return 1;
		}
	}
	out_buf = malloc(65536);
	if (!out_buf)
		return 1;

	t0 = mono_now();
	while (sent < nflows)
	{
		int			n = (int) ((nflows - sent) < V5_PER_DGRAM ? (nflows - sent) : V5_PER_DGRAM);
		size_t		len;

		if (version == 5)
			len = build_v5(out_buf, sent, n, unix_secs, &seq);
		else
			len = build_ipfix(out_buf, sent, n, unix_secs, &seq, domain,
							  dgrams % 100 == 0);
		for (int k = 0; k < n; k++)
		{
			uint32_t	src, dst, pkts, bytes;
			uint16_t	sport, dport;
			uint8_t		proto;

			flow_values(sent + k, &src, &dst, &sport, &dport, &proto, &pkts, &bytes);
			pkts_total += pkts;
			bytes_total += bytes;
		}
		if (wf)
		{
			uint8_t		lenbuf[4];

			put32(lenbuf, (uint32_t) len);
			if (fwrite(lenbuf, 4, 1, wf) != 1 || fwrite(out_buf, len, 1, wf) != 1)
			{
				perror(wfile);
				return 1;
			}
		}
		else
		{
			while (send(sock, out_buf, len, 0) < 0)
			{
				if (errno != ENOBUFS && errno != EAGAIN && errno != ECONNREFUSED)
				{
					perror("flowgen: send");
					return 1;
				}
				usleep(100);
			}
		}
		sent += n;
		dgrams++;
		if (rate > 0)
		{
			double		due = t0 + sent / rate;
			double		now = mono_now();

			if (due > now)
				usleep((useconds_t) ((due - now) * 1e6));
		}
	}
	if (wf)
		fclose(wf);
	printf("flows=%llu packets=%llu bytes=%llu datagrams=%llu seconds=%.3f\n",
		   (unsigned long long) sent, (unsigned long long) pkts_total,
		   (unsigned long long) bytes_total, (unsigned long long) dgrams,
		   mono_now() - t0);
	free(out_buf);
	return 0;
}
