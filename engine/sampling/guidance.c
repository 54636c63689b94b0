/* Guidance combinations (see guidance.h). */
#include "guidance.h"

void ip2p_guidance(const float *e_uncond, const float *e_img, const float *e_full, size_t n,
                   float s_text, float s_image, float *out) {
    for (size_t i = 0; i < n; i++) {
        double u = e_uncond[i], im = e_img[i], full = e_full[i];
        out[i] = (float)(u + (double)s_text * (full - im) + (double)s_image * (im - u));
    }
}

void cfg_guidance(const float *e_uncond, const float *e_cond, size_t n, float scale, float *out) {
    for (size_t i = 0; i < n; i++) {
        double u = e_uncond[i], c = e_cond[i];
        out[i] = (float)(u + (double)scale * (c - u));
    }
}
