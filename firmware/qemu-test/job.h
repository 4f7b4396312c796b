/* The test job pytest places at JOB_ADDR: a header, the model, the input, and expectations.
 * All fields little-endian; offsets are from the start of the job. */
#ifndef QEMU_TEST_JOB_H
#define QEMU_TEST_JOB_H

#include <stdint.h>

#define JOB_MAGIC 0x3154514bu /* "KQT1" */

enum job_kind {
    JOB_LAYER_HASHES = 1,  /* expectations are job_hash_t: per-layer output or final output */
    JOB_FLOAT_OUTPUT = 2,  /* expectations are job_float_t: output 0 element by element */
};

typedef struct job_header {
    uint32_t magic, kind;
    uint32_t model_offset, model_size;
    uint32_t input_offset, input_size;
    uint32_t expect_offset, expect_count;
    char name[32];          /* printed in every result line */
} job_header_t;

#define JOB_FINAL_OUTPUT (-1)

typedef struct job_hash {
    int32_t layer;          /* layer index, or JOB_FINAL_OUTPUT for output 0 of a full run */
    uint32_t reserved;
    uint8_t sha256_prefix[8];
    uint64_t byte_sum;      /* sum of the bytes (ignored for the final output) */
} job_hash_t;

typedef struct job_float {
    float value, tolerance;
} job_float_t;

#endif
