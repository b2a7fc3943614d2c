/* Physical constants (SI 2019 exact), energy conversions and SPICE number parsing. */
#ifndef QPSIM_UNITS_H
#define QPSIM_UNITS_H

#include <stddef.h>

#define QP_PI 3.14159265358979323846
#define QP_QE 1.602176634e-19                  /* elementary charge [C] */
#define QP_H 6.62607015e-34                    /* Planck constant [J s] */
#define QP_HBAR (QP_H / (2.0 * QP_PI))         /* [J s] */
#define QP_KB 1.380649e-23                     /* Boltzmann constant [J/K] */
#define QP_PHI0 (QP_H / (2.0 * QP_QE))         /* flux quantum [Wb] */
#define QP_RQ (QP_H / (4.0 * QP_QE * QP_QE))   /* superconducting resistance quantum h/4e^2 [Ohm] */
#define QP_GHZ 1e9                             /* energies are reported as E/h in GHz */

/* Energies as E/h in GHz from SI element values and back (docs/physics.md, "Element energies"). Pure functions. */
double qp_units_ec_from_c(double c_farad);      /* EC = e^2/(2C) */
double qp_units_c_from_ec(double ec_ghz);
double qp_units_el_from_l(double l_henry);      /* EL = (Phi0/2pi)^2/L */
double qp_units_l_from_el(double el_ghz);
double qp_units_ej_from_ic(double ic_amp);      /* EJ = Phi0 Ic/(2pi) */
double qp_units_ic_from_ej(double ej_ghz);
double qp_units_es_from_vc(double vc_volt);     /* Vc = 2pi ES/(2e) */
double qp_units_vc_from_es(double es_ghz);

/* The physical quantity a value stands for; decides which unit may follow the number. */
typedef enum {
    QP_QTY_NONE,        /* dimensionless: no unit allowed */
    QP_QTY_CAPACITANCE, /* F */
    QP_QTY_INDUCTANCE,  /* H */
    QP_QTY_CURRENT,     /* A */
    QP_QTY_VOLTAGE,     /* V */
    QP_QTY_RESISTANCE,  /* Ohm */
    QP_QTY_TIME,        /* s */
    QP_QTY_FREQUENCY,   /* Hz */
    QP_QTY_ENERGY,      /* bare = GHz; THz GHz MHz kHz Hz eV meV ueV neV; result in GHz */
    QP_QTY_TEMPERATURE, /* K */
    QP_QTY_ANY          /* a key qpsim accepts but does not use: any unit letters */
} qp_quantity;

typedef enum {
    QP_NUM_OK,
    QP_NUM_NOT_NUMBER,  /* does not start like a number */
    QP_NUM_SYNTAX,      /* malformed mantissa or exponent */
    QP_NUM_UNKNOWN_UNIT,
    QP_NUM_WRONG_UNIT,  /* a known unit of another quantity */
    QP_NUM_SCALE_ONLY,  /* energy with a scale suffix but no unit, e.g. 5g */
    QP_NUM_RANGE        /* overflows a double */
} qp_num_status;

/* Parses `s[0..len)` as a SPICE number with optional scale suffix (t g meg k m u n p f) and unit
 * of quantity `q`. On QP_NUM_OK writes the SI value (GHz for energies) to *out. On failure writes
 * to *errpos the offset of the offending character. `unit_q` (may be NULL) receives the quantity
 * of a wrong unit. */
qp_num_status qp_units_parse(const char *s, size_t len, qp_quantity q, double *out, size_t *errpos,
                             qp_quantity *unit_q);

/* Parses the scale suffix at the start of `s` (case-insensitive); returns its length (0 if none)
 * and the factor in *scale. */
size_t qp_units_suffix(const char *s, size_t len, double *scale);

/* True when `s` starts like a number: digit, '.', or a sign followed by one of those. */
int qp_units_is_numeric(const char *s, size_t len);

const char *qp_quantity_name(qp_quantity q); /* "capacitance" */
const char *qp_quantity_unit(qp_quantity q); /* "F" */

#endif
