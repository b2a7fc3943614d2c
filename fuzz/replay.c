/* A main() for a libFuzzer target built without libFuzzer: runs LLVMFuzzerTestOneInput once on
 * each file named on the command line (a crash or a sanitizer report stops it; exit 0 otherwise).
 * usage: fuzz_run_replay FILE... */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The whole of file path, malloc'd, into *len; NULL when it cannot be read. */
static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t cap = 0;
    *len = 0;
    if (!f) {
        return NULL;
    }
    for (;;) {
        if (*len == cap) {
            cap = cap ? 2 * cap : 4096;
            uint8_t *b = realloc(buf, cap);
            if (!b) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = b;
        }
        size_t got = fread(buf + *len, 1, cap - *len, f);
        *len += got;
        if (got == 0) {
            break;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    return buf;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        size_t len = 0;
        uint8_t *data = slurp(argv[i], &len);
        if (!data) {
            fprintf(stderr, "fuzz replay: cannot read %s\n", argv[i]);
            return 2;
        }
        LLVMFuzzerTestOneInput(data, len);
        free(data);
    }
    return 0;
}
