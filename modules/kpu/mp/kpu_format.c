/* Exact decimal "%f" of a float32: value = m * 2^e with m < 2^24, so value * 10^6 is
 * m * 10^6 * 2^e, an integer below 2^44 shifted by e. Shifting right rounds half to even;
 * shifting left (|value| >= 2^24) works on base-10^9 limbs. */
#include <stdint.h>
#include <string.h>
#include "kpu_format.h"

#define LIMB_BASE 1000000000u
#define LIMBS 6 /* 10^54 > 2^128 * 10^6 */

static size_t put_limbs(char *out, const uint32_t *limb, int n)
{
    size_t len = 0;
    int top = n - 1;
    while (top > 0 && limb[top] == 0) {
        top--;
    }
    char tmp[12];
    for (int i = top; i >= 0; i--) {
        uint32_t v = limb[i];
        int k = 0;
        do {
            tmp[k++] = (char)('0' + v % 10u);
            v /= 10u;
        } while (v != 0);
        if (i != top) {
            while (k < 9) {
                tmp[k++] = '0';
            }
        }
        while (k > 0) {
            out[len++] = tmp[--k];
        }
    }
    return len;
}

size_t kpu_format_f32(char *out, size_t cap, float value)
{
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    int negative = (bits >> 31) != 0;
    int exp_field = (int)((bits >> 23) & 0xFFu);
    uint32_t frac = bits & 0x7FFFFFu;
    const char *special = NULL;
    if (exp_field == 0xFF) {
        special = frac != 0 ? "nan" : (negative ? "-inf" : "inf");
    }
    if (cap < KPU_FORMAT_F32_MAX) {
        if (cap > 0) {
            out[0] = '\0';
        }
        return 0;
    }
    if (special != NULL) {
        size_t n = strlen(special);
        memcpy(out, special, n + 1);
        return n;
    }
    uint64_t m = exp_field == 0 ? frac : (frac | 0x800000u);
    int e = exp_field == 0 ? -149 : exp_field - 150;
    uint64_t scaled = m * 1000000u; /* < 2^44 */
    uint32_t limb[LIMBS] = {0};
    if (e >= 0) {
        limb[0] = (uint32_t)(scaled % LIMB_BASE);
        limb[1] = (uint32_t)(scaled / LIMB_BASE);
        for (int i = 0; i < e; i++) {
            uint32_t carry = 0;
            for (int j = 0; j < LIMBS; j++) {
                uint32_t v = limb[j] * 2u + carry;
                carry = v >= LIMB_BASE;
                limb[j] = v - (carry ? LIMB_BASE : 0u);
            }
        }
    } else {
        int s = -e;
        uint64_t q = s >= 64 ? 0 : scaled >> s;
        if (s < 64) {
            uint64_t rem = scaled - (q << s);
            uint64_t half = (uint64_t)1 << (s - 1);
            if (rem > half || (rem == half && (q & 1u))) {
                q++;
            }
        } /* s >= 64: scaled < 2^44 is below half a unit */
        limb[0] = (uint32_t)(q % LIMB_BASE);
        limb[1] = (uint32_t)(q / LIMB_BASE);
    }
    char digits[LIMBS * 9 + 1];
    size_t nd = put_limbs(digits, limb, LIMBS);
    size_t len = 0;
    if (negative) {
        out[len++] = '-';
    }
    if (nd <= 6) { /* "0." and leading zeros of the fraction */
        out[len++] = '0';
        out[len++] = '.';
        for (size_t i = nd; i < 6; i++) {
            out[len++] = '0';
        }
        memcpy(out + len, digits, nd);
        len += nd;
    } else {
        memcpy(out + len, digits, nd - 6);
        len += nd - 6;
        out[len++] = '.';
        memcpy(out + len, digits + nd - 6, 6);
        len += 6;
    }
    out[len] = '\0';
    return len;
}
