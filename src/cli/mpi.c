/* The CLI's processes under mpirun: MPI started and ended here, the library given only a
 * qp_dist (an all-gather and the communicator handle), and only process 0 writing. */
#include "cli/mpi.h"

#include <limits.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int started; /* MPI_Init ran: qpsim was launched by mpirun or srun */

/* Whether a launcher started this process as one of several: Open MPI's mpirun and PMIx or PMI
 * launchers (srun) set these. Without one, MPI is not started at all: MPI_Init as a singleton
 * costs a third of a second, which every plain `qpsim` run would pay. */
static int launched(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK") ||
           getenv("PMI_SIZE");
}

/* Open MPI with every process on this machine: its default message layer first probes for
 * PSM/Omni-Path and libfabric adapters, which took 0.2 s of every start here (0.34 s -> 0.13 s
 * for `mpirun -np 2` of an empty MPI program) before it settles on ob1 over shared memory anyway;
 * so ob1 is asked for directly. Not when the user chose a message layer (`--mca pml ...` and
 * `--mca mtl ...` reach the process as these variables), nor across machines, where the probed
 * adapters may be the fast path (docs/scale.md). */
static void one_machine_defaults(void)
{
    const char *size = getenv("OMPI_COMM_WORLD_SIZE");
    const char *here = getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
    if (size && here && strcmp(size, here) == 0 && !getenv("OMPI_MCA_pml") &&
        !getenv("OMPI_MCA_mtl")) {
        setenv("OMPI_MCA_pml", "ob1", 0);
    }
}

/* qp_dist.allgather over MPI_COMM_WORLD, in pieces of at most INT_MAX bytes per process. */
static int world_allgather(void *ctx, const void *send, size_t bytes, void *recv)
{
    (void)ctx;
    if (bytes <= (size_t)INT_MAX) {
        return MPI_Allgather(send, (int)bytes, MPI_BYTE, recv, (int)bytes, MPI_BYTE,
                             MPI_COMM_WORLD) != MPI_SUCCESS;
    }
    return 1; /* more than 2 GB of sweep results per process: not supported */
}

int qp_cli_mpi_init(int *argc, char ***argv, qp_dist *d, int *local)
{
    int provided = 0;
    *local = 1;
    if (!launched()) {
        return 0;
    }
    one_machine_defaults();
    /* FUNNELED: only the calling thread of a run (worker 0 of the sweep pool) exchanges. */
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        return 1;
    }
    started = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &d->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &d->size);
    d->ctx = NULL;
    d->allgather = world_allgather;
    d->fcomm = (int)MPI_Comm_c2f(MPI_COMM_WORLD);
    MPI_Comm node;
    if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) ==
        MPI_SUCCESS) {
        MPI_Comm_size(node, local);
        MPI_Comm_free(&node);
    }
    if (d->rank != 0) {
        if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)) {
            return 1;
        }
    }
    return 0;
}

int qp_cli_mpi_finish(const qp_dist *d, int rc)
{
    if (!started) {
        return rc;
    }
    int worst = rc, who = rc != 0 ? d->rank : INT_MAX;
    MPI_Allreduce(&rc, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    int first = who;
    MPI_Allreduce(&who, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (d->rank == 0 && rc == 0 && worst != 0) {
        fprintf(stderr, "qpsim: error: process %d of %d failed (exit status %d)\n", first,
                d->size, worst);
    }
    MPI_Finalize();
    return worst;
}
