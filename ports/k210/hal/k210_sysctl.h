/* Minimal sysctl: the CPU clock the boot ROM (or the port) left configured. */
#ifndef K210_SYSCTL_H
#define K210_SYSCTL_H

#include <stdint.h>

/* CPU (ACLK) frequency in Hz from PLL0 and the ACLK selector/divider. */
uint32_t k210_sysctl_cpu_hz(void);

#endif
