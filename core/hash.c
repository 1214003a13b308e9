/* core/hash: XXH3-64 with seed 0; the id format is 16 lower-case hex digits. */
#include "core/hash.h"

#include <stdio.h>
#include <xxhash.h>

uint64_t pm_hash64(const void *data, size_t len)
{
	return (uint64_t)XXH3_64bits(data, len);
}

uint64_t pm_hash64_str(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return pm_hash64(s, n);
}

void pm_id_hex(uint64_t id, char out[17])
{
	snprintf(out, 17, "%016llx", (unsigned long long)id);
}

int pm_id_parse(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 16; i++) {
		char c = s[i];
		int d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		v = (v << 4) | (uint64_t)d;
	}
	if (s[16])
		return -1;
	*out = v;
	return 0;
}
