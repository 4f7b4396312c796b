# MaixPy's KPU module for MicroPython's CMake ports (esp32, rp2, ...):
#   make USER_C_MODULES=<repo>/modules/kpu/micropython.cmake
# Same sources as micropython.mk with the unix-style HAL replaced by the port's: set
# MAIXKPU_HAL to a file implementing mp/kpu_hal.h (default: mp/kpu_hal_unix.c, which needs a
# C library with stdio).
add_library(usermod_kpu INTERFACE)

file(GLOB KPU_CORE_SOURCES ${CMAKE_CURRENT_LIST_DIR}/core/*.c)
list(REMOVE_ITEM KPU_CORE_SOURCES ${CMAKE_CURRENT_LIST_DIR}/core/kpu_alloc_std.c)

if(NOT MAIXKPU_HAL)
    set(MAIXKPU_HAL ${CMAKE_CURRENT_LIST_DIR}/mp/kpu_hal_unix.c)
endif()

target_sources(usermod_kpu INTERFACE
    ${KPU_CORE_SOURCES}
    ${MAIXKPU_HAL}
    ${CMAKE_CURRENT_LIST_DIR}/mp/kpu_format.c
    ${CMAKE_CURRENT_LIST_DIR}/mp/modkpu.c
    ${CMAKE_CURRENT_LIST_DIR}/mp/kpu_run.c
    ${CMAKE_CURRENT_LIST_DIR}/mp/kpu_net_obj.c
    ${CMAKE_CURRENT_LIST_DIR}/mp/kpu_objs.c
    ${CMAKE_CURRENT_LIST_DIR}/mp/kpu_fmap_obj.c
    ${CMAKE_CURRENT_LIST_DIR}/mp/kpu_errors.c
    ${CMAKE_CURRENT_LIST_DIR}/mp/kpu_state.c
)

target_include_directories(usermod_kpu INTERFACE
    ${CMAKE_CURRENT_LIST_DIR}/core
    ${CMAKE_CURRENT_LIST_DIR}/mp
)

# The core mixes float and double on purpose; keep double constants double.
set_source_files_properties(${KPU_CORE_SOURCES} PROPERTIES
    COMPILE_OPTIONS "-fno-single-precision-constant;-Wno-double-promotion;-Wno-float-conversion")

target_link_libraries(usermod INTERFACE usermod_kpu)
