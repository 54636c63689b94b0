/* `i2i inspect --bundle DIR`: the memory report. The bundle is loaded as the
 * server loads it (I2I_BF16=1 selects the bf16 form), so the bytes are the
 * ones a server holds for it. */
#include "i2i_engine.h"
#include "inspect.h"

#include <stdio.h>

#define MIB (1024.0 * 1024.0)

bool inspect_print_memory(const char *dir, bool json, char *err, size_t errlen) {
    i2i_bundle *b = i2i_bundle_load(dir, err, errlen);
    if (!b) return false;
    int n;
    const i2i_network_memory *m = i2i_bundle_memory(b, &n);
    const char *dtype = i2i_bundle_weight_dtype(b);
    if (json) {
        printf(",\"memory\":{\"dtype\":\"%s\",\"resident_bytes\":%zu,\"networks\":[", dtype,
               i2i_bundle_resident_bytes(b));
        for (int i = 0; i < n; i++)
            printf("%s{\"network\":\"%s\",\"bytes\":%zu,\"bf16_bytes\":%zu}", i ? "," : "",
                   m[i].network, m[i].bytes, m[i].bf16_bytes);
        printf("]}");
    } else {
        printf("\nResident weights (%s mode, the kernels' form: conv weights packed, one copy):\n",
               dtype);
        for (int i = 0; i < n; i++)
            printf("  %-13s %10.1f MiB  (%.1f MiB bf16)\n", m[i].network, m[i].bytes / MIB,
                   m[i].bf16_bytes / MIB);
        printf("  %-13s %10.1f MiB  (every tensor of the weight files)\n", "bundle total",
               i2i_bundle_resident_bytes(b) / MIB);
    }
    i2i_bundle_free(b);
    return true;
}
