// Exceptions for the drivers' status codes (drivers/maix_status.h), shared by lcd and sensor.
#ifndef MAIX_ERRORS_H
#define MAIX_ERRORS_H

#include "py/runtime.h"
#include "maix_status.h"

#ifndef MP_NORETURN
#define MP_NORETURN NORETURN
#endif

// Raise the status table's exception for st: MaixPy's exact type and text, after printing
// what the driver saw (if anything) on a line of its own, as the KPU glue prints its
// diagnostics and MaixPy prints causes before raising; nothing for MAIX_OK.
void maix_check(maix_status_t st);
MP_NORETURN void maix_raise(maix_status_t st);
// Only the printed line (for callers that raise another MaixPy text for the same status).
void maix_print_detail(maix_status_t st);

#endif
