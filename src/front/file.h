/* Internal: reading a whole netlist file, the reader the command line and the C API give the
 * front end (the parser itself opens no file). */
#ifndef QPSIM_FRONT_FILE_H
#define QPSIM_FRONT_FILE_H

#include <stddef.h>

/* A qp_read_fn (qpsim/netlist.h): reads the regular file at path whole into a malloc'd buffer
 * (*text, the caller frees it; *len bytes, not NUL-terminated) and returns 0, or returns -1 with
 * a static message in *why (not a regular file: a directory, a FIFO, a device, a socket, a file
 * of /proc or /sys, none of which is opened for reading long enough to block; a file over
 * QP_MAX_FILE_BYTES; a read error; out of memory). ctx is unused. */
int qp_file_read(void *ctx, const char *path, char **text, size_t *len, const char **why);

#endif
