/* Classifier-free guidance: combining several ε-predictions of one step
 * into the guided ε (DESIGN.md §1.2). Element-wise, double arithmetic;
 * out may alias any input. */
#ifndef I2I_GUIDANCE_H
#define I2I_GUIDANCE_H

#include <stddef.h>

/* InstructPix2Pix 3-way guidance:
 * ε = ε(∅,∅) + s_text·[ε(I,T) − ε(I,∅)] + s_image·[ε(I,∅) − ε(∅,∅)]. */
void ip2p_guidance(const float *e_uncond, const float *e_img, const float *e_full, size_t n,
                   float s_text, float s_image, float *out);

/* Classic 2-way guidance: ε = ε(∅) + scale·[ε(c) − ε(∅)]. */
void cfg_guidance(const float *e_uncond, const float *e_cond, size_t n, float scale, float *out);

#endif
