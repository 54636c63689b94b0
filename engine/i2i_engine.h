/* The engine's one public header: what server/ and cli/ may call.
 * A bundle is loaded once and is read-only afterwards, so any number of
 * worker threads may run jobs on it at once (each job uses its own scratch). */
#ifndef I2I_ENGINE_H
#define I2I_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum i2i_status {
    I2I_OK = 0,
    I2I_ERR_INVALID = 1,  /* a parameter out of range */
    I2I_ERR_IMAGE = 2,    /* unusable input image */
    I2I_ERR_MODEL = 3,    /* bundle or weights missing / malformed */
    I2I_ERR_CANCELED = 4, /* the progress callback asked to stop */
    I2I_ERR_INTERNAL = 5  /* tensor runtime failure */
} i2i_status;

/* Both image sides must be at least this many pixels (smaller images carry
 * nothing to edit and would vanish in the U-Net's downsampling). */
#define I2I_MIN_IMAGE_SIDE 32

typedef enum i2i_sampler { I2I_SAMPLER_DDIM = 0, I2I_SAMPLER_DPMPP_2M = 1 } i2i_sampler;

/* 8-bit RGB, row-major, width*height*3 bytes. */
typedef struct i2i_image {
    int width;
    int height;
    uint8_t *rgb;
} i2i_image;

/* How /v1/control gets its hint: canny edges of the image, or the image is
 * itself the edge map. */
typedef enum i2i_control_type { I2I_CONTROL_CANNY = 0, I2I_CONTROL_RAW = 1 } i2i_control_type;

#define I2I_RESOLUTION_BUNDLE (-1)

/* How /v1/upscale matches the result's colours to the input's (StableSR's
 * colorfix_type): AdaIN per channel, wavelet low frequencies, or none. */
typedef enum i2i_color_fix {
    I2I_COLOR_FIX_ADAIN = 0,
    I2I_COLOR_FIX_WAVELET = 1,
    I2I_COLOR_FIX_NONE = 2
} i2i_color_fix;

/* upscale's scale range: output sides are floor(input side x scale). */
#define I2I_UPSCALE_MIN 1.0
#define I2I_UPSCALE_MAX 8.0

/* The size a job's result comes back at: the input's, or the size it ran at. */
typedef enum i2i_output_size { I2I_OUTPUT_INPUT = 0, I2I_OUTPUT_WORKING = 1 } i2i_output_size;

/* The parameters of one job, whatever its task: a task reads the fields it
 * documents and ignores the rest (i2i_params_default fills all of them). */
typedef struct i2i_params {
    /* every task */
    const char *prompt;
    const char *negative_prompt; /* the unconditional text; NULL or "" = "" */
    int depth;                   /* 1..13; 13 = full U-Net */
    int steps;                   /* >= 1 */
    double gamma;                /* time-step schedule control; 1 = uniform */
    i2i_sampler sampler;
    double eta;            /* DDIM stochasticity, 0..1 */
    double guidance_scale; /* text guidance s_T */
    uint64_t seed;
    /* The working size (the image is resampled to it, Lanczos-3): edit, the
     * long side, sides rounded as InstructPix2Pix's edit_cli.py does, 0 = the
     * input's own size (padded to the U-Net's multiple); control, the short
     * side, rounded as the ControlNet app's resize_image does.
     * I2I_RESOLUTION_BUNDLE = the bundle's own (manifest "resolution", 512 by
     * default: what SD-1.x was trained at). */
    int resolution;
    i2i_output_size output_size;
    /* With I2I_OUTPUT_INPUT: the size to return at; 0 x 0 = the input
     * image's. A caller that resampled the input to its working size itself
     * (and passes resolution 0) gives the original size here. */
    int output_width, output_height;
    /* edit (InstructPix2Pix) */
    double image_guidance_scale; /* image guidance s_I */
    /* control (ControlNet) */
    double control_scale; /* multiplies every control residual */
    i2i_control_type control_type;
    int low_threshold, high_threshold; /* canny hysteresis thresholds, 0..2040 */
    /* upscale (StableSR): the result is floor(w x scale) x floor(h x scale);
     * `resolution` is not read (the short side is brought up to the
     * bundle's own resolution, as StableSR's input_size) */
    double scale; /* I2I_UPSCALE_MIN..I2I_UPSCALE_MAX */
    i2i_color_fix color_fix;
    double cfw_weight; /* the CFW decoder's fusion weight w, 0..1 */
} i2i_params;

/* Called after each denoising step; return false to cancel the job, which
 * then stops before the next U-Net evaluation. */
typedef bool (*i2i_progress_fn)(void *user, int step, int steps);

typedef struct i2i_bundle i2i_bundle;

/* The tasks this build runs ("edit", "control", "upscale"), NULL-terminated. */
const char *const *i2i_tasks(void);
/* U-Net evaluations per denoising step of a task (edit 3, control 2,
 * upscale 1); 0 for an unknown task. */
int i2i_task_unet_evals_per_step(const char *task);
/* The task's own defaults (the paper's headline profile for it). */
void i2i_params_default(const char *task, i2i_params *p);

i2i_bundle *i2i_bundle_load(const char *dir, char *err, size_t errlen);
void i2i_bundle_free(i2i_bundle *b);
const char *i2i_bundle_task(const i2i_bundle *b); /* "edit", "control", ... */
/* Bytes of weights the bundle holds in memory (mapped files and converted
 * copies), for the memory report. */
size_t i2i_bundle_resident_bytes(const i2i_bundle *b);

/* The memory report: resident weight bytes per network ("unet", "vae",
 * "text_encoder", "controlnet", "stablesr", "cfw_vae") in the form the
 * kernels hold them -- conv weights packed (the plain copy released), and
 * in bf16 mode (I2I_BF16=1 at load) conv and linear weights as bf16 only. */
#define I2I_MAX_NETWORKS 8
typedef struct i2i_network_memory {
    char network[24];
    size_t bytes;      /* everything the network's tensors keep resident */
    size_t bf16_bytes; /* the part held as bf16 */
} i2i_network_memory;
/* The bundle's entries in load order (*n of them); valid while it is loaded. */
const i2i_network_memory *i2i_bundle_memory(const i2i_bundle *b, int *n);
/* "bf16" when the bundle's weights were prepared in bf16 mode, else "fp32". */
const char *i2i_bundle_weight_dtype(const i2i_bundle *b);

/* The size `task` runs an input of w x h at under p (see i2i_params.resolution;
 * a raw edge map keeps its own size), so callers can check their compute
 * limits before queuing or decoding anything. false with a message when the task cannot run that
 * input at all (a raw edge map whose sides are not multiples of 64). */
bool i2i_working_size(const char *task, int w, int h, const i2i_params *p, int *ow, int *oh,
                      char *err, size_t errlen);
/* The size of the result `task` returns for a w x h input under p (the
 * input's, the working size, or input x scale for upscale), to check an
 * output limit from the image header. */
bool i2i_result_size(const char *task, int w, int h, const i2i_params *p, int *ow, int *oh,
                     char *err, size_t errlen);
/* The bundle's own working resolution (manifest "resolution"). */
int i2i_bundle_resolution(const i2i_bundle *b);

/* Runs one job of the bundle's task on `in`; on success *out holds a new
 * image (the input's size, or the working size with I2I_OUTPUT_WORKING) to
 * free with i2i_image_free. err receives a one-line message otherwise. */
i2i_status i2i_run(const i2i_bundle *b, const i2i_image *in, const i2i_params *p,
                   i2i_progress_fn progress, void *user, i2i_image *out, char *err, size_t errlen);
void i2i_image_free(i2i_image *img);
/* in resampled to w x h (Lanczos-3, antialiased when shrinking) into a new
 * image; I2I_ERR_INVALID for bad sizes, I2I_ERR_INTERNAL out of memory. */
i2i_status i2i_image_resize(const i2i_image *in, int w, int h, i2i_image *out);

/* Process-wide runtime tuning (keeps large activation buffers in the heap
 * instead of returning them to the kernel after every call); call once at
 * the start of main(). */
void i2i_runtime_init(void);

/* Intra-op threads for the calling thread's tensor work. */
void i2i_set_threads(int n);

#ifdef __cplusplus
}
#endif
#endif
