/*-------------------------------------------------------------------------
 *
 * flowsynth.c
 *	  Realistic synthetic flows for the storage benchmark
 *	  (scripts/bench_compress.sh): a deterministic, seeded generator that
 *	  writes the IPFIX datagrams four exporters would send over some days,
 *	  and a replayer that sends such a file over loopback UDP at a rate.
 *
 * Usage:
 *	flowsynth gen -o DIR [-n FLOWS] [-d DAYS] [-s SEED] [-t START_UNIX]
 *	flowsynth replay -f FILE -p PORT [-r DATAGRAMS_PER_SEC]
 *
 * gen writes, in the order the exporters send them:
 *	DIR/h0000.dgr ...	one file per hour of export time: each datagram as
 *						a 4-byte big-endian length, one byte of exporter
 *						number (1-4) and the IPFIX message;
 *	DIR/dgrams.copy		the same datagrams as a PostgreSQL binary COPY
 *						file with columns (seq bigint, exporter inet,
 *						received timestamptz, pdu bytea), to be decoded by
 *						netflow.decode() in seq order;
 *	DIR/hours.tsv		per hour: index, flows, packets, bytes, datagrams;
 *	and prints the totals and a few facts the benchmark uses.
 * replay sends one .dgr file to 127.0.0.1:PORT, each datagram from the
 * loopback address of its exporter (127.0.1.N), paced to the rate.
 *
 * The traffic model (a campus with eight sites behind two edge routers, a
 * core switch and a branch router): hosts drawn with Zipf-like weights
 * (few heavy talkers, many quiet ones), internal hosts in 10/8 with 60 %
 * dual-stacked (privacy IPv6 addresses rotating daily), external hosts in
 * CDN prefixes and a long tail of the Internet, each with its AS and BGP
 * prefix length; services by share (HTTPS, QUIC, DNS through the
 * resolvers, mail, VPN, P2P, inbound web, scanners, east-west traffic at
 * the core switch), most conversations giving a request and a response
 * flow; log-normal packet counts with rare elephants, bytes per packet by
 * direction, TCP flags and end reasons by how the flow ended, flows cut at
 * a 120 s active timeout; a daily cycle with quieter weekends.  Arrival
 * order is export order: nearly sorted by time_start.
 *
 *-------------------------------------------------------------------------
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_DGRAM	1400		/* payload size of an exporter's datagram */
#define N_EXP		4
#define N_TMPL		5
#define ACTIVE_TIMEOUT_MS 120000
#define PG_EPOCH_OFFSET 946684800LL /* 2000-01-01 in Unix seconds */

/* ---------------------------------------------------------------- random */

static uint64_t rng_state;

/* splitmix64: a good 64-bit mix, used both as stream and as hash. */
static uint64_t
mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Hash of two values. */
static uint64_t
hash2(uint64_t a, uint64_t b)
{
	return mix64(a * 0x100000001b3ULL ^ mix64(b));
}

/* Next value of the seeded stream. */
static uint64_t
rnd(void)
{
	rng_state += 0x9e3779b97f4a7c15ULL;
	return mix64(rng_state);
}

/* Uniform integer in [0, n). */
static uint64_t
rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

/* Uniform double in [0, 1). */
static double
rnd_unit(void)
{
	return (rnd() >> 11) * (1.0 / 9007199254740992.0);
}

/* Standard normal (Box-Muller). */
static double
rnd_normal(void)
{
	double		u = rnd_unit() + 1e-12;
	double		v = rnd_unit();

	return sqrt(-2.0 * log(u)) * cos(2 * M_PI * v);
}

/* Log-normal integer >= lo with the given median and shape. */
static uint64_t
rnd_lognormal(double median, double sigma, uint64_t lo)
{
	double		x = median * exp(sigma * rnd_normal());

	if (x > 1e12)
		x = 1e12;
	return x < lo ? lo : (uint64_t) x;
}

/* A Zipf-like distribution over ranks 0..n-1: weight 1/(r+1)^s. */
typedef struct
{
	int			n;
	double	   *cdf;
} Zipf;

/* Build the cumulative table of a Zipf distribution. */
static void
zipf_init(Zipf *z, int n, double s)
{
	double		sum = 0;

	z->n = n;
	z->cdf = malloc(sizeof(double) * n);
	if (!z->cdf)
	{
		perror("malloc");
		exit(1);
	}
	for (int i = 0; i < n; i++)
	{
		sum += 1.0 / pow(i + 1, s);
		z->cdf[i] = sum;
	}
	for (int i = 0; i < n; i++)
		z->cdf[i] /= sum;
}

/* Draw a rank. */
static int
zipf_draw(const Zipf *z)
{
	double		u = rnd_unit();
	int			lo = 0,
				hi = z->n - 1;

	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (z->cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* ---------------------------------------------------------------- flows */

typedef struct
{
	int64_t		start_ms,
				end_ms;
	uint8_t		exp;			/* exporter 0..3 */
	uint8_t		v6;
	uint8_t		src[16],
				dst[16],
				nh[16];
	uint16_t	sport,
				dport,
				icmp;
	uint8_t		proto,
				flags,
				tos,
				smask,
				dmask,
				dir,
				reason;
	uint64_t	pkts,
				bytes;
	uint32_t	in_if,
				out_if,
				src_as,
				dst_as;
	uint16_t	svlan,
				dvlan;
	uint8_t		smac[6],
				dmac[6];
} Flow;

/* A host: its IPv4 and (maybe) IPv6 address and its attributes. */
typedef struct
{
	uint8_t		v4[4];
	uint8_t		v6[16];
	int			has_v6;
	int			site;			/* internal: 0..7 */
	int			subnet;			/* internal: 0..63 */
	uint32_t	as;				/* external: origin AS */
	uint8_t		mask4,
				mask6;
	uint8_t		mac[6];
} Host;

#define N_INT	20000			/* internal client hosts */
#define N_EXT	1000000			/* external hosts */
#define N_SCAN	300				/* scanners on the Internet */
#define N_DNS	3000			/* authoritative DNS servers */

static Zipf z_int,
			z_ext,
			z_scan,
			z_dns,
			z_cli;
static int	cur_day;

/* Internal client host of rank r (a permutation spreads heavy hosts). */
static void
internal_host(int r, Host *h)
{
	uint64_t	k = hash2(0x1a7e, r);
	static const uint8_t ouis[][3] = {
		{0x00, 0x50, 0x56}, {0x3c, 0xec, 0xef}, {0xf8, 0xbc, 0x12},
		{0xa4, 0x83, 0xe7}, {0x00, 0x1b, 0x21}, {0xdc, 0xa6, 0x32}
	};
	const uint8_t *oui = ouis[(k >> 40) % 6];

	memset(h, 0, sizeof(*h));
	h->site = k % 8;
	h->subnet = (k >> 8) % 64;
	h->v4[0] = 10;
	h->v4[1] = 1 + h->site;
	h->v4[2] = h->subnet;
	h->v4[3] = 2 + (k >> 16) % 250;
	/* sites 6 and 7 are the branch: IPv4 only */
	h->has_v6 = h->site < 6 && (k >> 24) % 10 < 6;
	h->v6[0] = 0x20;
	h->v6[1] = 0x01;
	h->v6[2] = 0x0d;
	h->v6[3] = 0xb8;
	h->v6[5] = 1 + h->site;
	h->v6[7] = h->subnet;
	{
		/* privacy address: a new interface id every day */
		uint64_t	iid = hash2(k, 0xd00d + cur_day);

		for (int i = 0; i < 8; i++)
			h->v6[8 + i] = iid >> (56 - 8 * i);
	}
	h->mask4 = 24;
	h->mask6 = 64;
	h->mac[0] = oui[0];
	h->mac[1] = oui[1];
	h->mac[2] = oui[2];
	h->mac[3] = k >> 48;
	h->mac[4] = k >> 52;
	h->mac[5] = k >> 56;
}

/* Internal server number i (10.0.0.i, VLAN 10). */
static void
server_host(int i, Host *h)
{
	memset(h, 0, sizeof(*h));
	h->v4[0] = 10;
	h->v4[3] = i;
	h->has_v6 = 1;
	h->v6[0] = 0x20;
	h->v6[1] = 0x01;
	h->v6[2] = 0x0d;
	h->v6[3] = 0xb8;
	h->v6[15] = i;
	h->mask4 = 24;
	h->mask6 = 64;
	h->subnet = -1;
	h->mac[0] = 0x00;
	h->mac[1] = 0x25;
	h->mac[2] = 0xb5;
	h->mac[5] = i;
}

/* CDN and big-network prefixes: /16, their AS and a v6 /32. */
static const struct
{
	uint8_t		a,
				b;
	uint32_t	as;
	uint16_t	v6a,
				v6b;
}			cdn[] = {
	{142, 250, 15169, 0x2a00, 0x1450}, {172, 217, 15169, 0x2607, 0xf8b0},
	{104, 16, 13335, 0x2606, 0x4700}, {104, 18, 13335, 0x2606, 0x4700},
	{151, 101, 54113, 0x2a04, 0x4e42}, {13, 107, 8075, 0x2620, 0x01ec},
	{52, 84, 16509, 0x2a05, 0xd018}, {54, 239, 16509, 0x2600, 0x9000},
	{157, 240, 32934, 0x2a03, 0x2880}, {31, 13, 32934, 0x2a03, 0x2880},
	{23, 32, 20940, 0x2a02, 0x26f0}, {2, 16, 20940, 0x2a02, 0x26f0},
	{17, 253, 714, 0x2a01, 0xb740}, {140, 82, 36459, 0x2606, 0x50c0},
	{185, 199, 54113, 0x2a04, 0x4e42}, {20, 190, 8075, 0x2603, 0x1030},
	{40, 126, 8075, 0x2603, 0x1061}, {199, 232, 13414, 0x2606, 0x1f80},
	{91, 198, 2906, 0x2a00, 0x86c0}, {45, 57, 2906, 0x2a00, 0x86c0},
};
#define N_CDN (int) (sizeof(cdn) / sizeof(cdn[0]))

/* External host of rank r: popular ranks live in CDN prefixes. */
static void
external_host(int r, Host *h)
{
	uint64_t	k = hash2(0xe47, r);

	memset(h, 0, sizeof(*h));
	if (r < 5000)
	{
		int			c = (r < 200) ? (int) (k % 6) : (int) (k % N_CDN);

		h->v4[0] = cdn[c].a;
		h->v4[1] = cdn[c].b;
		h->v4[2] = (k >> 8) % 256;
		h->v4[3] = 1 + (k >> 16) % 254;
		h->as = cdn[c].as;
		h->mask4 = (k >> 24) % 3 == 0 ? 24 : 16;
		h->has_v6 = (k >> 28) % 10 < 6;
		h->v6[0] = cdn[c].v6a >> 8;
		h->v6[1] = cdn[c].v6a;
		h->v6[2] = cdn[c].v6b >> 8;
		h->v6[3] = cdn[c].v6b;
		h->v6[5] = (k >> 32) % 64;
		h->v6[14] = (k >> 40) % 32;
		h->v6[15] = 1 + (k >> 48) % 255;	/* servers: short interface ids */
		h->mask6 = 32 + 16 * ((k >> 56) % 2);
	}
	else
	{
		/* the long tail: a /16 decides the AS and the prefix length */
		uint8_t		a;
		uint64_t	net;

		do
		{
			k = mix64(k);
			a = 1 + k % 223;
		} while (a == 10 || a == 127 || a == 100 || a == 169 || a == 172 ||
				 a == 192 || a == 198 || a == 203);
		h->v4[0] = a;
		h->v4[1] = (k >> 8) % 256;
		h->v4[2] = (k >> 16) % 256;
		h->v4[3] = 1 + (k >> 24) % 254;
		net = hash2(h->v4[0], h->v4[1]);
		h->as = 1000 + net % 5000 * 73 % 399000;
		{
			static const uint8_t lens[] = {24, 24, 24, 22, 20, 19, 16, 18, 21, 23, 17, 24};

			h->mask4 = lens[(net >> 20) % 12];
		}
		h->has_v6 = (k >> 32) % 10 < 2;
		h->v6[0] = 0x2a;
		h->v6[1] = (net >> 24) % 16;
		h->v6[2] = net >> 32;
		h->v6[3] = net >> 40;
		for (int i = 8; i < 16; i++)
			h->v6[i] = hash2(k, i) & 0xff;
		h->mask6 = (net >> 48) % 2 ? 32 : 48;
	}
}

/* An Internet client of the public web servers (uniform, many). */
static void
internet_client(Host *h)
{
	external_host(5000 + zipf_draw(&z_cli) * 7 % (N_EXT - 5000), h);
}

/* Copy the address of the family into a 16-byte slot. */
static void
set_addr(uint8_t *dst, const Host *h, int v6)
{
	memset(dst, 0, 16);
	if (v6)
		memcpy(dst, h->v6, 16);
	else
		memcpy(dst, h->v4, 4);
}

/* An ephemeral client port (Linux or Windows ranges). */
static uint16_t
ephemeral(void)
{
	return rnd_below(3) ? 32768 + rnd_below(28232) : 49152 + rnd_below(16384);
}

/* Exporter of a site's edge traffic: 0 and 1 the edge routers, 3 the branch. */
static int
edge_exporter(const Host *inside)
{
	if (inside->subnet < 0)
		return 0;				/* data centre servers: router 1 */
	if (inside->site >= 6)
		return 3;
	return inside->site % 2;
}

/* Fill the routing fields of an edge flow (out = leaving the campus). */
static void
edge_fields(Flow *f, const Host *inside, const Host *outside, int out)
{
	int			e = f->exp;
	uint64_t	k = hash2(outside->v4[0], outside->v4[1]);
	uint32_t	uplink = (e == 0) ? 1 + k % 2 : (e == 1) ? 1 + 2 * (k % 2) : 1;
	uint32_t	lan = (e == 3) ? 2 + (inside->subnet >= 32) :
		(uint32_t) (e == 0 ? 10 : 20) + (inside->subnet < 0 ? 7 : inside->subnet % 7);

	f->in_if = out ? lan : uplink;
	f->out_if = out ? uplink : lan;
	f->src_as = out ? 0 : outside->as;
	f->dst_as = out ? outside->as : 0;
	f->smask = out ? (f->v6 ? inside->mask6 : inside->mask4) : (f->v6 ? outside->mask6 : outside->mask4);
	f->dmask = out ? (f->v6 ? outside->mask6 : outside->mask4) : (f->v6 ? inside->mask6 : inside->mask4);
	memset(f->nh, 0, 16);
	if (f->v6)
	{
		f->nh[0] = 0x20;
		f->nh[1] = 0x01;
		f->nh[2] = 0x0d;
		f->nh[3] = 0xb8;
		f->nh[4] = out ? 0xff : 0;
		f->nh[15] = out ? uplink : (uint32_t) (1 + e);
	}
	else if (out)
	{
		f->nh[0] = uplink == 1 ? 198 : 203;
		f->nh[1] = uplink == 1 ? 51 : 0;
		f->nh[2] = uplink == 1 ? 100 : 113;
		f->nh[3] = 1;
	}
	else
	{
		f->nh[0] = 10;
		f->nh[1] = 0;
		f->nh[2] = 255;
		f->nh[3] = 1 + e;
	}
	f->dir = (e == 1) ? 1 : 0;	/* router 2 monitors egress */
}

/* Fill the layer-2 fields of a flow seen by the core switch. */
static void
switch_fields(Flow *f, const Host *src, const Host *dst)
{
	int			sv = src->subnet < 0 ? 10 : 100 + src->subnet;
	int			dv = dst->subnet < 0 ? 10 : 100 + dst->subnet;

	f->svlan = sv;
	f->dvlan = dv;
	memcpy(f->smac, src->mac, 6);
	/* routed between VLANs: the destination MAC is the gateway's */
	if (sv == dv)
		memcpy(f->dmac, dst->mac, 6);
	else
	{
		static const uint8_t gw[6] = {0x00, 0x00, 0x0c, 0x07, 0xac, 0x00};

		memcpy(f->dmac, gw, 6);
		f->dmac[5] = sv & 0xff;
	}
	f->in_if = src->subnet < 0 ? 2001 + src->v4[3] % 16 : 1001 + (src->v4[3] + 7 * src->subnet) % 384;
	f->out_if = dst->subnet < 0 ? 2001 + dst->v4[3] % 16 : 1001 + (dst->v4[3] + 7 * dst->subnet) % 384;
	f->dir = 0;
}

/* TCP: packets, bytes, duration, flags and end reason of both directions. */
static void
tcp_pair(Flow *req, Flow *resp, double median_pkts, double down_ratio,
		 int req_bpp, int resp_bpp)
{
	uint64_t	p = rnd_lognormal(median_pkts, 1.5, 3);
	uint64_t	q;
	int64_t		dur;
	int			how = (int) rnd_below(100);

	if (rnd_below(2000) == 0)
		p *= 200 + rnd_below(20000);	/* elephant */
	q = (uint64_t) (p * (0.6 + rnd_unit() * down_ratio)) + 1;
	dur = (int64_t) (rnd_lognormal(400, 1.8, 1) * log2(2.0 + p));
	req->pkts = p;
	resp->pkts = q;
	req->bytes = p * (40 + rnd_below(req_bpp));
	resp->bytes = q * (52 + rnd_below(resp_bpp));
	req->reason = resp->reason = 3;
	if (dur > ACTIVE_TIMEOUT_MS)
	{
		/* a long connection: this record is one active-timeout slice */
		dur = ACTIVE_TIMEOUT_MS - rnd_below(500);
		req->flags = resp->flags = 0x18;
		req->reason = resp->reason = 2;
		if (rnd_below(4) == 0)
		{
			req->flags |= 0x01;
			resp->flags |= 0x01;
		}
	}
	else if (how < 85)
		req->flags = resp->flags = 0x1b;	/* SYN FIN PSH ACK */
	else if (how < 95)
	{
		req->flags = 0x1e;		/* ended by RST */
		resp->flags = 0x1a;
	}
	else
	{
		/* refused */
		req->pkts = 1 + rnd_below(3);
		req->bytes = req->pkts * 60;
		resp->pkts = req->pkts;
		resp->bytes = resp->pkts * 40;
		req->flags = 0x02;
		resp->flags = 0x14;
		dur = rnd_below(3000);
	}
	req->start_ms = req->end_ms - dur;
	resp->start_ms = req->start_ms + 1 + rnd_below(80);
	resp->end_ms = req->end_ms - rnd_below(20);
	if (resp->end_ms < resp->start_ms)
		resp->end_ms = resp->start_ms;
}

/* UDP or ICMP: one or a few packets each way. */
static void
udp_pair(Flow *req, Flow *resp, double median_pkts, int req_bytes, int resp_bytes)
{
	uint64_t	p = median_pkts <= 1 ? 1 : rnd_lognormal(median_pkts, 1.4, 1);
	uint64_t	q = median_pkts <= 1 ? 1 : (uint64_t) (p * (0.5 + rnd_unit())) + 1;
	int64_t		dur = p == 1 ? (int64_t) rnd_below(40) : (int64_t) rnd_lognormal(2000, 1.5, 1);

	if (dur > ACTIVE_TIMEOUT_MS)
		dur = ACTIVE_TIMEOUT_MS - rnd_below(500);
	req->pkts = p;
	resp->pkts = q;
	req->bytes = p * (req_bytes / 2 + rnd_below(req_bytes));
	resp->bytes = q * (resp_bytes / 2 + rnd_below(resp_bytes));
	req->flags = resp->flags = 0;
	req->reason = resp->reason = dur >= ACTIVE_TIMEOUT_MS - 500 ? 2 : 1;
	req->start_ms = req->end_ms - dur;
	resp->start_ms = req->start_ms + rnd_below(30);
	resp->end_ms = req->end_ms + rnd_below(30);
}

/* Mirror a request into its response: addresses, ports, routing swapped. */
static void
mirror(Flow *resp, const Flow *req)
{
	*resp = *req;
	memcpy(resp->src, req->dst, 16);
	memcpy(resp->dst, req->src, 16);
	resp->sport = req->dport;
	resp->dport = req->sport;
	resp->in_if = req->out_if;
	resp->out_if = req->in_if;
	resp->src_as = req->dst_as;
	resp->dst_as = req->src_as;
	resp->smask = req->dmask;
	resp->dmask = req->smask;
	resp->svlan = req->dvlan;
	resp->dvlan = req->svlan;
	memcpy(resp->smac, req->dmac, 6);
	memcpy(resp->dmac, req->smac, 6);
}

/*
 * One conversation ending at end_ms: writes 1 or 2 flows into out[] and
 * returns how many.
 */
static int
conversation(Flow *out, int64_t end_ms)
{
	Flow	   *a = &out[0],
			   *b = &out[1];
	Host		in,
				ext;
	double		u = rnd_unit();
	int			two = 1;
	int			outbound = 1;

	memset(a, 0, sizeof(*a));
	a->end_ms = end_ms;
	a->tos = 0;
	if (rnd_below(20) == 0)
		a->tos = 0x02;			/* ECT(0) */

	if (u < 0.84)
	{
		/* edge traffic: an internal host with an external one */
		int			dns = 0;

		internal_host(zipf_draw(&z_int), &in);
		if (u < 0.34)
		{
			external_host(zipf_draw(&z_ext), &ext);
			a->proto = 6;
			a->dport = 443;
		}
		else if (u < 0.42)
		{
			external_host(zipf_draw(&z_ext) % 5000, &ext);
			a->proto = 17;
			a->dport = 443;
		}
		else if (u < 0.48)
		{
			external_host(zipf_draw(&z_ext), &ext);
			a->proto = 6;
			a->dport = 80;
		}
		else if (u < 0.60)
		{
			/* the resolvers ask authoritative servers */
			server_host(53 + rnd_below(2), &in);
			external_host(zipf_draw(&z_dns) * 331 % N_EXT, &ext);
			a->proto = 17;
			a->dport = 53;
			dns = 1;
		}
		else if (u < 0.615)
		{
			external_host(100 + zipf_draw(&z_dns) % 40, &ext);
			a->proto = 17;
			a->dport = 123;
		}
		else if (u < 0.625)
		{
			server_host(25, &in);
			external_host(zipf_draw(&z_ext), &ext);
			a->proto = 6;
			a->dport = 25;
		}
		else if (u < 0.635)
		{
			server_host(25, &in);
			internet_client(&ext);
			a->proto = 6;
			a->dport = 25;
			outbound = 0;
		}
		else if (u < 0.645)
		{
			external_host(zipf_draw(&z_ext), &ext);
			a->proto = 6;
			a->dport = 22;
		}
		else if (u < 0.665)
		{
			external_host(zipf_draw(&z_ext) % 3000, &ext);
			a->proto = 6;
			a->dport = rnd_below(2) ? 993 : 587;
		}
		else if (u < 0.69)
		{
			external_host(zipf_draw(&z_ext), &ext);
			a->proto = 1;		/* ICMP, ICMPv6 set below */
		}
		else if (u < 0.70)
		{
			external_host(zipf_draw(&z_ext) % 20000, &ext);
			if (rnd_below(2))
			{
				a->proto = 17;
				a->dport = 4500;
			}
			else
				a->proto = 50;
		}
		else if (u < 0.73)
		{
			static const uint16_t other[] = {8080, 8443, 5222, 5228, 1935, 3478, 19302, 853, 5223, 9001};

			external_host(zipf_draw(&z_ext), &ext);
			a->dport = other[rnd_below(10)];
			a->proto = (a->dport == 3478 || a->dport == 19302) ? 17 : 6;
		}
		else if (u < 0.76)
		{
			external_host(zipf_draw(&z_ext), &ext);
			a->proto = rnd_below(4) ? 17 : 6;
			a->dport = 1024 + rnd_below(64512);
			a->sport = 1024 + rnd_below(64512);
		}
		else if (u < 0.80)
		{
			/* the Internet visits the public web servers */
			server_host(100 + rnd_below(4), &in);
			internet_client(&ext);
			a->proto = rnd_below(10) ? 6 : 17;
			a->dport = rnd_below(8) ? 443 : 80;
			outbound = 0;
		}
		else
		{
			/* scanners: one SYN (or UDP probe) to any address, no answer */
			static const uint16_t ports[] = {22, 23, 80, 443, 445, 3389, 8080, 1433, 5900, 6379, 25, 21};

			external_host(N_EXT - 1 - zipf_draw(&z_scan), &ext);
			internal_host(rnd_below(N_INT), &in);
			in.v4[3] = rnd_below(256);
			a->proto = rnd_below(10) ? 6 : 17;
			a->dport = rnd_below(3) ? ports[rnd_below(12)] : rnd_below(65536);
			a->sport = rnd_below(3) ? 54321 : 1024 + rnd_below(64512);
			outbound = 0;
			two = 0;
		}
		a->v6 = !dns && a->proto != 50 && u < 0.80 && in.has_v6 && ext.has_v6 && rnd_below(10) < 7;
		if (dns && in.has_v6 && ext.has_v6 && rnd_below(4) == 0)
			a->v6 = 1;
		a->exp = edge_exporter(&in);
		if (a->exp == 3)
			a->v6 = 0;
		if (a->sport == 0 && a->proto != 1 && a->proto != 50)
			a->sport = (a->dport == 123) ? 123 : (a->dport == 4500) ? 4500 : ephemeral();
		if (outbound)
		{
			set_addr(a->src, &in, a->v6);
			set_addr(a->dst, &ext, a->v6);
		}
		else
		{
			set_addr(a->src, &ext, a->v6);
			set_addr(a->dst, &in, a->v6);
		}
		edge_fields(a, &in, &ext, outbound);
	}
	else
	{
		/* east-west at the core switch: clients and internal servers */
		static const struct
		{
			uint16_t	port;
			uint8_t		proto;
			uint8_t		server;
		}			svc[] = {
			{445, 6, 10}, {445, 6, 11}, {88, 6, 2}, {88, 17, 3}, {389, 6, 2},
			{389, 17, 3}, {53, 17, 53}, {53, 17, 54}, {53, 17, 53}, {3389, 6, 60},
			{9100, 6, 40}, {1433, 6, 30}, {5432, 6, 31}, {3128, 6, 80}, {3128, 6, 80},
			{2049, 6, 12}, {514, 17, 70}, {161, 17, 71}, {443, 6, 81}, {135, 6, 2}
		};
		int			s = (int) rnd_below(20);
		Host		srv;

		internal_host(zipf_draw(&z_int), &in);
		if (in.site >= 6)
			internal_host(zipf_draw(&z_int) % 97, &in);	/* campus hosts only */
		if (in.site >= 6)
			in.site = 0;
		server_host(svc[s].server, &srv);
		a->exp = 2;
		a->proto = svc[s].proto;
		a->dport = svc[s].port;
		a->sport = ephemeral();
		a->v6 = in.has_v6 && rnd_below(3) == 0;
		if (a->dport == 161)
		{
			/* the monitoring server polls every host */
			set_addr(a->src, &srv, a->v6);
			set_addr(a->dst, &in, a->v6);
			switch_fields(a, &srv, &in);
		}
		else
		{
			set_addr(a->src, &in, a->v6);
			set_addr(a->dst, &srv, a->v6);
			switch_fields(a, &in, &srv);
		}
		if (a->dport == 514)
			two = 0;
	}

	/* the protocol's own numbers for the response and the counters */
	if (a->proto == 1)
	{
		int			echo = rnd_below(5) != 0;

		if (a->v6)
			a->proto = 58;
		if (echo)
		{
			a->icmp = (a->v6 ? 128 : 8) << 8;
			mirror(b, a);
			b->icmp = (a->v6 ? 129 : 0) << 8;
			udp_pair(a, b, 3, 84, 84);
		}
		else
		{
			/* an unreachable coming back from the Internet */
			Flow		t = *a;

			mirror(a, &t);
			a->icmp = a->v6 ? (1 << 8) | 4 : (3 << 8) | (rnd_below(2) ? 3 : 1);
			udp_pair(a, b, 1, 120, 120);
			two = 0;
		}
	}
	else if (a->proto == 50)
	{
		mirror(b, a);
		udp_pair(a, b, 200, 300, 600);
	}
	else if (a->proto == 17)
	{
		mirror(b, a);
		if (a->dport == 53)
			udp_pair(a, b, 1, 70, 250);
		else if (a->dport == 123 || a->dport == 161 || a->dport == 88 || a->dport == 389)
			udp_pair(a, b, 1, 90, 200);
		else if (a->dport == 443)
			udp_pair(a, b, 40, 180, 1300);
		else if (a->dport == 514)
			udp_pair(a, b, 8, 200, 200);
		else
			udp_pair(a, b, 15, 300, 600);
	}
	else if (!two)
	{
		/* a scan probe */
		mirror(b, a);
		a->pkts = 1 + (rnd_below(4) == 0);
		a->bytes = a->pkts * (a->proto == 6 ? (rnd_below(2) ? 40 : 44) : 28 + rnd_below(60));
		a->flags = a->proto == 6 ? 0x02 : 0;
		a->reason = 1;
		a->start_ms = a->end_ms - (a->pkts > 1 ? 1000 + rnd_below(2000) : 0);
	}
	else
	{
		mirror(b, a);
		switch (a->dport)
		{
			case 443:
			case 80:
				tcp_pair(a, b, 12, 1.2, 160, 1350);
				break;
			case 445:
			case 2049:
				tcp_pair(a, b, 30, 1.5, 400, 1400);
				break;
			case 25:
			case 587:
				tcp_pair(a, b, 14, 0.5, 900, 120);
				break;
			case 22:
			case 3389:
				tcp_pair(a, b, 60, 1.0, 120, 400);
				break;
			default:
				tcp_pair(a, b, 10, 1.0, 200, 700);
				break;
		}
	}
	if (a->tos == 0 && (a->dport == 3478 || a->dport == 19302))
		a->tos = 0xb8;			/* voice */
	b->tos = a->tos;
	if (a->start_ms > a->end_ms)
		a->start_ms = a->end_ms;
	if (a->exp == 3)
	{
		/* the branch router's template has 4-byte counters */
		for (Flow *f = a; f <= b; f++)
		{
			if (f->pkts > UINT32_MAX)
				f->pkts = UINT32_MAX;
			if (f->bytes > UINT32_MAX)
				f->bytes = UINT32_MAX;
		}
	}
	return two ? 2 : 1;
}

/* ---------------------------------------------------------------- IPFIX */

/* Information elements of the templates: id and length. */
typedef struct
{
	uint16_t	id,
				len;
} Ie;

static const Ie t_router4[] = {
	{8, 4}, {12, 4}, {7, 2}, {11, 2}, {4, 1}, {6, 1}, {5, 1}, {2, 8}, {1, 8},
	{152, 8}, {153, 8}, {10, 4}, {14, 4}, {16, 4}, {17, 4}, {15, 4}, {9, 1},
	{13, 1}, {61, 1}, {136, 1}, {32, 2}, {0, 0}
};
static const Ie t_router6[] = {
	{27, 16}, {28, 16}, {7, 2}, {11, 2}, {4, 1}, {6, 1}, {5, 1}, {2, 8}, {1, 8},
	{152, 8}, {153, 8}, {10, 4}, {14, 4}, {16, 4}, {17, 4}, {62, 16}, {29, 1},
	{30, 1}, {61, 1}, {136, 1}, {139, 2}, {0, 0}
};
static const Ie t_switch4[] = {
	{8, 4}, {12, 4}, {7, 2}, {11, 2}, {4, 1}, {6, 1}, {5, 1}, {2, 8}, {1, 8},
	{152, 8}, {153, 8}, {10, 4}, {14, 4}, {58, 2}, {59, 2}, {56, 6}, {80, 6},
	{61, 1}, {136, 1}, {32, 2}, {0, 0}
};
static const Ie t_switch6[] = {
	{27, 16}, {28, 16}, {7, 2}, {11, 2}, {4, 1}, {6, 1}, {5, 1}, {2, 8}, {1, 8},
	{152, 8}, {153, 8}, {10, 4}, {14, 4}, {58, 2}, {59, 2}, {56, 6}, {80, 6},
	{61, 1}, {136, 1}, {139, 2}, {0, 0}
};
static const Ie t_branch4[] = {
	{8, 4}, {12, 4}, {7, 2}, {11, 2}, {4, 1}, {6, 1}, {5, 1}, {2, 4}, {1, 4},
	{152, 8}, {153, 8}, {10, 4}, {14, 4}, {32, 2}, {0, 0}
};
static const Ie *templates[N_TMPL] = {t_router4, t_router6, t_switch4, t_switch6, t_branch4};

/* Template of a flow: by exporter and family. */
static int
flow_template(const Flow *f)
{
	if (f->exp == 3)
		return 4;
	if (f->exp == 2)
		return f->v6 ? 3 : 2;
	return f->v6 ? 1 : 0;
}

/* Length of a template's data record. */
static int
record_len(int t)
{
	int			n = 0;

	for (const Ie *ie = templates[t]; ie->id; ie++)
		n += ie->len;
	return n;
}

/* Store an unsigned value big-endian in len bytes. */
static void
put_uint(uint8_t *p, uint64_t v, int len)
{
	for (int i = len - 1; i >= 0; i--)
	{
		p[i] = v & 0xff;
		v >>= 8;
	}
}

/* Encode a flow as a data record of template t; returns its length. */
static int
encode_record(uint8_t *p, const Flow *f, int t)
{
	int			off = 0;

	for (const Ie *ie = templates[t]; ie->id; ie++)
	{
		uint8_t    *q = p + off;

		switch (ie->id)
		{
			case 8:
			case 12:
				memcpy(q, ie->id == 8 ? f->src : f->dst, 4);
				break;
			case 27:
			case 28:
				memcpy(q, ie->id == 27 ? f->src : f->dst, 16);
				break;
			case 15:
				memcpy(q, f->nh, 4);
				break;
			case 62:
				memcpy(q, f->nh, 16);
				break;
			case 7:
				put_uint(q, f->sport, 2);
				break;
			case 11:
				put_uint(q, f->dport, 2);
				break;
			case 4:
				*q = f->proto;
				break;
			case 6:
				*q = f->flags;
				break;
			case 5:
				*q = f->tos;
				break;
			case 2:
				put_uint(q, f->pkts, ie->len);
				break;
			case 1:
				put_uint(q, f->bytes, ie->len);
				break;
			case 152:
				put_uint(q, (uint64_t) f->start_ms, 8);
				break;
			case 153:
				put_uint(q, (uint64_t) f->end_ms, 8);
				break;
			case 10:
				put_uint(q, f->in_if, 4);
				break;
			case 14:
				put_uint(q, f->out_if, 4);
				break;
			case 16:
				put_uint(q, f->src_as, 4);
				break;
			case 17:
				put_uint(q, f->dst_as, 4);
				break;
			case 9:
			case 29:
				*q = f->smask;
				break;
			case 13:
			case 30:
				*q = f->dmask;
				break;
			case 61:
				*q = f->dir;
				break;
			case 136:
				*q = f->reason;
				break;
			case 32:
			case 139:
				put_uint(q, f->icmp, 2);
				break;
			case 58:
				put_uint(q, f->svlan, 2);
				break;
			case 59:
				put_uint(q, f->dvlan, 2);
				break;
			case 56:
				memcpy(q, f->smac, 6);
				break;
			case 80:
				memcpy(q, f->dmac, 6);
				break;
		}
		off += ie->len;
	}
	return off;
}

/* Write the template sets of exporter e; returns the length written. */
static int
encode_templates(uint8_t *p, int e)
{
	int			off = 4;

	for (int t = 0; t < N_TMPL; t++)
	{
		int			nf = 0;
		int			used = (e == 3) ? t == 4 : (e == 2) ? (t == 2 || t == 3) : (t == 0 || t == 1);

		if (!used)
			continue;
		for (const Ie *ie = templates[t]; ie->id; ie++)
			nf++;
		put_uint(p + off, 256 + t, 2);
		put_uint(p + off + 2, nf, 2);
		off += 4;
		for (const Ie *ie = templates[t]; ie->id; ie++)
		{
			put_uint(p + off, ie->id, 2);
			put_uint(p + off + 2, ie->len, 2);
			off += 4;
		}
	}
	put_uint(p, 2, 2);
	put_uint(p + 2, off, 2);
	return off;
}

/* ------------------------------------------------------------ generation */

typedef struct
{
	uint8_t		buf[MAX_DGRAM];
	int			len;			/* 0: empty */
	int			nrec;
	int			tmpl;
	int64_t		last_end;
} Pending;

static FILE *copy_f,
		   *hour_f;
static uint64_t seq_no;
static uint32_t exp_seq[N_EXP];
static int	need_templates[N_EXP];
static uint64_t dgrams_hour,
			dgrams_total;
static const uint32_t obs_domain[N_EXP] = {1, 1, 512, 0};

/* Write a value big-endian to a file. */
static void
fput_be(FILE *f, uint64_t v, int len)
{
	uint8_t		b[8];

	put_uint(b, v, len);
	if (fwrite(b, len, 1, f) != 1)
	{
		perror("write");
		exit(1);
	}
}

/* Finish and write the pending datagram of exporter e (data: unless empty). */
static void
emit(Pending *pd, int e, int data)
{
	int64_t		recv_ms;
	uint8_t    *b = pd->buf;

	if (data && pd->nrec == 0)
		return;
	recv_ms = pd->last_end + 1000 + (int64_t) rnd_below(1000);
	put_uint(b, 10, 2);
	put_uint(b + 2, pd->len, 2);
	put_uint(b + 4, (uint64_t) (recv_ms / 1000), 4);
	put_uint(b + 8, exp_seq[e], 4);
	put_uint(b + 12, obs_domain[e], 4);
	exp_seq[e] += pd->nrec;

	/* the replay file */
	fput_be(hour_f, pd->len, 4);
	fputc(1 + e, hour_f);
	if (fwrite(b, pd->len, 1, hour_f) != 1)
	{
		perror("write");
		exit(1);
	}
	/* the COPY file: seq, exporter inet, received, pdu */
	fput_be(copy_f, 4, 2);
	fput_be(copy_f, 8, 4);
	fput_be(copy_f, seq_no++, 8);
	fput_be(copy_f, 8, 4);
	{
		uint8_t		inet[8] = {2, 32, 0, 4, 127, 0, 1, (uint8_t) (1 + e)};

		if (fwrite(inet, 8, 1, copy_f) != 1)
			exit(1);
	}
	fput_be(copy_f, 8, 4);
	fput_be(copy_f, (uint64_t) ((recv_ms - PG_EPOCH_OFFSET * 1000) * 1000), 8);
	fput_be(copy_f, pd->len, 4);
	if (fwrite(b, pd->len, 1, copy_f) != 1)
		exit(1);
	dgrams_hour++;
	dgrams_total++;
	pd->len = 0;
	pd->nrec = 0;
}

/* Order flows by end time. */
static int
cmp_end(const void *x, const void *y)
{
	const Flow *a = x,
			   *b = y;

	return (a->end_ms > b->end_ms) - (a->end_ms < b->end_ms);
}

/* Append a flow to its exporter's datagram, sending it first when full. */
static void
add_flow(Pending *pend, const Flow *f)
{
	int			e = f->exp;
	int			t = flow_template(f);
	Pending    *pd = &pend[e * N_TMPL + t];
	int			rl = record_len(t);

	if (pd->nrec && pd->len + rl > MAX_DGRAM)
		emit(pd, e, 1);
	if (pd->nrec == 0)
	{
		if (need_templates[e])
		{
			/* a datagram of templates first (the exporter's refresh) */
			pd->len = 16 + encode_templates(pd->buf + 16, e);
			pd->last_end = f->end_ms - 1000;
			emit(pd, e, 0);
			need_templates[e] = 0;
		}
		pd->len = 16;
		/* data set header, length filled when records are added */
		put_uint(pd->buf + pd->len, 256 + t, 2);
		pd->tmpl = pd->len;
		pd->len += 4;
	}
	pd->len += encode_record(pd->buf + pd->len, f, t);
	pd->nrec++;
	pd->last_end = f->end_ms;
	put_uint(pd->buf + pd->tmpl + 2, pd->len - pd->tmpl, 2);
}

/* Relative traffic of minute m: a daily cycle, quieter at the weekend. */
static double
minute_weight(int m)
{
	double		h = (m % 1440) / 60.0;
	int			day = m / 1440;
	double		w = 0.15;

	if (h > 6 && h < 22)
		w += pow(sin(M_PI * (h - 6) / 16), 1.5);
	if (day % 7 >= 5)
		w *= 0.45;
	return w;
}

/* The gen command. */
static int
cmd_gen(const char *dir, uint64_t nflows, int days, uint64_t seed, int64_t t0)
{
	int			minutes = days * 1440;
	double		wsum = 0,
				carry = 0;
	Flow	   *buf;
	size_t		cap = 1 << 16;
	Pending    *pend = calloc(N_EXP * N_TMPL, sizeof(Pending));
	uint64_t	made = 0,
				pk_total = 0,
				by_total = 0;
	uint64_t	h_flows = 0,
				h_pk = 0,
				h_by = 0;
	FILE	   *hours;
	char		path[4096];

	rng_state = seed;
	zipf_init(&z_int, N_INT, 1.0);
	zipf_init(&z_ext, N_EXT, 1.05);
	zipf_init(&z_scan, N_SCAN, 1.2);
	zipf_init(&z_dns, N_DNS, 0.9);
	zipf_init(&z_cli, 200000, 0.6);
	buf = malloc(cap * sizeof(Flow));
	if (!buf || !pend)
		return 1;

	snprintf(path, sizeof(path), "%s/dgrams.copy", dir);
	copy_f = fopen(path, "wb");
	snprintf(path, sizeof(path), "%s/hours.tsv", dir);
	hours = fopen(path, "w");
	if (!copy_f || !hours)
	{
		perror(path);
		return 1;
	}
	if (fwrite("PGCOPY\n\377\r\n\0", 11, 1, copy_f) != 1)
		return 1;
	fput_be(copy_f, 0, 4);
	fput_be(copy_f, 0, 4);

	for (int m = 0; m < minutes; m++)
		wsum += minute_weight(m);
	for (int m = 0; m < minutes; m++)
	{
		double		want = nflows * minute_weight(m) / wsum + carry;
		uint64_t	n = (uint64_t) want;
		size_t		k = 0;
		int64_t		mstart = (t0 + (int64_t) m * 60) * 1000;

		if (m == minutes - 1)
			n = nflows - made;
		carry = want - n;
		if (m % 60 == 0)
		{
			snprintf(path, sizeof(path), "%s/h%04d.dgr", dir, m / 60);
			hour_f = fopen(path, "wb");
			if (!hour_f)
			{
				perror(path);
				return 1;
			}
			dgrams_hour = 0;
		}
		cur_day = m / 1440;
		for (int e = 0; e < N_EXP; e++)
			need_templates[e] = 1;	/* templates resent every minute */
		while (k < n)
		{
			Flow		two[2];
			int			c = conversation(two, mstart + (int64_t) rnd_below(60000));

			if (k + c > cap)
			{
				cap *= 2;
				buf = realloc(buf, cap * sizeof(Flow));
				if (!buf)
					return 1;
			}
			for (int i = 0; i < c && k < n; i++)
				buf[k++] = two[i];
		}
		qsort(buf, k, sizeof(Flow), cmp_end);
		for (size_t i = 0; i < k; i++)
		{
			add_flow(pend, &buf[i]);
			h_flows++;
			h_pk += buf[i].pkts;
			h_by += buf[i].bytes;
		}
		for (int e = 0; e < N_EXP; e++)
			for (int t = 0; t < N_TMPL; t++)
				emit(&pend[e * N_TMPL + t], e, 1);
		made += k;
		if (m % 60 == 59)
		{
			fclose(hour_f);
			fprintf(hours, "%d\t%llu\t%llu\t%llu\t%llu\n", m / 60,
					(unsigned long long) h_flows, (unsigned long long) h_pk,
					(unsigned long long) h_by, (unsigned long long) dgrams_hour);
			pk_total += h_pk;
			by_total += h_by;
			h_flows = h_pk = h_by = 0;
		}
	}
	fput_be(copy_f, 0xffff, 2);
	if (fclose(copy_f) != 0 || fclose(hours) != 0)
	{
		perror("close");
		return 1;
	}
	{
		Host		h;

		internal_host(30, &h);
		printf("flows=%llu packets=%llu bytes=%llu datagrams=%llu host=%d.%d.%d.%d\n",
			   (unsigned long long) made, (unsigned long long) pk_total,
			   (unsigned long long) by_total, (unsigned long long) dgrams_total,
			   h.v4[0], h.v4[1], h.v4[2], h.v4[3]);
	}
	return 0;
}

/* ---------------------------------------------------------------- replay */

/* Current monotonic time in seconds. */
static double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The replay command: send a .dgr file to 127.0.0.1:port. */
static int
cmd_replay(const char *file, int port, double rate)
{
	int			socks[N_EXP];
	struct sockaddr_in to;
	FILE	   *f = fopen(file, "rb");
	uint8_t		buf[65536];
	uint64_t	sent = 0;
	double		t0 = mono_now();

	if (!f)
	{
		perror(file);
		return 1;
	}
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_port = htons(port);
	to.sin_addr.s_addr = htonl(0x7f000001);
	for (int e = 0; e < N_EXP; e++)
	{
		struct sockaddr_in from;

		memset(&from, 0, sizeof(from));
		from.sin_family = AF_INET;
		from.sin_addr.s_addr = htonl(0x7f000101 + e);	/* 127.0.1.(e+1) */
		socks[e] = socket(AF_INET, SOCK_DGRAM, 0);
		if (socks[e] < 0 || bind(socks[e], (struct sockaddr *) &from, sizeof(from)) != 0 ||
			connect(socks[e], (struct sockaddr *) &to, sizeof(to)) != 0)
		{
			perror("flowsynth: socket");
			return 1;
		}
	}
	for (;;)
	{
		uint8_t		hdr[5];
		uint32_t	len;
		int			e;

		if (fread(hdr, 5, 1, f) != 1)
			break;
		len = (uint32_t) hdr[0] << 24 | hdr[1] << 16 | hdr[2] << 8 | hdr[3];
		e = hdr[4] - 1;
		if (len > sizeof(buf) || e < 0 || e >= N_EXP || fread(buf, len, 1, f) != 1)
		{
			fprintf(stderr, "flowsynth: %s is damaged\n", file);
			return 1;
		}
		while (send(socks[e], buf, len, 0) < 0)
		{
			if (errno != ENOBUFS && errno != EAGAIN && errno != ECONNREFUSED)
			{
				perror("flowsynth: send");
				return 1;
			}
			usleep(100);
		}
		sent++;
		if (rate > 0)
		{
			double		due = t0 + sent / rate;
			double		now = mono_now();

			if (due > now + 0.001)
				usleep((useconds_t) ((due - now) * 1e6));
		}
	}
	fclose(f);
	printf("datagrams=%llu seconds=%.3f\n", (unsigned long long) sent, mono_now() - t0);
	return 0;
}

/* Parse the command line and run a command. */
int
main(int argc, char **argv)
{
	const char *dir = NULL,
			   *file = NULL;
	uint64_t	nflows = 1000000,
				seed = 11;
	int			days = 7,
				port = 0,
				opt;
	double		rate = 0;
	int64_t		t0 = 1793577600;	/* 2026-11-02 00:00 UTC, a Monday */

	if (argc < 2)
		goto usage;
	optind = 2;
	while ((opt = getopt(argc, argv, "o:n:d:s:t:f:p:r:")) != -1)
	{
		switch (opt)
		{
			case 'o':
				dir = optarg;
				break;
			case 'n':
				nflows = strtoull(optarg, NULL, 10);
				break;
			case 'd':
				days = atoi(optarg);
				break;
			case 's':
				seed = strtoull(optarg, NULL, 10);
				break;
			case 't':
				t0 = strtoll(optarg, NULL, 10);
				break;
			case 'f':
				file = optarg;
				break;
			case 'p':
				port = atoi(optarg);
				break;
			case 'r':
				rate = atof(optarg);
				break;
			default:
				goto usage;
		}
	}
	if (strcmp(argv[1], "gen") == 0 && dir && days > 0 && days <= 366 && t0 % 3600 == 0)
		return cmd_gen(dir, nflows, days, seed, t0);
	if (strcmp(argv[1], "replay") == 0 && file && port > 0 && port < 65536)
		return cmd_replay(file, port, rate);
usage:
	fprintf(stderr, "usage: flowsynth gen -o DIR [-n FLOWS] [-d DAYS] [-s SEED] [-t START_UNIX (whole hour)]\n"
			"       flowsynth replay -f FILE -p PORT [-r DATAGRAMS_PER_SEC]\n");
	return 2;
}
