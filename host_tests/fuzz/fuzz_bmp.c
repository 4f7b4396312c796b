/* libFuzzer harness for the image core's BMP decoder (modules/image/core/img_bmp.c): the input
 * is a whole file in memory, as the MicroPython glue hands it over. Valid files are decoded into
 * a buffer of exactly the size the header check reports (so ASan sees any overrun), encoded
 * back and decoded again (the round trip must give the same pixels), then pass through
 * to_grayscale, resize and pix_to_ai. Any disagreement calls __builtin_trap(). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "img.h"

#define MAX_PIXEL_BYTES (8u * 1024u * 1024u)

static void check(int ok)
{
    if (!ok) {
        __builtin_trap();
    }
}

static uint8_t *alloc_exact(size_t n) { return malloc(n > 0 ? n : 1); }

static void round_trip(const img_t *img)
{
    size_t size = img_bmp_encoded_size(img->w, img->h, img->format);
    check(size > 0);
    uint8_t *file = alloc_exact(size);
    size_t written = 0;
    check(img_bmp_encode(img, NULL, file, size, &written) == IMG_OK && written == size);
    img_bmp_info_t info;
    check(img_bmp_info(file, size, &info) == IMG_OK);
    check(info.w == img->w && info.h == img->h && info.format == img->format);
    size_t n = img_pixels_size(img->w, img->h, img->format);
    img_t back = {img->w, img->h, img->format, alloc_exact(n), NULL};
    check(img_bmp_decode(file, size, &back) == IMG_OK);
    check(n == 0 || memcmp(back.pixels, img->pixels, n) == 0);
    free(back.pixels);
    free(file);
}

static void operations(img_t *img)
{
    size_t n = (size_t)img->w * (size_t)img->h;
    img->pix_ai = alloc_exact(img_pix_ai_size(img));
    check(img_pix_to_ai(img) == IMG_OK);
    free(img->pix_ai);
    img->pix_ai = NULL;
    int w = img->w / 3 + 1, h = img->h / 3 + 1;
    img_t small = {w, h, img->format, alloc_exact(img_pixels_size(w, h, img->format)), NULL};
    check(img_resize(&small, img, 0) == IMG_OK);
    free(small.pixels);
    if (img->format == IMG_RGB565) {
        check(img_to_grayscale(img, img, IMG_FW_MINIMUM) == IMG_OK);
        check(img->format == IMG_GRAYSCALE);
        /* the box path reads the RGB565 bytes left after the gray view (halving keeps its
         * boxes small: a box is (h0/h + 1)^2 reads, as in MaixPy) */
        int hw = img->w > 1 ? img->w / 2 : 1, hh = img->h > 1 ? img->h / 2 : 1;
        img_t half = {hw, hh, IMG_GRAYSCALE, alloc_exact((size_t)hw * (size_t)hh), NULL};
        check(img_resize(&half, img, 2 * n) == IMG_OK);
        free(half.pixels);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    img_bmp_info_t info;
    img_status_t st = img_bmp_info(data, size, &info);
    if (st != IMG_OK) {
        check(st == IMG_ERR_EIO || st == IMG_ERR_BMP_FORMAT || st == IMG_ERR_BMP_CORRUPTED);
        return 0;
    }
    size_t n = img_pixels_size(info.w, info.h, info.format);
    if (n > MAX_PIXEL_BYTES) {
        return 0;
    }
    img_t img = {info.w, info.h, info.format, alloc_exact(n), NULL};
    check(img_bmp_decode(data, size, &img) == IMG_OK);
    if (n > 0) { /* an empty image's file has no body, which MaixPy's size check refuses */
        round_trip(&img);
    }
    if (n > 0 && n <= 256u * 1024u) {
        operations(&img);
    }
    free(img.pixels);
    return 0;
}
