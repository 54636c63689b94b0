/* Single-network evaluators behind `i2i eval`: each reads its inputs from a
 * safetensors file (golden *_io names) and writes its outputs to another. */
#ifndef I2I_CLI_EVAL_H
#define I2I_CLI_EVAL_H

#include "weights.h"
#include <stddef.h>
#include <stdint.h>

int eval_unet(const char *weights_path, const char *inputs_path, const char *out_path, int depth,
              const char *config_path);
int eval_vae_encode(const char *weights, const char *inputs, const char *out,
                    const char *config_path);
int eval_vae_decode(const char *weights, const char *inputs, const char *out,
                    const char *config_path);
int eval_clip_text(const char *weights, const char *inputs, const char *out,
                   const char *config_path);

int eval_controlnet(const char *weights_path, const char *inputs_path, const char *out_path,
                    int depth, const char *config_path);
/* depth 0: eps at every depth. --config is refused: both configs come from
 * the weights' metadata. */
int eval_stablesr(const char *weights_path, const char *inputs_path, const char *out_path,
                  int depth, const char *config_path);
/* w NULL: decodes at the fixture's w = 0, 0.5 and 1. */
int eval_cfw_decode(const char *weights_path, const char *inputs_path, const char *out_path,
                    const float *w, const char *config_path);

/* Shared by the evaluators: the config JSON of --config or the weights'
 * metadata (caller frees; NULL with err), and the B timesteps of the
 * inputs' `t` (one per row, or one for all; malloc'd, NULL with ts error). */
char *eval_config_text(const weights *w, const char *weights_path, const char *config_path,
                       char *err, size_t errlen);
float *eval_read_timesteps(const weights *in, int64_t batch);

#endif
