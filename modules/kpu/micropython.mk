# MaixPy's KPU module for MicroPython (make-based ports): make USER_C_MODULES=<repo>/modules
# The portable core (core/) is compiled as library code (not scanned for qstrs); the glue (mp/)
# is the module proper.
#
# MAIXKPU_HAL selects the platform file (mp/kpu_hal.h): unix (a flash image file; malloc), qemu
# (a memory-mapped flash image; a RAM region for models) or none (the port compiles its own,
# e.g. ports/k210, which also defines MAIXKPU_BACKEND_K210 for the register backend).
# Default: qemu on ports/qemu, else unix.
KPU_MOD_DIR := $(USERMOD_DIR)

ifeq ($(MAIXKPU_HAL),)
ifneq ($(QEMU_ARCH),)
MAIXKPU_HAL := qemu
else
MAIXKPU_HAL := unix
endif
endif

# the malloc allocator (core/kpu_alloc_std.c) serves ports with a C heap: unix, and ports that
# set MAIXKPU_ALLOC_STD=1 (ports/k210); qemu's HAL brings a region allocator instead
MAIXKPU_ALLOC_STD ?= $(if $(filter unix,$(MAIXKPU_HAL)),1,0)
ifeq ($(MAIXKPU_ALLOC_STD),1)
SRC_USERMOD_LIB_C += $(wildcard $(KPU_MOD_DIR)/core/*.c)
else
SRC_USERMOD_LIB_C += $(filter-out $(KPU_MOD_DIR)/core/kpu_alloc_std.c,$(wildcard $(KPU_MOD_DIR)/core/*.c))
endif
SRC_USERMOD_LIB_C += $(KPU_MOD_DIR)/mp/kpu_format.c
ifneq ($(MAIXKPU_HAL),none)
SRC_USERMOD_LIB_C += $(KPU_MOD_DIR)/mp/kpu_hal_$(MAIXKPU_HAL).c
endif

SRC_USERMOD_C += \
	$(KPU_MOD_DIR)/mp/modkpu.c \
	$(KPU_MOD_DIR)/mp/kpu_run.c \
	$(KPU_MOD_DIR)/mp/kpu_net_obj.c \
	$(KPU_MOD_DIR)/mp/kpu_objs.c \
	$(KPU_MOD_DIR)/mp/kpu_fmap_obj.c \
	$(KPU_MOD_DIR)/mp/kpu_errors.c \
	$(KPU_MOD_DIR)/mp/kpu_state.c

CFLAGS_USERMOD += -I$(KPU_MOD_DIR)/core -I$(KPU_MOD_DIR)/mp

# The core is C99 with its own float rules: double constants stay double (ports/qemu builds
# with -fsingle-precision-constant) and its deliberate float/double mixing is not an error.
KPU_CORE_OBJ := $(BUILD)/kpu/core/%.o
$(KPU_CORE_OBJ): CFLAGS += -fno-single-precision-constant -Wno-double-promotion -Wno-float-conversion -Wno-error=unused-parameter
