/* Internal: the quantizer's shared context and steps, one file per job (docs/physics.md). */
#ifndef QPSIM_CIRCUIT_QUANTIZE_STATE_H
#define QPSIM_CIRCUIT_QUANTIZE_STATE_H

/* Files and the steps they hold, called in this order by qp_quantize (quantize.c):
 *   tree.c    1-3: branches (parallel ones merged), spanning tree, loop matrix (and a rank
 *                  test the aligned coordinates use)
 *   reduce.c  4-5: terms, canonical pairs (Smith form), kernel elimination; on the way it calls
 *   gauge.c        the flux gauge (where the external flux goes)
 *   modes.c   6:   compact directions, the unimodular change to mode kinds, normal modes
 *   qdense.c       small dense helpers the steps share.
 * No two of them call each other: quantize.c calls tree.c, reduce.c and modes.c; reduce.c calls
 * gauge.c; every file may call qdense.c, which calls none. */

#include "circuit/intmat.h"
#include "qpsim/quantize.h"

#include <stddef.h>

typedef struct {
    int ind;    /* 1: inductive (L, B), 0: capacitive (C, Q) */
    char kind;  /* 'C', 'L', 'B', 'Q' */
    int n1, n2;
    double E;   /* EC, EJ or ES [GHz]; L uses the inverse inductance matrix */
    int elem;
    int lidx;   /* index among inductors, or -1 */
    double ind_H; /* L: the inductance [H] (of the parallel group when merged) */
    size_t first, nmem; /* merged parallel group: its members are q->mem[first .. first+nmem) */
} branch;

/* One element of a merged group of parallel branches: its branch variable is share times the
 * group's (a capacitance's charge: +-C_i/C_sum; an inductor's or a junction's phase: +-1, the
 * sign from its orientation against the group's). */
typedef struct {
    int elem;
    double share;
} member;

/* The state of one quantization; qp_quantize owns every array and frees them at the end. */
typedef struct {
    const qp_circuit *c;
    qp_diag *d;
    branch *br;
    size_t nb, nn; /* branches, nodes (with ground) */
    int *tree, *chords; /* branch indices */
    size_t nt, nc;
    long long *Bn; /* nn x nt */
    long long *F;  /* nc x nt */
    double *theta; /* per branch */
    double *ngT;   /* per tree branch */
    int *elem_branch; /* element -> its (inductive, for B) branch */
    member *mem;      /* members of the merged parallel groups (branch.first, .nmem) */
    size_t nmem;
} qctx;

/* The forms over the r canonical pairs left after the reduction (steps 4-5). */
typedef struct {
    size_t r;
    double *Lm, *lphi, *Ac, *lp, cst;
    qp_cos_term *cos;
    size_t ncos;
    qp_branch_row *branch; /* inductor and capacitance rows (qp_modes.branch) */
    size_t nbranch;
    qp_imat Rinv; /* Phi' = Rinv Phi over I-tree branch fluxes */
    size_t elim_loops, elim_cuts;
} reduced;

/* An error at `loc` of q's circuit, into q's diagnostics. */
#define QERR(q, loc, ...)                                                                          \
    qp_diag_add((q)->d, QP_SEV_ERROR, qp_circuit_file((q)->c, loc), (loc).line, (loc).col,        \
                __VA_ARGS__)

/* ---- qdense.c ---- */

/* A zeroed array of n doubles (at least one), owned by the caller; NULL when out of memory. */
double *qp_quantize_dnew(size_t n);

/* C (m x n) = A (m x k) B (k x n), all row-major; C must not alias A or B. */
void qp_quantize_matmul(const double *A, const double *B, double *C, size_t m, size_t k,
                        size_t n);

/* Symmetric eigen-decomposition in place (LAPACK dsyev): A (n x n) becomes the eigenvectors in
 * column-major order (eigenvector k is A[k*n .. k*n + n-1]), w the n ascending eigenvalues. */
qp_status qp_quantize_sym_eig(double *A, size_t n, double *w);

/* ---- tree.c ---- */

/* Steps 1-3 on q (q->c, q->d, q->nn set): the branches q->br with q->elem_branch (inductive
 * branches first; energies out of range and sources are errors in q->d; capacitances,
 * junctions and (not K-coupled) inductors in parallel merged into one branch of each kind unless
 * a .flux names one of them: q->mem), the spanning tree
 * q->tree / chords q->chords (a node without a C, L, B or Q path to ground is an error), and the
 * node-to-tree matrix q->Bn with the loop matrix q->F. Arrays go into q, freed by its owner. */
qp_status qp_quantize_collect_branches(qctx *q);
qp_status qp_quantize_spanning_tree(qctx *q);
qp_status qp_quantize_loop_matrix(qctx *q);

/* Rank of the first m rows of a (m x n, row-major; not changed), by Gaussian elimination on a
 * copy with pivots under 1e-9 taken as zero; -1 when out of memory. */
int qp_quantize_rank_of(const double *a, int m, int n);

/* ---- gauge.c ---- */

/* Where the external flux goes: q->theta (allocated here, one per branch) gets the flux offsets
 * of the nI inductive tree branches It and of the inductive chords, from the .flux loops through
 * the nK capacitive chords Kc. A dependent .flux loop is an error; flux through capacitive loops
 * only is a warning. */
qp_status qp_quantize_flux_gauge(qctx *q, size_t nI, const int *It, size_t nK, const int *Kc);

/* ---- reduce.c ---- */

/* Steps 4-5 on q after the loop matrix: sets q->theta and q->ngT, and fills *out (zeroed by the
 * caller, its arrays owned by the caller even on failure). Singular circuits are errors in q->d. */
qp_status qp_quantize_reduce(qctx *q, reduced *out);

/* ---- modes.c ---- */

/* Step 6: V (r x r unimodular, allocated here) and the r mode kinds from red's forms. */
qp_status qp_quantize_choose_modes(const reduced *red, qp_imat *V, qp_mode_kind *kind);

/* Applies Phi' = Vi Phi'', P' = V^T P'' (Vd = V, Vid = V^-1 as doubles) to red's forms, written
 * to m (arrays of m->n = red->r allocated by the caller), and to red's cosine terms in place. */
qp_status qp_quantize_transform(reduced *red, const double *Vd, const double *Vid, qp_modes *m);

/* Normal-mode point transform of m's oscillator block in place; Tfull (n x n, zeroed by the
 * caller) receives the map Phi~ = Tfull Phi''. */
qp_status qp_quantize_normal_modes(qp_modes *m, double *Tfull);

#endif
