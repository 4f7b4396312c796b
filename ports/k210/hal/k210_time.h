/* Monotonic time from the CLINT mtime counter (it counts at CPU clock / 50 on the K210). */
#ifndef K210_TIME_H
#define K210_TIME_H

#include <stdint.h>

uint64_t k210_time_us(void);
void k210_time_delay_us(uint64_t us);

#endif
