/* core/hash: stable 64-bit ids (XXH3) for articles and fingerprints.
 * Ids must never change between versions: they key the archive. */
#ifndef PM_CORE_HASH_H
#define PM_CORE_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t pm_hash64(const void *data, size_t len);
uint64_t pm_hash64_str(const char *s);
/* Writes 16 lower-case hex digits and a NUL into out[17]. */
void pm_id_hex(uint64_t id, char out[17]);
/* Parses 16 hex digits; returns -1 if s is not exactly that. */
int pm_id_parse(const char *s, uint64_t *out /* OUT */);

#endif
