/* Reading a whole netlist file for the front end (the command line's and the C API's reader). */
#include "front/file.h"
#include "qpsim/netlist.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/vfs.h>
#endif

#ifdef __linux__
/* /proc and /sys hold regular-looking files that are views of the system, not netlists (their
 * size is 0 or a page whatever they hold, and reading some of them blocks or has effects). */
static int is_pseudo_fs(int fd)
{
    struct statfs fs;
    if (fstatfs(fd, &fs) != 0) {
        return 0;
    }
    return fs.f_type == 0x9fa0 /* PROC_SUPER_MAGIC */ ||
           fs.f_type == 0x62656572 /* SYSFS_MAGIC */;
}
#endif

/* Why the open file fd cannot be a netlist, or NULL: it must be a regular file. Checked on the
 * descriptor opened (no race with a file swapped in between). */
static const char *not_regular(int fd)
{
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        return strerror(errno);
    }
    if (S_ISDIR(sb.st_mode)) {
        return "it is a directory";
    }
    if (S_ISFIFO(sb.st_mode) || S_ISSOCK(sb.st_mode)) {
        return "it is a pipe or a socket, not a regular file";
    }
    if (!S_ISREG(sb.st_mode)) {
        return "it is a device, not a regular file";
    }
#ifdef __linux__
    if (is_pseudo_fs(fd)) {
        return "it is a file of /proc or /sys, not a regular file";
    }
#endif
    if ((unsigned long long)sb.st_size > QP_MAX_FILE_BYTES) {
        return "file larger than 64 MiB";
    }
    return NULL;
}

int qp_file_read(void *ctx, const char *path, char **text, size_t *len, const char **why)
{
    (void)ctx;
    /* O_NONBLOCK: opening a FIFO without a writer must not wait; fstat then refuses it. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        *why = strerror(errno);
        return -1;
    }
    if ((*why = not_regular(fd)) != NULL) {
        close(fd);
        return -1;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    int err = 0;
    while (buf) {
        if (n == cap) {
            if (cap >= QP_MAX_FILE_BYTES) { /* grew while being read */
                free(buf);
                close(fd);
                *why = "file larger than 64 MiB";
                return -1;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t got = read(fd, buf + n, cap - n);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0) {
            err = 1;
            break;
        }
        if (got == 0) {
            break;
        }
        n += (size_t)got;
    }
    close(fd);
    if (!buf || err) {
        *why = buf ? "read error" : "out of memory";
        free(buf);
        return -1;
    }
    *text = buf;
    *len = n;
    return 0;
}
