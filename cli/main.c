/* i2i: command-line front end of the engine (run a job, make tiny models,
 * evaluate one network, print schedules, tokenize, inspect costs). */
#include "commands.h"
#include "i2i_engine.h"

#include <stdio.h>
#include <string.h>

typedef struct subcommand {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} subcommand;

static const subcommand SUBCOMMANDS[] = {
    {"run", cmd_run,
     "run a job from files: i2i run edit --bundle DIR --image IN --prompt TEXT --out OUT.png"},
    {"mkmodel", cmd_mkmodel,
     "write a tiny runnable bundle: i2i mkmodel edit --size tiny --out DIR"},
    {"eval", cmd_eval,
     "evaluate one network on tensors: i2i eval unet|stablesr|vae-decode|... --help"},
    {"schedule", cmd_schedule, "print gamma time steps: i2i schedule --steps N --gamma G [--json]"},
    {"tokenize", cmd_tokenize, "print the 77 CLIP token ids of a text"},
    {"inspect", cmd_inspect,
     "parameters and MACs per depth: i2i inspect --config sd15|stablesr|...|FILE|DIR"},
    {"search", cmd_search, "gamma/depth searches -> profile: i2i search gamma|depth --help"},
    {"canny", cmd_canny, "edge map for a ControlNet hint: i2i canny --image IN --out OUT.png"},
};
static const int N_SUBCOMMANDS = (int)(sizeof SUBCOMMANDS / sizeof SUBCOMMANDS[0]);

static void usage(FILE *out) {
    fprintf(out, "usage: i2i <command> [options]\n\ncommands:\n");
    for (int i = 0; i < N_SUBCOMMANDS; i++)
        fprintf(out, "  %-9s %s\n", SUBCOMMANDS[i].name, SUBCOMMANDS[i].summary);
    fprintf(out, "\n'i2i <command> --help' describes each command's options.\n");
}

int main(int argc, char **argv) {
    i2i_runtime_init();
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (int i = 0; i < N_SUBCOMMANDS; i++)
        if (!strcmp(argv[1], SUBCOMMANDS[i].name)) return SUBCOMMANDS[i].run(argc - 1, argv + 1);
    fprintf(stderr, "i2i: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
