// MicroPython's console on the K210's UARTHS (the USB-serial port of every Maix board).
#include "py/mphal.h"
#include "py/runtime.h"
#include "py/stream.h"
#include "k210_uarths.h"

static int pending = -1; // a byte read by mp_hal_stdio_poll, not yet consumed

uintptr_t mp_hal_stdio_poll(uintptr_t poll_flags)
{
    if ((poll_flags & MP_STREAM_POLL_RD) != 0) {
        if (pending < 0) {
            pending = k210_uarths_read();
        }
        if (pending >= 0) {
            return MP_STREAM_POLL_RD;
        }
    }
    return poll_flags & MP_STREAM_POLL_WR;
}

int mp_hal_stdin_rx_chr(void)
{
    for (;;) {
        int c = pending;
        pending = -1;
        if (c < 0) {
            c = k210_uarths_read();
        }
        if (c >= 0) {
            return c;
        }
    }
}

// Returns the count written from MicroPython v1.22 on, nothing before.
#if MICROPY_VERSION < 0x011600 // v1.22.0
void mp_hal_stdout_tx_strn(const char *str, size_t len)
{
    k210_uarths_write(str, len);
}
#else
mp_uint_t mp_hal_stdout_tx_strn(const char *str, size_t len)
{
    k210_uarths_write(str, len);
    return len;
}
#endif
