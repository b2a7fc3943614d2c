/* The capacitors and inductors in parallel with an element, summed once for every analysis. */
#include "circuit/shunt.h"

int qp_shunt_parallel(const qp_element *a, const qp_element *b)
{
    return (a->n[0] == b->n[0] && a->n[1] == b->n[1]) ||
           (a->n[0] == b->n[1] && a->n[1] == b->n[0]);
}

double qp_shunt_capacitance(const qp_circuit *c, size_t k)
{
    const qp_element *el = &c->elem[k];
    double sum = el->kind == QP_EL_B ? el->cap : 0.0;
    for (size_t i = 0; i < c->nelem; i++) {
        const qp_element *x = &c->elem[i];
        if (x->kind == QP_EL_C && qp_shunt_parallel(x, el)) {
            sum += x->value;
        }
    }
    return sum;
}

double qp_shunt_inverse_inductance(const qp_circuit *c, size_t k)
{
    const qp_element *el = &c->elem[k];
    double sum = 0.0;
    for (size_t i = 0; i < c->nelem; i++) {
        const qp_element *x = &c->elem[i];
        if (x->kind == QP_EL_L && qp_shunt_parallel(x, el)) {
            sum += 1.0 / x->value;
        }
    }
    return sum;
}
