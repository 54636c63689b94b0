/* CLIP text transformer in the HuggingFace CLIPTextModel layout, as used by
 * Stable Diffusion 1.x: pre-LN, causal self-attention, quick_gelu MLP (4x),
 * LayerNorm eps 1e-5; returns last_hidden_state (after final_layer_norm). */
#ifndef I2I_CLIP_TEXT_H
#define I2I_CLIP_TEXT_H

#include "param_list.h"
#include "ts.h"
#include "weights.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CLIP_TEXT_CONTEXT 77 /* ids per prompt row */
#define CLIP_TEXT_MAX_LAYERS 64

typedef struct clip_text_config {
    int vocab_size;
    int width;
    int layers;
    int heads;
    int max_positions;
} clip_text_config;

/* SD1 (openai/clip-vit-large-patch14): 49408, 768, 12 layers, 12 heads, 77. */
void clip_text_config_sd1(clip_text_config *c);
/* Keys vocab_size, width, layers, heads, max_positions (HF names hidden_size,
 * num_hidden_layers, num_attention_heads, max_position_embeddings are accepted
 * too). mlp_ratio other than 4, ln_eps other than 1e-5 or an activation other
 * than quick_gelu are errors, not silently ignored. */
bool clip_text_config_from_json(const char *json, clip_text_config *c, char *err, size_t errlen);
bool clip_text_config_check(const clip_text_config *c, char *err, size_t errlen);

/* ---- parameter tree ---- */
typedef struct clip_wb {
    ts_tensor *w, *b;
} clip_wb;

typedef struct clip_layer {
    clip_wb layer_norm1, q_proj, k_proj, v_proj, out_proj, layer_norm2, fc1, fc2;
} clip_layer;

typedef struct clip_text_tensors {
    ts_tensor *token_embedding;    /* [vocab, width] */
    ts_tensor *position_embedding; /* [max_positions, width] */
    clip_layer layer[CLIP_TEXT_MAX_LAYERS];
    clip_wb final_layer_norm;
} clip_text_tensors;

typedef ts_tensor *(*clip_bind_fn)(void *user, const char *name, const int64_t *shape, int ndim);

/* Walks every parameter (the single source of names and shapes), storing
 * bind's results into *out. Walks nothing for a config that fails
 * clip_text_config_check. */
void clip_text_tensors_walk(const clip_text_config *c, const char *prefix, clip_bind_fn bind,
                            void *user, clip_text_tensors *out);
/* Lists every tensor name and shape (196 tensors, 123,060,480 values for SD1).
 * The int64 position_ids buffer of real checkpoints is not a parameter. */
void clip_text_params_foreach(const clip_text_config *c, const char *prefix, param_fn fn,
                              void *user);

/* ---- model ---- */
typedef struct clip_text clip_text;

/* prefix e.g. "cond_stage_model.transformer.text_model."; the weights must
 * outlive the model. Every tensor is checked for presence and shape. */
clip_text *clip_text_create(const weights *w, const char *prefix, const clip_text_config *c,
                            char *err, size_t errlen);
void clip_text_free(clip_text *m);
const clip_text_config *clip_text_get_config(const clip_text *m);

/* ids: batch rows of CLIP_TEXT_CONTEXT token ids -> last_hidden_state
 * [batch, 77, width]. NULL with ts error on failure (e.g. an id out of range).
 * No mutable state: threads may share one model. */
ts_tensor *clip_text_forward(const clip_text *m, const int64_t *ids, int batch);
/* The residual stream after the first n_layers layers (0 = embeddings),
 * without final_layer_norm: the "hidden_states" of HF, for checks. */
ts_tensor *clip_text_hidden(const clip_text *m, const int64_t *ids, int batch, int n_layers);

#endif
