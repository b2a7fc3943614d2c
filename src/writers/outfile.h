/* The files of one `qpsim run -o DIR`, written all or nothing (part of the program, not the library). */
#ifndef QPSIM_WRITERS_OUTFILE_H
#define QPSIM_WRITERS_OUTFILE_H

#include <stdio.h>

/* Every file goes to a new temporary file in DIR (created exclusively, never through a symlink,
 * mode 0644 less the umask), is synced, and is renamed over DIR/NAME only at qp_outdir_commit,
 * once every file of the run is complete: a rename replaces a symlink planted at DIR/NAME instead
 * of following it, and a failed run leaves the folder as it was. */
typedef struct qp_outdir qp_outdir;

/* A set for the existing folder dir (borrowed: it must outlive the set); NULL when out of memory. */
qp_outdir *qp_outdir_open(const char *dir);

/* Writes text as DIR/NAME (to its temporary file). 0, or -1 with the reason in qp_outdir_error;
 * after a failure every later call fails too. */
int qp_outdir_text(qp_outdir *o, const char *name, const char *text);

/* A stream for DIR/NAME that a library writes and closes with fclose (PLplot's plend does):
 * closing it syncs the temporary file, and every write or close failure is kept for
 * qp_outdir_error. NULL, with the reason, when the temporary file cannot be made. */
FILE *qp_outdir_stream(qp_outdir *o, const char *name);

/* Renames every file into place when all were written and closed without an error; 0, or -1
 * with the reason (nothing is renamed when a write failed, or a target is a directory). With
 * the files goes DIR/.qpsim-manifest, their list: the files the previous manifest lists that
 * this run did not write again are then removed (only plain names of regular files in DIR; a
 * folder without a manifest keeps everything), so the folder holds one run. */
int qp_outdir_commit(qp_outdir *o);

/* "cannot remove 'DIR/NAME' of the previous run: reason" after a commit, or NULL. Owned by
 * the set. */
const char *qp_outdir_warning(const qp_outdir *o);

/* "cannot write 'DIR/NAME': reason" for the first failure, or NULL. Owned by the set. */
const char *qp_outdir_error(const qp_outdir *o);

/* Removes the temporary files not committed (closing a stream left open) and frees the set. */
void qp_outdir_free(qp_outdir *o);

#endif
