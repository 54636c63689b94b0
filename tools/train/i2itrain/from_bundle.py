"""Load an exported bundle back into the PyTorch models: for the parity check
(the exact weights the engine runs) and to continue training on a machine
that has the committed bundle but not the run's checkpoints (optimiser state
then starts afresh; the fp16 rounding of the weights is harmless)."""
import os

from . import bundle, safetensors_io


def tensors(bundle_dir):
    return safetensors_io.load(os.path.join(bundle_dir, "model.safetensors"))


def load_into(module, sd, prefix):
    module.load_state_dict({k[len(prefix):]: v for k, v in sd.items() if k.startswith(prefix)})
    return module


def load_ip2p(model, sd):
    load_into(model.unet, sd, bundle.UNET_PREFIX)
    load_into(model.text, sd, bundle.CLIP_PREFIX)
    return model


def load_vae(vae, sd):
    return load_into(vae, sd, bundle.VAE_PREFIX)


def scale_factor(bundle_dir):
    import json
    with open(os.path.join(bundle_dir, "manifest.json")) as f:
        return float(json.load(f)["vae"]["scale_factor"])
