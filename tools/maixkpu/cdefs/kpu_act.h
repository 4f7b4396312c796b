/* cffi declarations of modules/kpu/core/kpu_act.h (the rounding shifts, for tests). */
int64_t kpu_round_rne_buggy(int64_t v, uint32_t s);
int64_t kpu_round_carry_shift(int64_t v, uint32_t s);
