/* Work split over several processes (docs/scale.md): what the embedding program (the CLI under
 * mpirun) gives a run so that its processes share the points of a sweep, without the library
 * holding any communicator or global state of its own. */
#ifndef QPSIM_DIST_H
#define QPSIM_DIST_H

#include <stddef.h>

typedef struct qp_dist {
    int rank, size; /* this process and how many run together (size 1: alone) */
    void *ctx;      /* for the functions below */
    /* Collective: every process calls it at the same point with the same `bytes`, passing its
     * block at send; recv (size x bytes) receives every process's block in rank order. 0 on
     * success, nonzero when the exchange failed (the run then fails on every process). */
    int (*allgather)(void *ctx, const void *send, size_t bytes, void *recv);
    /* The Fortran handle (MPI_Fint) of the communicator that a distributed spectrum runs its
     * PARPACK iteration and halo exchange on; meaningful only in a build with MPI. */
    int fcomm;
} qp_dist;

#endif
