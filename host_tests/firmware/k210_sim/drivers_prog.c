/* Runs one scenario of the LCD/camera drivers against the peripheral model and prints what
 * the drivers returned next to the model's bus trace (k210_sim.h):
 *   drivers_prog [knob...] lcd_init COLOR INVERT
 *   drivers_prog lcd_rotation R MIRROR
 *   drivers_prog lcd_display W H BPP ROI|- OFT|- [ROT]   ROI "x,y,w,h", OFT "x,y"
 *   drivers_prog lcd_clear COLOR
 *   drivers_prog cam_reset
 *   drivers_prog cam_snapshot FORMAT FRAMESIZE [WIN|-] [HMIRROR] [VFLIP]   WIN "w,h" or "x,y,w,h"
 * Output lines of its own: "MARK" (what follows is the operation under test), "STATUS <code>
 * <text>", "ID <hex>", "PIX <hex>", "AI <hex>". Image bytes are byte i = (i * 31 + 7) & 255. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "k210_sim.h"
#include "maix_camera.h"
#include "maix_lcd.h"

static const maix_lcd_pins_t lcd_pins = {SIM_IO_LCD_CS, SIM_IO_LCD_RST, SIM_IO_LCD_DC,
                                         SIM_IO_LCD_WR, 3, 2, 3, 0xC0u};
static const maix_camera_pins_t cam_pins = {
    SIM_IO_SCCB_SDA, SIM_IO_SCCB_SCL, SIM_IO_CMOS_RST,  SIM_IO_CMOS_VSYNC,
    SIM_IO_CMOS_PWDN, SIM_IO_CMOS_HREF, SIM_IO_CMOS_XCLK, SIM_IO_CMOS_PCLK, 0xC0u};

static void status(maix_status_t st)
{
    const maix_status_info_t *info = maix_status_info(st);
    k210_sim_flush();
    printf("STATUS %d %s%s%s\n", (int)st, info->maixpy_text, info->detail ? " | " : "",
           info->detail ? info->detail : "");
}

static void mark(void)
{
    k210_sim_flush();
    printf("MARK\n");
}

static void hex(const char *tag, const uint8_t *p, size_t n)
{
    k210_sim_flush();
    printf("%s ", tag);
    for (size_t i = 0; i < n; i++) {
        printf("%02x", p[i]);
    }
    printf("\n");
}

static int parse_ints(const char *s, int *out, int max)
{
    int n = 0;
    if (!strcmp(s, "-")) {
        return 0;
    }
    while (n < max) {
        char *end;
        out[n++] = (int)strtol(s, &end, 0);
        if (*end != ',') {
            break;
        }
        s = end + 1;
    }
    return n;
}

static maix_status_t lcd_up(maix_lcd_t *lcd, uint16_t color, int invert)
{
    return maix_lcd_init(lcd, &lcd_pins, 15000000u, 320, 240, invert, color);
}

static int lcd_scenario(const char *what, int argc, char **argv)
{
    maix_lcd_t lcd;
    if (!strcmp(what, "lcd_init") && argc >= 2) {
        status(lcd_up(&lcd, (uint16_t)strtol(argv[0], NULL, 0), atoi(argv[1])));
        printf("FREQ %u\n", (unsigned)lcd.freq);
        return 0;
    }
    maix_status_t st = lcd_up(&lcd, 0, 0);
    if (st != MAIX_OK) {
        status(st);
        return 1;
    }
    if (!strcmp(what, "lcd_rotation") && argc >= 2) {
        mark();
        status(maix_lcd_set_rotation(&lcd, atoi(argv[0])));
        status(maix_lcd_set_mirror(&lcd, atoi(argv[1])));
        printf("SIZE %d %d\n", maix_lcd_width(&lcd), maix_lcd_height(&lcd));
        return 0;
    }
    if (!strcmp(what, "lcd_clear") && argc >= 1) {
        mark();
        status(maix_lcd_clear(&lcd, (uint16_t)strtol(argv[0], NULL, 0)));
        return 0;
    }
    if (!strcmp(what, "lcd_display") && argc >= 5) {
        maix_view_t img = {atoi(argv[0]), atoi(argv[1]), atoi(argv[2]), NULL};
        size_t n = (size_t)img.w * (size_t)img.h * (size_t)(img.bpp > 0 ? img.bpp : 1);
        uint8_t *px = malloc(n ? n : 1);
        for (size_t i = 0; i < n; i++) {
            px[i] = (uint8_t)(i * 31u + 7u);
        }
        img.pixels = px;
        int r[4], o[2];
        int nr = parse_ints(argv[3], r, 4), no = parse_ints(argv[4], o, 2);
        if (argc >= 6) {
            maix_lcd_set_rotation(&lcd, atoi(argv[5]));
        }
        mark();
        status(maix_lcd_display(&lcd, &img, nr == 4 ? (const maix_rect_t *)r : NULL,
                                no == 2 ? o : NULL));
        free(px);
        return 0;
    }
    fprintf(stderr, "bad lcd scenario\n");
    return 2;
}

static int cam_scenario(const char *what, int argc, char **argv)
{
    maix_camera_t cam;
    maix_status_t st = maix_camera_reset(&cam, &cam_pins, 24000000u);
    if (!strcmp(what, "cam_reset")) {
        status(st);
        printf("ID %04x\nXCLK %u\n", cam.id, (unsigned)cam.xclk_hz);
        return 0;
    }
    if (strcmp(what, "cam_snapshot") || argc < 2) {
        fprintf(stderr, "bad camera scenario\n");
        return 2;
    }
    mark();
    if (st == MAIX_OK) {
        st = maix_camera_set_pixformat(&cam, atoi(argv[0]));
    }
    if (st == MAIX_OK) {
        st = maix_camera_set_framesize(&cam, atoi(argv[1]));
    }
    int win[4];
    int nw = argc >= 3 ? parse_ints(argv[2], win, 4) : 0;
    if (st == MAIX_OK && nw > 0) {
        st = maix_camera_set_windowing(&cam, win, nw);
    }
    if (st == MAIX_OK && argc >= 4 && atoi(argv[3])) {
        st = maix_camera_set_hmirror(&cam, 1);
    }
    if (st == MAIX_OK && argc >= 5 && atoi(argv[4])) {
        st = maix_camera_set_vflip(&cam, 1);
    }
    size_t npix = maix_camera_pixel_bytes(&cam), nai = maix_camera_ai_bytes(&cam);
    uint8_t *ai = k210_sim_alloc(nai ? nai : 8);
    uint8_t *pix = npix ? k210_sim_alloc(npix) : ai;
    if (st == MAIX_OK) {
        st = maix_camera_snapshot(&cam, pix, ai, MAIX_SNAPSHOT_TIMEOUT_US);
    }
    status(st);
    printf("SIZE %d %d\n", cam.win_w, cam.win_h);
    if (st == MAIX_OK) {
        hex("PIX", pix, npix ? npix : (size_t)cam.win_w * (size_t)cam.win_h);
        hex("AI", ai, nai);
    }
    return 0;
}

int main(int argc, char **argv)
{
    int i = 1;
    while (i < argc && k210_sim_knob(argv[i])) {
        i++;
    }
    if (i >= argc) {
        fprintf(stderr, "usage: see the header of drivers_prog.c\n");
        return 2;
    }
    const char *what = argv[i];
    int rc = !strncmp(what, "lcd_", 4) ? lcd_scenario(what, argc - i - 1, argv + i + 1)
                                       : cam_scenario(what, argc - i - 1, argv + i + 1);
    k210_sim_flush();
    return rc;
}
