/* Status codes of the MaixKPU core: one table, mapped to MaixPy's 2001-2015 codes and to the
 * exceptions of the Python / MicroPython glue. Every core function that can fail returns one. */
#ifndef KPU_STATUS_H
#define KPU_STATUS_H

#include <stdint.h>

typedef enum kpu_status {
    KPU_OK = 0,
    KPU_ERR_ARGUMENT,        /* bad argument from the caller (2001) */
    KPU_ERR_VERSION,         /* not a kmodel, or an unknown version (2002) */
    KPU_ERR_VERSION_V4V5,    /* 'KMDL' V4/V5 container this build cannot run (2002) */
    KPU_ERR_BIG_ENDIAN,      /* word-swapped (load_flash style) file, not converted (2003) */
    KPU_ERR_FORMAT,          /* malformed header or body (2003) */
    KPU_ERR_TRUNCATED,       /* file ends before a header or body it declares (2003) */
    KPU_ERR_LAYER_TYPE,      /* unknown layer type, or one without a defined body (2003) */
    KPU_ERR_BOUNDS,          /* an offset/address/size points outside its space (2003) */
    KPU_ERR_READ,            /* flash or file read failed (2005) */
    KPU_ERR_NO_MEMORY,       /* the allocator said no (2006) */
    KPU_ERR_FIRST_LAYER,     /* first layer cannot take an input (2007) */
    KPU_ERR_RUN,             /* a layer failed while running (2008) */
    KPU_ERR_TIMEOUT,         /* the KPU did not finish in time (2008) */
    KPU_ERR_INDEX,           /* layer/output/channel index out of range (2011) */
    KPU_ERR_SIZE,            /* buffer size does not match what the model needs (2012) */
    KPU_ERR_OUTPUTS_NOT_SET, /* V4 outputs need set_outputs (2013) */
    KPU_ERR_NOT_IMPLEMENTED, /* valid but not supported by this runtime (2014) */
    KPU_ERR_STATE,           /* call out of order: not run yet, freed, ... (2015) */
    KPU_STATUS_COUNT
} kpu_status_t;

/* Short identifier, e.g. "KPU_ERR_FORMAT". */
const char *kpu_status_name(kpu_status_t st);
/* Generic one-line description of the status (details go in kpu_diag_t). */
const char *kpu_status_message(kpu_status_t st);
/* MaixPy's numeric code (0 or 2001..2015) for a status. */
int kpu_status_maixpy_code(kpu_status_t st);
/* MaixPy's exact text for a code 2001..2015 (ERR_UNKNOWN for anything else, ERR_NONE for 0).
 * v4_build selects the 2002 text of firmware built with V4 support. */
const char *kpu_maixpy_code_text(int code, int v4_build);

/* Detailed diagnosis of the last failure: filled by the function that failed (may be NULL). */
#define KPU_DIAG_TEXT 192
typedef struct kpu_diag {
    kpu_status_t status;
    int32_t layer;               /* layer index the failure is about, or -1 */
    char text[KPU_DIAG_TEXT];    /* human-readable, NUL-terminated, no trailing newline */
} kpu_diag_t;

/* Records st in diag (if not NULL) with a printf-style detail text; returns st. */
kpu_status_t kpu_diag_set(kpu_diag_t *diag, kpu_status_t st, int32_t layer, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
void kpu_diag_clear(kpu_diag_t *diag);

#endif
