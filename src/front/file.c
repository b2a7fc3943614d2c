/* Reading a whole netlist file for the front end (the command line's and the C API's reader). */
#include "front/file.h"
#include "qpsim/netlist.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int qp_file_read(void *ctx, const char *path, char **text, size_t *len, const char **why)
{
    (void)ctx;
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        *why = "it is a directory";
        return -1;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        *why = strerror(errno);
        return -1;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n == cap) {
            if (cap >= QP_MAX_FILE_BYTES) {
                free(buf);
                fclose(f);
                *why = "file larger than 64 MiB";
                return -1;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            break;
        }
    }
    int err = ferror(f);
    fclose(f);
    if (!buf || err) {
        free(buf);
        *why = buf ? "read error" : "out of memory";
        return -1;
    }
    *text = buf;
    *len = n;
    return 0;
}
