/* Internal (CLI): the processes of `mpirun -np N qpsim ...` (docs/scale.md); without MPI in the
 * build, one process and nothing to do. */
#ifndef QPSIM_CLI_MPI_H
#define QPSIM_CLI_MPI_H

#include "qpsim/dist.h"

/* Starts MPI when the build has it and a launcher (mpirun, srun) started this process, and fills
 * *d (rank, size, the all-gather over every process,
 * the communicator's Fortran handle); *local receives the processes on this machine. Processes
 * other than 0 have their standard output and error sent to /dev/null: only process 0 writes.
 * Returns 0, or nonzero when MPI could not start. */
int qp_cli_mpi_init(int *argc, char ***argv, qp_dist *d, int *local);

/* Ends MPI (if started): the exit status of every process combined (the largest), returned on each. Process 0
 * says which process failed when its own run did not. */
int qp_cli_mpi_finish(const qp_dist *d, int rc);

#endif
