/* Image framing for the pipelines: padding to the networks' multiple. A
 * side near INT_MAX must be refused, not padded into a negative size (the
 * padded sizes and the plane size were int arithmetic). */
#include "check.h"
#include "image_prep.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

static void test_padding(void) {
    uint8_t px[3] = {0};
    i2i_image img = {.width = 100, .height = 40, .rgb = px};
    image_frame f;
    char err[200];
    CHECK(image_frame_prepare(&img, 64, 1L << 40, &f, err, sizeof err));
    CHECK(f.padded_width == 128 && f.padded_height == 64 && f.width == 100);
}

static void test_side_near_int_max(void) {
    uint8_t px[3] = {0}; /* never read: prepare only looks at the sizes */
    i2i_image img = {.width = INT_MAX - 10, .height = 32, .rgb = px};
    image_frame f;
    char err[200] = "";
    bool ok = image_frame_prepare(&img, 64, LONG_MAX, &f, err, sizeof err);
    CHECK_MSG(!ok, "padded to %dx%d", f.padded_width, f.padded_height);
    CHECK_MSG(strstr(err, "too large") != NULL, "%s", err);
}

int main(void) {
    test_padding();
    test_side_near_int_max();
    return CHECK_DONE();
}
