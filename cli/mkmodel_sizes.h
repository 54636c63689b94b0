/* Model sizes of `i2i mkmodel`: the layout (LDM config JSON) of every
 * network of the edit, control and upscale bundles, per size. "tiny" keeps
 * tests and demos fast; "sd" is the real SD-1.5 / InstructPix2Pix /
 * ControlNet / StableSR v2-512 size, for memory and speed measurements with
 * random weights. */
#ifndef I2I_MKMODEL_SIZES_H
#define I2I_MKMODEL_SIZES_H

typedef struct mkmodel_size {
    const char *name;
    const char *description; /* "tiny" or "SD-size", for the manifest */
    const char *unet, *control_unet, *controlnet, *vae, *clip;
    const char *sr_unet, *sr_encoder, *cfw, *sr_tiling;
    int sr_spade_hidden;
    long sr_max_pixels;
    int resolution; /* the bundles' working resolution */
} mkmodel_size;

/* NULL for an unknown name. */
const mkmodel_size *mkmodel_size_find(const char *name);
/* "tiny, sd": the names, for usage and error messages. */
const char *mkmodel_size_names(void);

#endif
