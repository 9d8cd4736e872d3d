/*-------------------------------------------------------------------------
 *
 * sampling.c
 *	  Sampling rates per exporter stream (see sampling.h).
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "sampling.h"

/* Start with no sampling information. */
void
nfd_sampling_init(nf_sampling *s)
{
	memset(s, 0, sizeof(*s));
}

/* Remember the interval of sampler (kind, id); true if it is news. */
bool
nfd_sampling_set(nf_sampling *s, uint8_t kind, uint64_t id, uint64_t interval)
{
	uint32_t	i;

	s->announced = true;
	for (i = 0; i < s->n; i++)
	{
		if (s->s[i].kind == kind && s->s[i].id == id)
		{
			bool		changed = s->s[i].interval != interval;

			s->s[i].interval = interval;
			return changed;
		}
	}
	if (s->n < NF_MAX_SAMPLERS)
		i = s->n++;
	else
	{
		i = s->next_replace;
		s->next_replace = (s->next_replace + 1) % NF_MAX_SAMPLERS;
	}
	s->s[i].kind = kind;
	s->s[i].id = id;
	s->s[i].interval = interval;
	return true;
}

/* Remember the exporter-wide interval; true if it is news. */
bool
nfd_sampling_set_default(nf_sampling *s, uint64_t interval)
{
	bool		changed = !s->has_default || s->default_interval != interval;

	s->announced = true;
	s->has_default = true;
	s->default_interval = interval;
	return changed;
}

/* Interval of sampler (kind, id). */
bool
nfd_sampling_find(const nf_sampling *s, uint8_t kind, uint64_t id,
				  uint64_t *interval)
{
	uint32_t	i;

	for (i = 0; i < s->n; i++)
	{
		if (s->s[i].kind == kind && s->s[i].id == id)
		{
			*interval = s->s[i].interval;
			return true;
		}
	}
	return false;
}

/* Interval for records naming no (known) sampler. */
uint64_t
nfd_sampling_fallback(const nf_sampling *s)
{
	if (s->has_default)
		return s->default_interval;
	return s->announced ? 0 : 1;
}
