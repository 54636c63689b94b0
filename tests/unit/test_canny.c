/* Canny: exact equality, pixel for pixel, with OpenCV's cv2.Canny(rgb, low, high) on the
 * golden fixture and on the OpenCV-made cases of tests/data/canny/index.json (odd sizes,
 * 1-pixel-wide images, channel ties, a flat image, thresholds 0/0 up to 1500/1529), and
 * argument errors that leave the output untouched. */
#include "canny.h"
#include "check.h"
#include "image_codec.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decodes a PNG file to RGB; NULL (after a failed check) when it cannot. */
static uint8_t *load_rgb(const char *path, int *w, int *h) {
    FILE *f = fopen(path, "rb");
    CHECK_MSG(f != NULL, "cannot open %s", path);
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    rewind(f);
    uint8_t *data = len > 0 ? malloc((size_t)len) : NULL;
    size_t got = data ? fread(data, 1, (size_t)len, f) : 0;
    fclose(f);
    i2i_image img = {0};
    char err[256] = "";
    image_codec_status st = got == (size_t)len && data
                                ? image_decode_rgb(data, got, 0, &img, err, sizeof err)
                                : IMAGE_ERR_CORRUPT;
    free(data);
    CHECK_MSG(st == IMAGE_OK, "%s: %s %s", path, image_codec_status_name(st), err);
    if (st != IMAGE_OK) return NULL;
    *w = img.width, *h = img.height;
    return img.rgb;
}

/* Runs canny on input_path and compares with the grey 0/255 map in edges_path (decoded as
 * RGB: the grey value is in every channel). Returns the number of edge pixels, -1 on error. */
static int check_case(const char *input_path, const char *edges_path, int low, int high) {
    int w, h, ew, eh, edges = -1;
    uint8_t *rgb = load_rgb(input_path, &w, &h);
    uint8_t *want = load_rgb(edges_path, &ew, &eh);
    uint8_t *got = rgb ? malloc((size_t)w * h) : NULL;
    char err[256] = "";
    if (!rgb || !want || !got) goto done;
    CHECK_MSG(ew == w && eh == h, "%s is %dx%d, %s is %dx%d", input_path, w, h, edges_path, ew, eh);
    if (ew != w || eh != h) goto done;
    int rc = canny_edges_rgb(rgb, w, h, low, high, got, err, sizeof err);
    CHECK_MSG(rc == 0, "%s: %s", input_path, err);
    if (rc) goto done;
    int diff = 0, first = -1, not_binary = 0;
    edges = 0;
    for (int i = 0; i < w * h; i++) {
        edges += got[i] == 255;
        not_binary += got[i] != 0 && got[i] != 255;
        if (got[i] != want[3 * i] && diff++ == 0) first = i;
    }
    CHECK_MSG(diff == 0, "%s low %d high %d: %d of %d pixels differ, first at x=%d y=%d",
              input_path, low, high, diff, w * h, first % w, first / w);
    CHECK_MSG(not_binary == 0, "%s: %d pixels neither 0 nor 255", input_path, not_binary);
done:
    free(rgb);
    free(want);
    free(got);
    return edges;
}

static void test_golden(void) {
    char input[4096];
    snprintf(input, sizeof input, "%s", golden_path("canny_input.png"));
    int edges = check_case(input, golden_path("canny_edges.png"), 100, 200);
    CHECK_MSG(edges == 199, "golden: %d edge pixels, want 199", edges);
}

static void test_opencv_cases(void) {
    const char *src = getenv("I2I_SOURCE_DIR");
    char dir[2048], path[4096], input[4096];
    snprintf(dir, sizeof dir, "%s/tests/data/canny", src ? src : "..");
    snprintf(path, sizeof path, "%s/index.json", dir);
    json_error_t jerr;
    json_t *index = json_load_file(path, 0, &jerr);
    CHECK_MSG(index != NULL, "%s: %s", path, jerr.text);
    json_t *cases = json_object_get(index, "cases");
    CHECK_MSG(json_array_size(cases) >= 40, "%s: %zu cases, want >= 40", path,
              json_array_size(cases));
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c) {
        const char *in = json_string_value(json_object_get(c, "input"));
        const char *out = json_string_value(json_object_get(c, "edges"));
        json_t *low = json_object_get(c, "low"), *high = json_object_get(c, "high");
        json_t *count = json_object_get(c, "edge_pixels");
        CHECK_MSG(in && out && json_is_integer(low) && json_is_integer(high) &&
                      json_is_integer(count),
                  "case %zu of %s is malformed", i, path);
        if (!in || !out || !json_is_integer(low) || !json_is_integer(high)) continue;
        snprintf(input, sizeof input, "%s/%s", dir, in);
        snprintf(path, sizeof path, "%s/%s", dir, out);
        int edges =
            check_case(input, path, (int)json_integer_value(low), (int)json_integer_value(high));
        CHECK_MSG(edges == json_integer_value(count), "%s: %d edge pixels, index says %lld", out,
                  edges, (long long)json_integer_value(count));
    }
    json_decref(index);
}

/* Each bad call returns -1, says something, and leaves the output as it was. */
static void expect_error(const uint8_t *rgb, int w, int h, int low, int high, uint8_t *out,
                         const char *needle) {
    uint8_t before[16];
    if (out) memcpy(before, out, sizeof before);
    char err[256] = "";
    int rc = canny_edges_rgb(rgb, w, h, low, high, out, err, sizeof err);
    CHECK_MSG(rc == -1, "%dx%d %d/%d: rc %d", w, h, low, high, rc);
    CHECK_MSG(strstr(err, needle) != NULL, "%dx%d %d/%d: message '%s' lacks '%s'", w, h, low, high,
              err, needle);
    if (out) CHECK(memcmp(before, out, sizeof before) == 0);
}

static void test_argument_errors(void) {
    uint8_t rgb[16 * 3] = {0}, out[16];
    memset(out, 0x5a, sizeof out);
    expect_error(rgb, 4, 4, 200, 100, out, "above high");
    expect_error(rgb, 4, 4, -1, 100, out, "0..2040");
    expect_error(rgb, 4, 4, 0, -5, out, "0..2040");
    expect_error(rgb, 4, 4, 0, CANNY_THRESHOLD_MAX + 1, out, "0..2040");
    expect_error(NULL, 4, 4, 100, 200, out, "NULL");
    expect_error(rgb, 4, 4, 100, 200, NULL, "NULL");
    expect_error(rgb, 0, 4, 100, 200, out, "0x4");
    expect_error(rgb, 4, -1, 100, 200, out, "4x-1");
    /* Refused from the sizes alone: the 16-pixel buffer is never read. */
    expect_error(rgb, 65536, 65536, 100, 200, out, "limit");
    expect_error(rgb, 8193, 8192, 100, 200, out, "limit");
    CHECK(canny_edges_rgb(rgb, 4, 4, 300, 200, out, NULL, 0) == -1); /* no err buffer */
    /* The bounds themselves are fine; a flat image has no edges at any threshold. */
    CHECK(canny_edges_rgb(rgb, 4, 4, CANNY_THRESHOLD_MAX, CANNY_THRESHOLD_MAX, out, NULL, 0) == 0);
    CHECK(canny_edges_rgb(rgb, 1, 1, 0, 0, out, NULL, 0) == 0 && out[0] == 0);
}

int main(void) {
    test_golden();
    test_opencv_cases();
    test_argument_errors();
    return CHECK_DONE();
}
