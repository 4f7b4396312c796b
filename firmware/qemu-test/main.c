/* Bare-metal check of the MaixKPU core on RV64 under QEMU: loads the job pytest placed in
 * memory, runs the model with the software KPU and prints one PASS/FAIL line per expectation,
 * then "DONE pass=N fail=M". Exit status 0 only when everything passed. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "board.h"
#include "bump_alloc.h"
#include "job.h"
#include "kmodel.h"
#include "kpu_soft.h"
#include "sha256.h"

typedef struct results {
    unsigned pass, fail;
    const char *name;
} results_t;

static void report(results_t *r, int ok, const char *what, const char *detail)
{
    if (ok)
        r->pass++;
    else
        r->fail++;
    printf("%s %s %s%s%s\n", ok ? "PASS" : "FAIL", r->name, what, detail[0] ? " " : "", detail);
}

static void hex8(const uint8_t *d, char out[17])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 8; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[16] = 0;
}

static void check_hash(results_t *r, const char *what, const uint8_t *data, size_t n,
                       const job_hash_t *e, int check_sum)
{
    uint8_t digest[32];
    sha256_ctx_t c;
    sha256_init(&c);
    sha256_update(&c, data, n);
    sha256_final(&c, digest);
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += data[i];
    char got[17], want[17], detail[96];
    hex8(digest, got);
    hex8(e->sha256_prefix, want);
    int ok = memcmp(digest, e->sha256_prefix, 8) == 0 && (!check_sum || sum == e->byte_sum);
    snprintf(detail, sizeof detail, "sha=%s sum=%llu%s%s", got, (unsigned long long)sum,
             ok ? "" : " want sha=", ok ? "" : want);
    report(r, ok, what, detail);
}

static void run_layer_hashes(results_t *r, kpu_model_t *m, const kpu_backend_t *be,
                             const uint8_t *input, size_t input_size, const job_hash_t *e,
                             uint32_t count, uint8_t *scratch, size_t scratch_size)
{
    for (uint32_t i = 0; i < count; i++) {
        kpu_diag_t diag;
        char what[48];
        if (e[i].layer == JOB_FINAL_OUTPUT) {
            snprintf(what, sizeof what, "output0");
            if (kpu_model_run(m, be, input, input_size, -1, &diag) != KPU_OK) {
                report(r, 0, what, diag.text);
                continue;
            }
            const uint8_t *out;
            size_t size;
            kpu_dtype_t dt;
            if (kpu_model_output(m, 0, &out, &size, &dt, &diag) != KPU_OK) {
                report(r, 0, what, diag.text);
                continue;
            }
            check_hash(r, what, out, size, &e[i], 0);
            continue;
        }
        snprintf(what, sizeof what, "layer%ld", (long)e[i].layer);
        size_t copied = 0;
        if (kpu_model_run(m, be, input, input_size, e[i].layer, &diag) != KPU_OK ||
            kpu_model_read_layer_output(m, be, (uint32_t)e[i].layer, -1, scratch, scratch_size,
                                        &copied, &diag) != KPU_OK) {
            report(r, 0, what, diag.text);
            continue;
        }
        check_hash(r, what, scratch, copied, &e[i], 1);
    }
}

static void run_float_output(results_t *r, kpu_model_t *m, const kpu_backend_t *be,
                             const uint8_t *input, size_t input_size, const job_float_t *e,
                             uint32_t count)
{
    kpu_diag_t diag;
    const uint8_t *out;
    size_t size;
    kpu_dtype_t dt;
    if (kpu_model_run(m, be, input, input_size, -1, &diag) != KPU_OK ||
        kpu_model_output(m, 0, &out, &size, &dt, &diag) != KPU_OK) {
        report(r, 0, "output0", diag.text);
        return;
    }
    if (dt != KPU_DTYPE_FLOAT32 || size < count * sizeof(float)) {
        report(r, 0, "output0", "not a float output of the expected size");
        return;
    }
    for (uint32_t i = 0; i < count; i++) {
        float v;
        memcpy(&v, out + 4 * i, sizeof v);
        char what[32], detail[64];
        snprintf(what, sizeof what, "output0[%lu]", (unsigned long)i);
        snprintf(detail, sizeof detail, "got=%.6f want=%.6f", (double)v, (double)e[i].value);
        report(r, fabsf(v - e[i].value) <= e[i].tolerance, what, detail);
    }
}

int main(void)
{
    const uint8_t *job = (const uint8_t *)(uintptr_t)JOB_ADDR;
    job_header_t h;
    memcpy(&h, job, sizeof h);
    h.name[sizeof h.name - 1] = 0;
    results_t r = {0, 0, h.name};
    printf("MaixKPU core on RV64 (QEMU virt)\n");
    if (h.magic != JOB_MAGIC) {
        printf("FAIL job bad magic\n");
        return 1;
    }
    kpu_allocator_t alloc = bump_allocator();
    kpu_diag_t diag;
    kpu_model_t *model = NULL;
    kpu_soft_t *soft = NULL;
    if (kpu_model_load(&model, job + h.model_offset, h.model_size, 0, &alloc, &diag) != KPU_OK) {
        report(&r, 0, "load", diag.text);
    } else if (kpu_soft_create(&soft, &alloc, KPU_ROUND_V02) != KPU_OK) {
        report(&r, 0, "soft-kpu", "cannot create");
    } else {
        report(&r, 1, "load", "");
        kpu_backend_t be = kpu_soft_backend(soft);
        const uint8_t *input = job + h.input_offset;
        if (h.kind == JOB_LAYER_HASHES) {
            static uint8_t scratch[4u << 20];
            run_layer_hashes(&r, model, &be, input, h.input_size,
                             (const job_hash_t *)(job + h.expect_offset), h.expect_count, scratch,
                             sizeof scratch);
        } else if (h.kind == JOB_FLOAT_OUTPUT) {
            run_float_output(&r, model, &be, input, h.input_size,
                             (const job_float_t *)(job + h.expect_offset), h.expect_count);
        } else {
            report(&r, 0, "job", "unknown kind");
        }
    }
    printf("DONE pass=%u fail=%u heap=%lu\n", r.pass, r.fail, (unsigned long)bump_allocated());
    return r.fail == 0 && r.pass > 0 ? 0 : 1;
}
