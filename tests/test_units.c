/* Unit tests: constants and energy conversions against docs/physics.md, oracle T1, SPICE number parsing. */
#include "qpsim/units.h"

#include "tap.h"

#define RTOL_8DIGITS 5e-8 /* oracle values are quoted to 8-10 significant digits */
#define RTOL_EXACT 1e-14

static double parse(const char *s, qp_quantity q, qp_num_status want)
{
    double v = -12345.0;
    size_t pos;
    qp_num_status st = qp_units_parse(s, strlen(s), q, &v, &pos, NULL);
    QP_CHECK(st == want, "parse '%s' as %s gives status %d (want %d)", s, qp_quantity_name(q),
             st, want);
    return v;
}

int main(void)
{
    /* T1 (docs/physics.md, oracle table): closed-form conversions per unit. */
    QP_CHECK_REL(qp_units_ec_from_c(1e-15), 19.370229, RTOL_8DIGITS, "EC(1 fF) GHz");
    QP_CHECK_REL(qp_units_el_from_l(1e-9), 163.461513, RTOL_8DIGITS, "EL(1 nH) GHz");
    QP_CHECK_REL(2 * QP_PI * QP_PI * qp_units_el_from_l(1e-9), 3226.600932, RTOL_8DIGITS,
                 "EL'(1 nH) = 2 pi^2 EL");
    QP_CHECK_REL(qp_units_ej_from_ic(1e-9), 0.496683511, RTOL_8DIGITS, "EJ(1 nA) GHz");
    QP_CHECK_REL(qp_units_vc_from_es(1.0), 12.992583e-6, RTOL_8DIGITS, "Vc(ES = 1 GHz)");
    QP_CHECK_REL(QP_PHI0, 2.067833848462e-15, 1e-12, "Phi0");
    QP_CHECK_REL(QP_RQ, 6453.201865, 1e-9, "R_Q = h/4e^2");
    /* Round trips are exact up to rounding. */
    QP_CHECK_REL(qp_units_c_from_ec(qp_units_ec_from_c(80e-15)), 80e-15, RTOL_EXACT, "C<->EC");
    QP_CHECK_REL(qp_units_l_from_el(qp_units_el_from_l(3e-7)), 3e-7, RTOL_EXACT, "L<->EL");
    QP_CHECK_REL(qp_units_ic_from_ej(qp_units_ej_from_ic(3e-8)), 3e-8, RTOL_EXACT, "Ic<->EJ");
    QP_CHECK_REL(qp_units_es_from_vc(qp_units_vc_from_es(5.0)), 5.0, RTOL_EXACT, "ES<->Vc");
    /* Duality anchor (docs/physics.md, "Element energies"): L* = R_Q^2 C makes EL'* = 4 EC; 1 fF <-> 41.643814 nH. */
    QP_CHECK_REL(QP_RQ * QP_RQ * 1e-15, 41.643814e-9, RTOL_8DIGITS, "dual inductance of 1 fF");
    QP_CHECK_REL(2 * QP_PI * QP_PI * qp_units_el_from_l(QP_RQ * QP_RQ * 80e-15),
                 4 * qp_units_ec_from_c(80e-15), 1e-12, "EL'* = 4 EC");

    /* SPICE numbers. */
    QP_CHECK_REL(parse("80fF", QP_QTY_CAPACITANCE, QP_NUM_OK), 80e-15, RTOL_EXACT, "80fF");
    QP_CHECK_REL(parse("1F", QP_QTY_CAPACITANCE, QP_NUM_OK), 1e-15, RTOL_EXACT, "1F is femto");
    QP_CHECK_REL(parse("1meg", QP_QTY_RESISTANCE, QP_NUM_OK), 1e6, RTOL_EXACT, "1meg");
    QP_CHECK_REL(parse("1M", QP_QTY_RESISTANCE, QP_NUM_OK), 1e-3, RTOL_EXACT, "1M is milli");
    QP_CHECK_REL(parse("2.2kOhm", QP_QTY_RESISTANCE, QP_NUM_OK), 2200, RTOL_EXACT, "2.2kOhm");
    QP_CHECK_REL(parse("300nH", QP_QTY_INDUCTANCE, QP_NUM_OK), 300e-9, RTOL_EXACT, "300nH");
    QP_CHECK_REL(parse("1H", QP_QTY_INDUCTANCE, QP_NUM_OK), 1.0, RTOL_EXACT, "1H");
    QP_CHECK_REL(parse(".5p", QP_QTY_NONE, QP_NUM_OK), 0.5e-12, RTOL_EXACT, ".5p");
    QP_CHECK_REL(parse("-3", QP_QTY_VOLTAGE, QP_NUM_OK), -3.0, RTOL_EXACT, "-3");
    QP_CHECK_REL(parse("1e-15", QP_QTY_CAPACITANCE, QP_NUM_OK), 1e-15, RTOL_EXACT, "1e-15");
    QP_CHECK_REL(parse("5GHz", QP_QTY_FREQUENCY, QP_NUM_OK), 5e9, RTOL_EXACT, "5GHz frequency");
    QP_CHECK_REL(parse("30nA", QP_QTY_CURRENT, QP_NUM_OK), 30e-9, RTOL_EXACT, "30nA");
    QP_CHECK_REL(parse("10uV", QP_QTY_VOLTAGE, QP_NUM_OK), 10e-6, RTOL_EXACT, "10uV");
    QP_CHECK_REL(parse("2.5ps", QP_QTY_TIME, QP_NUM_OK), 2.5e-12, RTOL_EXACT, "2.5ps");
    /* Energies: bare GHz, explicit units; M is mega in MHz. 1 ueV/h = 0.241798924 GHz. */
    QP_CHECK_REL(parse("15", QP_QTY_ENERGY, QP_NUM_OK), 15.0, RTOL_EXACT, "bare energy is GHz");
    QP_CHECK_REL(parse("300MHz", QP_QTY_ENERGY, QP_NUM_OK), 0.3, RTOL_EXACT, "300MHz");
    QP_CHECK_REL(parse("1THz", QP_QTY_ENERGY, QP_NUM_OK), 1000.0, RTOL_EXACT, "1THz");
    QP_CHECK_REL(parse("10ueV", QP_QTY_ENERGY, QP_NUM_OK), 2.41798924, RTOL_8DIGITS, "10ueV");
    QP_CHECK_REL(parse("1meV", QP_QTY_ENERGY, QP_NUM_OK), 241.798924, RTOL_8DIGITS, "1meV");
    parse("5g", QP_QTY_ENERGY, QP_NUM_SCALE_ONLY);
    parse("5furlong", QP_QTY_ENERGY, QP_NUM_UNKNOWN_UNIT);
    /* Errors. */
    qp_quantity got = QP_QTY_NONE;
    double v;
    size_t pos = 0;
    QP_CHECK(qp_units_parse("5nH", 3, QP_QTY_CAPACITANCE, &v, &pos, &got) == QP_NUM_WRONG_UNIT &&
                 got == QP_QTY_INDUCTANCE && pos == 2,
             "5nH for a capacitor is an inductance, located at the unit");
    parse("5nX", QP_QTY_CAPACITANCE, QP_NUM_UNKNOWN_UNIT);
    parse("1.2.3", QP_QTY_NONE, QP_NUM_SYNTAX);
    parse("1e999", QP_QTY_NONE, QP_NUM_RANGE);
    parse("abc", QP_QTY_NONE, QP_NUM_NOT_NUMBER);
    parse("2V", QP_QTY_NONE, QP_NUM_WRONG_UNIT);
    QP_CHECK_REL(parse("2.8mV", QP_QTY_ANY, QP_NUM_OK), 2.8e-3, RTOL_EXACT, "any unit accepted");
    /* Any number of digits is a number (a 73-character one was "malformed"): the same double
     * as the short spelling, exactly (40 significant digits are kept, then exponents add). */
    QP_CHECK(parse("80.0000000000000000000000000000000000000000000000000000000000000000000000f",
                   QP_QTY_CAPACITANCE, QP_NUM_OK) == parse("80f", QP_QTY_CAPACITANCE, QP_NUM_OK),
             "a 73-character 80f is 80f");
    char longnum[300];
    memset(longnum, '0', sizeof longnum);
    longnum[0] = '0', longnum[1] = '.';
    strcpy(longnum + 201, "25e201"); /* 0.(199 zeros)25 x 1e201 = 25 */
    QP_CHECK(parse(longnum, QP_QTY_NONE, QP_NUM_OK) == 25.0, "199 zeros after the point");
    memset(longnum, '9', 120);
    strcpy(longnum + 120, "e-120"); /* 120 nines: 1 - 1e-120, rounds to 1 */
    QP_CHECK(parse(longnum, QP_QTY_NONE, QP_NUM_OK) == 1.0, "120 significant digits round");
    memset(longnum, '1', 250);
    strcpy(longnum + 250, "e99");
    parse(longnum, QP_QTY_NONE, QP_NUM_RANGE);
    return tap_done();
}
