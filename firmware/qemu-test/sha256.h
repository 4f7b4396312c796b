/* SHA-256 (FIPS 180-4), enough for hashing test outputs on bare metal. */
#ifndef QEMU_TEST_SHA256_H
#define QEMU_TEST_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct sha256_ctx {
    uint32_t h[8];
    uint64_t length;       /* bytes hashed so far */
    uint8_t block[64];
    size_t used;
} sha256_ctx_t;

void sha256_init(sha256_ctx_t *c);
void sha256_update(sha256_ctx_t *c, const void *data, size_t n);
void sha256_final(sha256_ctx_t *c, uint8_t digest[32]);

#endif
