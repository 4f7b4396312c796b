# MaixPy's `image` module for MicroPython (make-based ports): make USER_C_MODULES=<repo>/modules
# The portable core (core/) is compiled as library code (not scanned for qstrs); the glue (mp/)
# is the module proper. It also tells the KPU module that Images exist (MAIXKPU_WITH_IMAGE):
# then KPU.forward / run_yolo2 take Images and KPU.fmap returns one.
#
# MAIXKPU_IMAGE=0 leaves the module out (KPU then takes buffers and returns memoryviews).
# MAIXKPU_IMAGE_MINIMUM=1 follows MaixPy's minimum firmware (approximate RGB565->gray table,
# no Image.invert) instead of the full one.
IMAGE_MOD_DIR := $(USERMOD_DIR)
MAIXKPU_IMAGE ?= 1

ifneq ($(MAIXKPU_IMAGE),0)
SRC_USERMOD_LIB_C += $(wildcard $(IMAGE_MOD_DIR)/core/*.c)

SRC_USERMOD_C += \
	$(IMAGE_MOD_DIR)/mp/modimage.c \
	$(IMAGE_MOD_DIR)/mp/image_obj.c \
	$(IMAGE_MOD_DIR)/mp/image_args.c \
	$(IMAGE_MOD_DIR)/mp/image_errors.c \
	$(IMAGE_MOD_DIR)/mp/image_draw.c \
	$(IMAGE_MOD_DIR)/mp/image_transform.c \
	$(IMAGE_MOD_DIR)/mp/image_file.c

CFLAGS_USERMOD += -I$(IMAGE_MOD_DIR)/core -I$(IMAGE_MOD_DIR)/mp -DMAIXKPU_WITH_IMAGE=1
ifeq ($(MAIXKPU_IMAGE_MINIMUM),1)
CFLAGS_USERMOD += -DMAIXKPU_IMAGE_MINIMUM=1
endif

# The core is C99 with its own float rules, the same on every port (its pixel results are
# tested on the host): double constants stay double (ports/k210 and ports/qemu build with
# -fsingle-precision-constant) and its deliberate float/double mixing is not an error.
IMAGE_CORE_OBJ := $(BUILD)/image/core/%.o
$(IMAGE_CORE_OBJ): CFLAGS += -fno-single-precision-constant -Wno-double-promotion -Wno-float-conversion
endif
