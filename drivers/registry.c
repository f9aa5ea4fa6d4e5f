/* Driver lookup by the name given in the config. */
#include <string.h>

#include "tapmeet/leds.h"
#include "tapmeet/reader.h"

static const struct tm_reader_ops *const readers[] = {
	&tm_reader_sim_ops,
#ifdef TAPMEET_HAVE_LIBNFC
	&tm_reader_libnfc_ops,
#endif
};

static const struct tm_leds_ops *const leds[] = {
	&tm_leds_sim_ops,
	&tm_leds_none_ops,
#ifdef TAPMEET_HAVE_GPIOD
	&tm_leds_gpiod_ops,
#endif
};

const struct tm_reader_ops *tm_reader_find(const char *name)
{
	for (size_t i = 0; i < sizeof(readers) / sizeof(readers[0]); i++)
		if (strcmp(readers[i]->name, name) == 0)
			return readers[i];
	return NULL;
}

const struct tm_leds_ops *tm_leds_find(const char *name)
{
	for (size_t i = 0; i < sizeof(leds) / sizeof(leds[0]); i++)
		if (strcmp(leds[i]->name, name) == 0)
			return leds[i];
	return NULL;
}

const char *tm_reader_state_name(enum tm_reader_state state)
{
	switch (state) {
	case TM_READER_CONNECTING:
		return "connecting";
	case TM_READER_OK:
		return "ok";
	case TM_READER_FAULT:
		return "fault";
	}
	return "unknown";
}
