/*-------------------------------------------------------------------------
 *
 * id_map.c
 *	  Direct index from a 16-bit id to a pointer (see id_map.h).
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "id_map.h"

/* Start empty. */
void
nfd_idmap_init(nf_idmap *m)
{
	memset(m, 0, sizeof(*m));
}

/* Set 'id' to 'v'. */
bool
nfd_idmap_set(nf_idmap *m, uint16_t id, void *v)
{
	nf_idpage  *pg;

	if (m->dir == NULL)
	{
		m->dir = calloc(256, sizeof(nf_idpage *));
		if (m->dir == NULL)
			return false;
	}
	pg = m->dir[id >> 8];
	if (pg == NULL)
	{
		pg = calloc(1, sizeof(nf_idpage));
		if (pg == NULL)
		{
			if (m->npages == 0)
			{
				free(m->dir);
				m->dir = NULL;
			}
			return false;
		}
		m->dir[id >> 8] = pg;
		m->npages++;
	}
	if (pg->slot[id & 255] == NULL)
	{
		pg->n++;
		m->n++;
	}
	pg->slot[id & 255] = v;
	return true;
}

/* Clear 'id'. */
void
nfd_idmap_clear(nf_idmap *m, uint16_t id)
{
	nf_idpage  *pg;

	if (m->dir == NULL || (pg = m->dir[id >> 8]) == NULL ||
		pg->slot[id & 255] == NULL)
		return;
	pg->slot[id & 255] = NULL;
	pg->n--;
	m->n--;
	if (pg->n == 0)
	{
		free(pg);
		m->dir[id >> 8] = NULL;
		m->npages--;
		if (m->npages == 0)
		{
			free(m->dir);
			m->dir = NULL;
		}
	}
}

/* Bytes the index holds. */
size_t
nfd_idmap_bytes(const nf_idmap *m)
{
	if (m->dir == NULL)
		return 0;
	return 256 * sizeof(nf_idpage *) + (size_t) m->npages * sizeof(nf_idpage);
}

/* Free everything. */
void
nfd_idmap_free(nf_idmap *m)
{
	int			i;

	if (m->dir != NULL)
	{
		for (i = 0; i < 256; i++)
			free(m->dir[i]);
		free(m->dir);
	}
	memset(m, 0, sizeof(*m));
}

/* Call fn for every set id, in id order. */
void
nfd_idmap_each(nf_idmap *m, nf_idmap_fn fn, void *arg)
{
	int			i;

	for (i = 0; i < 256 && m->dir != NULL; i++)
	{
		nf_idpage  *pg = m->dir[i];
		uint32_t	left;
		int			j;

		if (pg == NULL)
			continue;
		/* stop at the page's last value: fn may free the page with it */
		left = pg->n;
		for (j = 0; j < 256 && left > 0; j++)
		{
			void	   *v = pg->slot[j];

			if (v == NULL)
				continue;
			left--;
			fn(arg, (uint16_t) (i << 8 | j), v);
		}
	}
}
