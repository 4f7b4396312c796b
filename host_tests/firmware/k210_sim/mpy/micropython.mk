# Test-only user C module: the K210 port's `lcd` and `sensor` modules (ports/k210/mp) with their
# drivers, built into MicroPython's unix port against the simulated registers of ../k210_sim.c
# (host_tests/firmware/test_k210_glue.py links this folder into USER_C_MODULES next to
# modules/kpu and modules/image). Never part of a firmware.
K210_SIM := $(realpath $(USERMOD_DIR)/..)
K210_PORT := $(realpath $(K210_SIM)/../../../ports/k210)

SRC_USERMOD_C += \
	$(K210_PORT)/mp/modlcd.c \
	$(K210_PORT)/mp/modsensor.c \
	$(K210_PORT)/mp/maix_errors.c

SRC_USERMOD_LIB_C += \
	$(K210_SIM)/k210_sim.c \
	$(wildcard $(K210_PORT)/drivers/*.c) \
	$(addprefix $(K210_PORT)/hal/k210_,sysctl.c time.c fpioa.c gpiohs.c spi0.c dvp.c sccb.c)

CFLAGS_USERMOD += -DK210_MMIO_SIM -DMICROPY_PY_LCD=1 -DMICROPY_PY_SENSOR=1 \
	-include $(K210_PORT)/boards/maix_common.h -I$(K210_PORT)/hal -I$(K210_PORT)/drivers \
	-I$(K210_PORT)/mp -I$(K210_SIM)
