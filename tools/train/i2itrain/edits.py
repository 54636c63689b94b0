"""Instruction edits whose right answer is computed exactly, with paraphrases.

Each edit maps a [B, 3, H, W] batch in [0, 1] to its target. The last
paraphrase(s) of each edit (HELD_OUT_PROMPTS) are never trained on, so tests
can ask whether the text encoder generalises across wordings. They recombine
words the training paraphrases use ("make the image darker" from "make it
darker" and "darken the image"): a text encoder trained from scratch on a
few dozen sentences has untrained embeddings for any word it never saw, so a
new word could not mean anything to it."""
import torch
import torch.nn.functional as F

LUMA = torch.tensor([0.299, 0.587, 0.114])
SEPIA = torch.tensor([[0.393, 0.769, 0.189],
                      [0.349, 0.686, 0.168],
                      [0.272, 0.534, 0.131]])


def luma(x):
    return (x * LUMA.to(x)[None, :, None, None]).sum(1, keepdim=True)


def black_and_white(x):
    return luma(x).expand_as(x)


def invert(x):
    return 1.0 - x


def sepia(x):
    return torch.einsum("oc,bchw->bohw", SEPIA.to(x), x).clamp(0, 1)


def channel_gain(gains):
    def edit(x):
        return (x * torch.tensor(gains).to(x)[None, :, None, None]).clamp(0, 1)
    return edit


def more_contrast(x):
    m = luma(x).mean(dim=(2, 3), keepdim=True)
    return ((x - m) * 1.6 + m).clamp(0, 1)


def gaussian_blur(x, sigma=1.5):
    r = int(3 * sigma + 0.5)
    k = torch.exp(-torch.arange(-r, r + 1, dtype=x.dtype) ** 2 / (2 * sigma ** 2))
    k = (k / k.sum()).to(x)
    c = x.shape[1]
    x = F.conv2d(F.pad(x, (r, r, 0, 0), mode="reflect"), k.view(1, 1, 1, -1).repeat(c, 1, 1, 1),
                 groups=c)
    return F.conv2d(F.pad(x, (0, 0, r, r), mode="reflect"), k.view(1, 1, -1, 1).repeat(c, 1, 1, 1),
                    groups=c)


# name -> (function, structure-changing?, paraphrases: trained ..., held out last)
EDITS = {
    "black_and_white": (black_and_white, False, [
        "make it black and white", "turn it into a black and white photo", "remove the colours",
        "make it grayscale", "desaturate the image", "make the photo black and white"]),
    "invert": (invert, False, [
        "invert the colors", "make it a negative", "invert the image", "reverse the colours",
        "make the image a negative"]),
    "sepia": (sepia, False, [
        "make it sepia", "give it a sepia tone", "make it look like an old photo",
        "apply a sepia filter", "give the photo a sepia filter"]),
    "warmer": (channel_gain([1.15, 1.0, 0.8]), False, [
        "make it warmer", "give it warm tones", "make the colours warmer",
        "add a warm tint", "make the image warmer"]),
    "cooler": (channel_gain([0.8, 1.0, 1.15]), False, [
        "make it cooler", "give it cool tones", "make the colours colder",
        "add a blue tint", "give the image cool tones"]),
    "brighter": (channel_gain([1.4, 1.4, 1.4]), False, [
        "make it brighter", "brighten the image", "increase the brightness",
        "make it lighter", "make the image brighter"]),
    "darker": (channel_gain([0.6, 0.6, 0.6]), False, [
        "make it darker", "darken the image", "decrease the brightness",
        "make it dimmer", "make the image darker"]),
    "more_contrast": (more_contrast, False, [
        "increase the contrast", "make it more contrasty", "add more contrast",
        "boost the contrast", "give it more contrast"]),
    "blur": (gaussian_blur, False, [
        "blur the image", "make it blurry", "make it out of focus", "soften the image",
        "make the image blurry"]),
    "mirror": (lambda x: x.flip(-1), True, [
        "mirror the image", "flip it horizontally", "make a mirror image",
        "flip it left to right", "flip the image horizontally"]),
    "upside_down": (lambda x: x.flip(-2), True, [
        "turn it upside down", "flip it vertically", "rotate it upside down",
        "flip it top to bottom", "flip the image vertically"]),
}
N_HELD_OUT = 1  # the last paraphrase of each edit

NAMES = list(EDITS)
TRAIN_PROMPTS = {k: v[2][:-N_HELD_OUT] for k, v in EDITS.items()}
HELD_OUT_PROMPTS = {k: v[2][-N_HELD_OUT:] for k, v in EDITS.items()}


def apply(name, x):
    return EDITS[name][0](x)
