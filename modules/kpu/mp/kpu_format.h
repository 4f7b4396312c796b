/* Exact "%f" text of a float32 value without the C library's printf (bare-metal ports format
 * floats through MicroPython's own, approximate, formatter). */
#ifndef KPU_FORMAT_H
#define KPU_FORMAT_H

#include <stddef.h>

/* Writes value with 6 decimals, rounded half to even on its exact binary value (what glibc's
 * printf("%f") and CPython's format(v, 'f') give); "nan", "inf", "-inf" otherwise. cap must be
 * at least KPU_FORMAT_F32_MAX. Returns the length. */
#define KPU_FORMAT_F32_MAX 56u
size_t kpu_format_f32(char *out, size_t cap, float value);

#endif
