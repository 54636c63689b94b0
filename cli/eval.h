/* Single-network evaluators behind `i2i eval`: each reads its inputs from a
 * safetensors file (golden *_io names) and writes its outputs to another. */
#ifndef I2I_CLI_EVAL_H
#define I2I_CLI_EVAL_H

int eval_unet(const char *weights_path, const char *inputs_path, const char *out_path, int depth,
              const char *config_path);
int eval_vae_encode(const char *weights, const char *inputs, const char *out,
                    const char *config_path);
int eval_vae_decode(const char *weights, const char *inputs, const char *out,
                    const char *config_path);
int eval_clip_text(const char *weights, const char *inputs, const char *out,
                   const char *config_path);

#endif
