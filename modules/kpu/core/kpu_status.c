/* The status table: one row per kpu_status_t with its name, generic message and MaixPy code,
 * MaixPy's exact 2001-2015 texts (maixpy-kpu-api.md 2.1), and the diagnosis record. */
#include "kpu_status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct status_row {
    const char *name;
    const char *message;
    int maixpy_code;
} status_row_t;

/* Indexed by kpu_status_t; the order must follow the enum. */
static const status_row_t status_rows[KPU_STATUS_COUNT] = {
    {"KPU_OK", "ok", 0},
    {"KPU_ERR_ARGUMENT", "bad argument", 2001},
    {"KPU_ERR_VERSION", "not a kmodel or unknown kmodel version", 2002},
    {"KPU_ERR_VERSION_V4V5", "kmodel V4/V5 not supported yet", 2002},
    {"KPU_ERR_BIG_ENDIAN", "big-endian (word-swapped) kmodel, not converted", 2003},
    {"KPU_ERR_FORMAT", "malformed kmodel", 2003},
    {"KPU_ERR_TRUNCATED", "kmodel file is truncated", 2003},
    {"KPU_ERR_LAYER_TYPE", "unsupported layer type", 2003},
    {"KPU_ERR_BOUNDS", "offset or size outside its memory", 2003},
    {"KPU_ERR_READ", "read failed", 2005},
    {"KPU_ERR_NO_MEMORY", "out of memory", 2006},
    {"KPU_ERR_FIRST_LAYER", "first layer cannot take an input", 2007},
    {"KPU_ERR_RUN", "layer failed while running", 2008},
    {"KPU_ERR_TIMEOUT", "KPU timeout", 2008},
    {"KPU_ERR_INDEX", "index out of range", 2011},
    {"KPU_ERR_SIZE", "size does not match the model", 2012},
    {"KPU_ERR_OUTPUTS_NOT_SET", "output shapes not set", 2013},
    {"KPU_ERR_NOT_IMPLEMENTED", "not implemented", 2014},
    {"KPU_ERR_STATE", "call out of order", 2015},
};

static const status_row_t *row(kpu_status_t st)
{
    if ((unsigned)st >= (unsigned)KPU_STATUS_COUNT)
        return NULL;
    return &status_rows[st];
}

const char *kpu_status_name(kpu_status_t st)
{
    const status_row_t *r = row(st);
    return r ? r->name : "KPU_ERR_UNKNOWN";
}

const char *kpu_status_message(kpu_status_t st)
{
    const status_row_t *r = row(st);
    return r ? r->message : "unknown status";
}

int kpu_status_maixpy_code(kpu_status_t st)
{
    const status_row_t *r = row(st);
    return r ? r->maixpy_code : 2015;
}

/* MaixPy's get_kpu_err_str texts, code 2001 first (exact, including their spelling). */
static const char *const maixpy_texts[15] = {
    "ERR_PARAM: please check param, load address or kmodel file name",
    NULL, /* 2002 depends on the build */
    "ERR_KMODEL_FORMAT: layer_header.body_size <=0",
    "ERR_DECRYPT: check smodel match with your board",
    "ERR_READ_FILE: read file failed",
    "ERR_NO_MEM: memory not enough",
    "ERR_GET_CONV_LAYER: first layer should be conv layer",
    "ERR_RUN_MODEL: maybe model dirty",
    "ERR_MODELS_FULL: we only support load 5 models in the same time",
    "ERR_PERMITION",
    "SIPEED_KPU_ERR_IDX_OUTRANGE",
    "SIPEED_KPU_ERR_SIZE_NOTMATCH",
    "ERR_OUTPUTS_SET: need kpu.set_outputs() to set shape",
    "ERR_NOT_IMPLEMENT",
    "ERR_UNKNOWN",
};

const char *kpu_maixpy_code_text(int code, int v4_build)
{
    if (code == 0)
        return "ERR_NONE";
    if (code == 2002)
        return v4_build ? "ERR_KMODEL_VERSION: only support kmodel V3/V4 now"
                        : "ERR_KMODEL_VERSION: only support kmodel V3";
    if (code < 2001 || code > 2015)
        return "ERR_UNKNOWN";
    return maixpy_texts[code - 2001];
}

kpu_status_t kpu_diag_set(kpu_diag_t *diag, kpu_status_t st, int32_t layer, const char *fmt, ...)
{
    if (!diag)
        return st;
    diag->status = st;
    diag->layer = layer;
    diag->text[0] = '\0';
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(diag->text, sizeof diag->text, fmt, ap);
        va_end(ap);
        if (n < 0)
            diag->text[0] = '\0';
    }
    /* keep the promise of a single line without a trailing newline */
    size_t len = strlen(diag->text);
    while (len > 0 && (diag->text[len - 1] == '\n' || diag->text[len - 1] == '\r'))
        diag->text[--len] = '\0';
    return st;
}

void kpu_diag_clear(kpu_diag_t *diag)
{
    if (!diag)
        return;
    diag->status = KPU_OK;
    diag->layer = -1;
    diag->text[0] = '\0';
}
