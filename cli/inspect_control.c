/* The ControlNet part of `i2i inspect` for a ControlNet config (cldm_v15 or
 * a control bundle): the branch's parameters and, per depth, the MACs of a
 * whole job (steps x 2 CFG evaluations of U-Net + branch) both as the paper
 * counts them (the branch in full at every depth, Table S8) and as the
 * engine runs it (the branch stopped after block D-1). */
#include "inspect.h"

#include <inttypes.h>
#include <stdio.h>

#define CONTROL_EVALS_PER_STEP 2 /* classic CFG: prompt, negative prompt */

static double tera(int64_t macs, int calls) {
    return (double)macs * calls / 1e12;
}

void inspect_print_control(const controlnet_cost *cc, const unet_cost_profile *cp, int steps,
                           bool json) {
    const int calls = steps * CONTROL_EVALS_PER_STEP;
    if (json) {
        printf(",\"controlnet\":{\"params\":%" PRId64 ",\"steps\":%d,\"evals_per_step\":%d,"
               "\"branch_macs_conv_linear_full\":%" PRId64 ",\"depths\":[",
               cc->params, steps, CONTROL_EVALS_PER_STEP, unet_macs_conv_linear(cc->full));
    } else {
        printf("\ncontrolnet: %" PRId64 " parameters; per job of %d steps x %d CFG evaluations\n"
               "(U-Net + control branch, conv+linear TMACs; paper: branch in full at every "
               "depth; run: stopped after block D-1):\n"
               "depth  branch GMACs full  branch GMACs run  job TMACs paper  job TMACs run\n",
               cc->params, steps, CONTROL_EVALS_PER_STEP);
    }
    for (int d = cc->n_depths; d >= 1; d--) {
        const int64_t u = unet_macs_conv_linear(unet_cost_at_depth(cp, d));
        const int64_t full = unet_macs_conv_linear(cc->full);
        const int64_t run = unet_macs_conv_linear(cc->run[d]);
        if (json)
            printf("%s{\"depth\":%d,\"branch_macs_conv_linear_run\":%" PRId64
                   ",\"job_tmacs_conv_linear_paper\":%.4f,\"job_tmacs_conv_linear_run\":%.4f}",
                   d < cc->n_depths ? "," : "", d, run, tera(u + full, calls),
                   tera(u + run, calls));
        else
            printf("D%02d   %17.3f  %16.3f  %15.2f  %13.2f\n", d, full / 1e9, run / 1e9,
                   tera(u + full, calls), tera(u + run, calls));
    }
    if (json) printf("]}");
}
