# MaixPy's `image` module for MicroPython's CMake ports (esp32, rp2, ...):
#   make USER_C_MODULES=<repo>/modules/micropython.cmake (a file including this one and
#   modules/kpu/micropython.cmake), or this file alone.
# Same sources as micropython.mk. -DMAIXKPU_IMAGE=OFF leaves it out; MAIXKPU_IMAGE_MINIMUM=ON
# follows MaixPy's minimum firmware (approximate gray table, no Image.invert).
option(MAIXKPU_IMAGE "build the image module" ON)
option(MAIXKPU_IMAGE_MINIMUM "MaixPy minimum-firmware image behaviour" OFF)

if(MAIXKPU_IMAGE)
    add_library(usermod_image INTERFACE)

    file(GLOB IMAGE_CORE_SOURCES ${CMAKE_CURRENT_LIST_DIR}/core/*.c)

    target_sources(usermod_image INTERFACE
        ${IMAGE_CORE_SOURCES}
        ${CMAKE_CURRENT_LIST_DIR}/mp/modimage.c
        ${CMAKE_CURRENT_LIST_DIR}/mp/image_obj.c
        ${CMAKE_CURRENT_LIST_DIR}/mp/image_args.c
        ${CMAKE_CURRENT_LIST_DIR}/mp/image_errors.c
        ${CMAKE_CURRENT_LIST_DIR}/mp/image_draw.c
        ${CMAKE_CURRENT_LIST_DIR}/mp/image_transform.c
        ${CMAKE_CURRENT_LIST_DIR}/mp/image_file.c
    )

    target_include_directories(usermod_image INTERFACE
        ${CMAKE_CURRENT_LIST_DIR}/core
        ${CMAKE_CURRENT_LIST_DIR}/mp
    )

    # The core's float rules are the same on every port: double constants stay double.
    set_source_files_properties(${IMAGE_CORE_SOURCES} PROPERTIES
        COMPILE_OPTIONS "-fno-single-precision-constant;-Wno-double-promotion;-Wno-float-conversion")

    # KPU.forward / run_yolo2 take Images and KPU.fmap returns one
    target_compile_definitions(usermod_image INTERFACE MAIXKPU_WITH_IMAGE=1)
    if(MAIXKPU_IMAGE_MINIMUM)
        target_compile_definitions(usermod_image INTERFACE MAIXKPU_IMAGE_MINIMUM=1)
    endif()

    target_link_libraries(usermod INTERFACE usermod_image)
endif()
