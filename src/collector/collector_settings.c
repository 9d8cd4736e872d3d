/*-------------------------------------------------------------------------
 *
 * collector_settings.c
 *	  Definition, validation and parsing of the collector's configuration
 *	  parameters (netflow.listen, netflow.allowed_exporters, ...).
 *
 * Every setting is documented in docs/configuration.md.  List-valued
 * settings are validated by check hooks, so a typo is reported when the
 * server starts or the configuration is reloaded, not later by a worker.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <ctype.h>
#include <limits.h>

#include "utils/guc.h"

#include "collector_settings.h"

char	   *nf_listen = NULL;
char	   *nf_database = NULL;
char	   *nf_role = NULL;
int			nf_workers = 1;
int			nf_rcvbuf_kb = 4096;
int			nf_flush_interval_ms = 1000;
int			nf_batch_size = 10000;
char	   *nf_allowed_exporters = NULL;
int			nf_synchronous_commit = NF_SYNC_OFF;
int			nf_queue_size_kb = 262144;
int			nf_shutdown_timeout_ms = 30000;
int			nf_test_fail_decode_every = 0;

/* Parsed netflow.allowed_exporters, owned by the GUC machinery ("extra"). */
static NfCidrList *allowed_list = NULL;

static const struct config_enum_entry sync_commit_options[] = {
	{"off", NF_SYNC_OFF, false},
	{"local", NF_SYNC_LOCAL, false},
	{"remote_write", NF_SYNC_REMOTE_WRITE, false},
	{"remote_apply", NF_SYNC_REMOTE_APPLY, false},
	{"on", NF_SYNC_ON, false},
	{NULL, 0, false}
};

/* Name of the server's synchronous_commit value for ours. */
const char *
nf_sync_commit_name(int value)
{
	const struct config_enum_entry *e;

	for (e = sync_commit_options; e->name != NULL; e++)
		if (e->val == value)
			return e->name;
	return "off";
}

/* Is 'c' a list separator (comma or white space)? */
static bool
is_separator(char c)
{
	return c == ',' || isspace((unsigned char) c);
}

/*
 * Copy the next list item of 's' (starting at *pos) into buf; returns false
 * at the end of the list or when the item does not fit.
 */
static bool
next_item(const char *s, size_t *pos, char *buf, size_t buflen, bool *toolong)
{
	size_t		i = *pos;
	size_t		n = 0;

	*toolong = false;
	while (s[i] != '\0' && is_separator(s[i]))
		i++;
	if (s[i] == '\0')
	{
		*pos = i;
		return false;
	}
	while (s[i] != '\0' && !is_separator(s[i]))
	{
		if (n + 1 >= buflen)
		{
			*toolong = true;
			return false;
		}
		buf[n++] = s[i++];
	}
	buf[n] = '\0';
	*pos = i;
	return true;
}

/* Parse a decimal port number 1..65535; false if not one. */
static bool
parse_port(const char *s, uint16_t *port)
{
	long		v = 0;

	if (*s == '\0')
		return false;
	for (; *s; s++)
	{
		if (!isdigit((unsigned char) *s))
			return false;
		v = v * 10 + (*s - '0');
		if (v > 65535)
			return false;
	}
	if (v < 1)
		return false;
	*port = (uint16_t) v;
	return true;
}

/* Append an IPv4 listen address to out[]; false when it is full. */
static bool
add_listen_v4(NfListenAddr *out, int max, int *n, const struct in_addr *a,
			  uint16_t port, const char *text)
{
	struct sockaddr_in *sin;

	if (*n >= max)
		return false;
	memset(&out[*n], 0, sizeof(NfListenAddr));
	sin = (struct sockaddr_in *) &out[*n].ss;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	sin->sin_addr = *a;
	out[*n].sslen = sizeof(struct sockaddr_in);
	strlcpy(out[*n].text, text, sizeof(out[*n].text));
	(*n)++;
	return true;
}

/* Append an IPv6 listen address to out[]; false when it is full. */
static bool
add_listen_v6(NfListenAddr *out, int max, int *n, const struct in6_addr *a,
			  uint16_t port, const char *text)
{
	struct sockaddr_in6 *sin6;

	if (*n >= max)
		return false;
	memset(&out[*n], 0, sizeof(NfListenAddr));
	sin6 = (struct sockaddr_in6 *) &out[*n].ss;
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	sin6->sin6_addr = *a;
	out[*n].sslen = sizeof(struct sockaddr_in6);
	strlcpy(out[*n].text, text, sizeof(out[*n].text));
	(*n)++;
	return true;
}

/* Parse a netflow.listen value (see collector_settings.h). */
int
nf_parse_listen(const char *value, NfListenAddr *out, int max, const char **err)
{
	size_t		pos = 0;
	int			n = 0;
	char		item[128];
	bool		toolong;

	*err = NULL;
	if (value == NULL)
		return 0;
	while (next_item(value, &pos, item, sizeof(item), &toolong))
	{
		char	   *colon;
		char	   *host = item;
		uint16_t	port;
		struct in_addr a4;
		struct in6_addr a6;

		if (item[0] == '[')
		{
			char	   *close = strchr(item, ']');

			if (close == NULL || close[1] != ':')
			{
				*err = "an IPv6 address must be written as [address]:port";
				return -1;
			}
			*close = '\0';
			host = item + 1;
			colon = close + 1;
		}
		else
		{
			colon = strrchr(item, ':');
			if (colon == NULL || strchr(item, ':') != colon)
			{
				*err = "each entry must be address:port, with IPv6 addresses in brackets";
				return -1;
			}
			*colon = '\0';
		}
		if (!parse_port(colon + 1, &port))
		{
			*err = "the port must be a number between 1 and 65535";
			return -1;
		}
		if (strcmp(host, "*") == 0)
		{
			char		text[64];

			a4.s_addr = htonl(INADDR_ANY);
			snprintf(text, sizeof(text), "0.0.0.0:%u", (unsigned) port);
			if (!add_listen_v4(out, max, &n, &a4, port, text))
				goto toomany;
			snprintf(text, sizeof(text), "[::]:%u", (unsigned) port);
			if (!add_listen_v6(out, max, &n, &in6addr_any, port, text))
				goto toomany;
		}
		else if (item[0] != '[' && inet_pton(AF_INET, host, &a4) == 1)
		{
			char		text[64];

			snprintf(text, sizeof(text), "%s:%u", host, (unsigned) port);
			if (!add_listen_v4(out, max, &n, &a4, port, text))
				goto toomany;
		}
		else if (item[0] == '[' && inet_pton(AF_INET6, host, &a6) == 1)
		{
			char		text[64];

			snprintf(text, sizeof(text), "[%s]:%u", host, (unsigned) port);
			if (!add_listen_v6(out, max, &n, &a6, port, text))
				goto toomany;
		}
		else
		{
			*err = "the address must be a numeric IPv4 address, a bracketed IPv6 address or *";
			return -1;
		}
	}
	if (toolong)
	{
		*err = "an entry is too long";
		return -1;
	}
	return n;

toomany:
	*err = "too many listen addresses";
	return -1;
}

/* Parse one "address[/bits]" into c; false if invalid. */
static bool
parse_cidr(char *item, NfCidr *c)
{
	char	   *slash = strchr(item, '/');
	int			maxbits;
	long		bits;
	int			i;

	memset(c, 0, sizeof(*c));
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, item, c->addr) == 1)
	{
		c->family = NF_AF_INET;
		maxbits = 32;
	}
	else if (inet_pton(AF_INET6, item, c->addr) == 1)
	{
		c->family = NF_AF_INET6;
		maxbits = 128;
	}
	else
		return false;

	bits = maxbits;
	if (slash)
	{
		char	   *end;

		if (slash[1] == '\0' || !isdigit((unsigned char) slash[1]))
			return false;
		bits = strtol(slash + 1, &end, 10);
		if (*end != '\0' || bits < 0 || bits > maxbits)
			return false;
	}
	c->bits = (uint8_t) bits;
	/* clear host bits so that matching compares whole bytes */
	for (i = 0; i < 16; i++)
	{
		int			keep = (int) bits - i * 8;

		if (keep <= 0)
			c->addr[i] = 0;
		else if (keep < 8)
			c->addr[i] &= (uint8_t) (0xFF << (8 - keep));
	}
	return true;
}

/* Check hook of netflow.allowed_exporters: parse into *extra. */
static bool
check_allowed_exporters(char **newval, void **extra, GucSource source)
{
	NfCidr	   *items;
	NfCidrList *list;
	size_t		pos = 0;
	int			n = 0;
	char		item[128];
	bool		toolong;

	items = malloc(sizeof(NfCidr) * NF_MAX_CIDRS);
	if (items == NULL)
		return false;
	while (*newval && next_item(*newval, &pos, item, sizeof(item), &toolong))
	{
		if (n >= NF_MAX_CIDRS)
		{
			GUC_check_errdetail("At most %d networks can be listed.", NF_MAX_CIDRS);
			free(items);
			return false;
		}
		if (!parse_cidr(item, &items[n]))
		{
			GUC_check_errdetail("\"%s\" is not an IPv4 or IPv6 address or network (address/bits).",
								item);
			free(items);
			return false;
		}
		n++;
	}
	if (*newval && toolong)
	{
		GUC_check_errdetail("An entry is too long.");
		free(items);
		return false;
	}
	list = malloc(offsetof(NfCidrList, items) + sizeof(NfCidr) * (n > 0 ? n : 1));
	if (list == NULL)
	{
		free(items);
		return false;
	}
	list->n = n;
	if (n > 0)
		memcpy(list->items, items, sizeof(NfCidr) * n);
	free(items);
	*extra = list;
	return true;
}

/* Assign hook of netflow.allowed_exporters: use the parsed list. */
static void
assign_allowed_exporters(const char *newval, void *extra)
{
	allowed_list = (NfCidrList *) extra;
}

/* Check hook of netflow.listen: reject values the receivers cannot use. */
static bool
check_listen(char **newval, void **extra, GucSource source)
{
	NfListenAddr *tmp;
	const char *err;
	int			n;

	tmp = malloc(sizeof(NfListenAddr) * NF_MAX_LISTEN);
	if (tmp == NULL)
		return false;
	n = nf_parse_listen(*newval, tmp, NF_MAX_LISTEN, &err);
	free(tmp);
	if (n < 0)
	{
		GUC_check_errdetail("%s", err);
		return false;
	}
	return true;
}

/* Is 'a' inside one of the networks of 'list' (empty list: yes)? */
bool
nf_cidr_list_contains(const NfCidrList *list, const nf_addr *a)
{
	int			i;

	if (list == NULL || list->n == 0)
		return true;
	for (i = 0; i < list->n; i++)
	{
		const NfCidr *c = &list->items[i];
		int			full = c->bits / 8;
		int			rest = c->bits % 8;

		if (c->family != a->family)
			continue;
		if (full > 0 && memcmp(c->addr, a->a, full) != 0)
			continue;
		if (rest > 0 &&
			(a->a[full] & (uint8_t) (0xFF << (8 - rest))) != c->addr[full])
			continue;
		return true;
	}
	return false;
}

/* Is 'a' inside the current netflow.allowed_exporters (empty: yes)? */
bool
nf_exporter_allowed(const nf_addr *a)
{
	return nf_cidr_list_contains(allowed_list, a);
}

/* Define the settings only the postmaster reads (PGC_POSTMASTER). */
static void
define_postmaster_settings(void)
{
	DefineCustomStringVariable("netflow.listen",
							   "UDP addresses the collector listens on (address:port list).",
							   "IPv6 addresses are written in brackets, * means every IPv4 and IPv6 address. Empty disables the collector.",
							   &nf_listen,
							   "*:2055",
							   PGC_POSTMASTER,
							   GUC_LIST_INPUT,
							   check_listen, NULL, NULL);

	DefineCustomStringVariable("netflow.database",
							   "Database the collector inserts flows into.",
							   NULL,
							   &nf_database,
							   "postgres",
							   PGC_POSTMASTER,
							   0,
							   NULL, NULL, NULL);

	DefineCustomStringVariable("netflow.role",
							   "Role the collector's inserter connects as (empty: the bootstrap superuser).",
							   NULL,
							   &nf_role,
							   "",
							   PGC_POSTMASTER,
							   0,
							   NULL, NULL, NULL);

	DefineCustomIntVariable("netflow.workers",
							"Number of receive workers (each listens on every address with SO_REUSEPORT).",
							NULL,
							&nf_workers,
							1, 1, NF_MAX_RECEIVERS,
							PGC_POSTMASTER,
							0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("netflow.queue_size",
							"Shared memory queue between receive workers and the inserter.",
							"Datagrams wait here while the inserter is busy or the table is locked; a full queue drops datagrams (drop_queue_full).",
							&nf_queue_size_kb,
							262144, 1024, INT_MAX,
							PGC_POSTMASTER,
							GUC_UNIT_KB,
							NULL, NULL, NULL);
}

/*
 * Define the settings of the inserter's shutdown and its test-only fault
 * injection (PGC_SUSET: never settable by a non-superuser).
 */
static void
define_shutdown_settings(void)
{
	DefineCustomIntVariable("netflow.shutdown_timeout",
							"Longest time the inserter spends inserting what is queued when the server stops.",
							"What is left then is dropped and counted (drop_shutdown, drop_shutdown_queued).",
							&nf_shutdown_timeout_ms,
							30000, 0, 3600000,
							PGC_SIGHUP,
							GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("netflow.test_fail_decode_every",
							"Test only: the inserter raises an ERROR at every Nth decoded flow (0: never).",
							NULL,
							&nf_test_fail_decode_every,
							0, 0, INT_MAX,
							PGC_SUSET,
							GUC_NOT_IN_SAMPLE | GUC_NO_SHOW_ALL,
							NULL, NULL, NULL);
}

/*
 * Define the collector's GUCs (called from _PG_init).  PGC_POSTMASTER
 * settings can only be defined while preloading; without preloading the
 * collector does not run and only the reloadable settings are defined.
 */
void
nf_collector_define_settings(bool preloading)
{
	if (preloading)
		define_postmaster_settings();

	DefineCustomIntVariable("netflow.rcvbuf",
							"Socket receive buffer size requested from the kernel (SO_RCVBUF); 0 keeps the system default.",
							"The kernel caps it at net.core.rmem_max; the granted size is logged and shown in netflow.collector_stats.",
							&nf_rcvbuf_kb,
							4096, 0, INT_MAX / 2048,
							PGC_SIGHUP,
							GUC_UNIT_KB,
							NULL, NULL, NULL);

	DefineCustomIntVariable("netflow.flush_interval",
							"Longest time a received flow waits before it is inserted.",
							NULL,
							&nf_flush_interval_ms,
							1000, 10, 600000,
							PGC_SIGHUP,
							GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("netflow.batch_size",
							"Number of buffered flows that triggers an insert before flush_interval elapses.",
							NULL,
							&nf_batch_size,
							10000, 1, 1000000,
							PGC_SIGHUP,
							0,
							NULL, NULL, NULL);

	DefineCustomStringVariable("netflow.allowed_exporters",
							   "Networks (address/bits list) the collector accepts datagrams from (empty: any).",
							   "Datagrams from other sources are dropped and counted as drop_not_allowed.",
							   &nf_allowed_exporters,
							   "",
							   PGC_SIGHUP,
							   GUC_LIST_INPUT,
							   check_allowed_exporters, assign_allowed_exporters, NULL);

	DefineCustomEnumVariable("netflow.synchronous_commit",
							 "synchronous_commit used by the collector's insert transactions.",
							 NULL,
							 &nf_synchronous_commit,
							 NF_SYNC_OFF,
							 sync_commit_options,
							 PGC_SIGHUP,
							 0,
							 NULL, NULL, NULL);

	define_shutdown_settings();
}
