"""The i2i bundle layout (what `i2i mkmodel edit` writes and
engine/pipeline/bundle.c reads): manifest.json + model.safetensors with the
original LDM / CLIP key names. No tokenizer section: the engine then uses
its shipped assets/bpe_simple_vocab_16e6.txt.gz, the vocabulary trained on."""
import json
import os

import torch

from . import configs, edits, safetensors_io

UNET_PREFIX = "model.diffusion_model."
VAE_PREFIX = "first_stage_model."
CLIP_PREFIX = "cond_stage_model.transformer.text_model."


def state_dict(unet, vae, text):
    out = {}
    for prefix, module in ((UNET_PREFIX, unet), (VAE_PREFIX, vae), (CLIP_PREFIX, text)):
        out.update({prefix + k: v for k, v in module.state_dict().items()})
    return out


def manifest(scale_factor, description):
    return {
        "format": "i2i-bundle/1",
        "task": "edit",
        "description": description,
        "weights": ["model.safetensors"],
        "unet": {"prefix": UNET_PREFIX, "config": configs.UNET},
        "vae": {"prefix": VAE_PREFIX, "scale_factor": scale_factor, "config": configs.VAE},
        "text_encoder": {"prefix": CLIP_PREFIX, "config": configs.CLIP},
        "resolution": configs.SERVE_RESOLUTION,
    }


def edit_list():
    """edits.json: the instructions the bundle was trained on, so users (and
    tests/quality) know what it can do and which wordings it never saw."""
    return {"edits": [{"name": n, "structure_changing": e[1],
                       "trained_prompts": edits.TRAIN_PROMPTS[n],
                       "held_out_prompts": edits.HELD_OUT_PROMPTS[n]}
                      for n, e in edits.EDITS.items()]}


def write(out_dir, unet, vae, text, scale_factor, description, dtype=torch.float16, meta=None):
    os.makedirs(out_dir, exist_ok=True)
    tensors = {k: v.to(dtype) for k, v in state_dict(unet, vae, text).items()}
    safetensors_io.save(os.path.join(out_dir, "model.safetensors"), tensors,
                        {"format": "pt", "generator": "tools/train/export.py", **(meta or {})})
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest(scale_factor, description), f, indent=2)
        f.write("\n")
    with open(os.path.join(out_dir, "edits.json"), "w") as f:
        json.dump(edit_list(), f, indent=2)
        f.write("\n")
