/* Physical constants, energy conversions and parsing of SPICE numbers with units. */
#include "qpsim/units.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double qp_units_ec_from_c(double c)
{
    return QP_QE * QP_QE / (2.0 * c) / QP_H / QP_GHZ;
}

double qp_units_c_from_ec(double ec)
{
    return QP_QE * QP_QE / (2.0 * ec * QP_GHZ * QP_H);
}

double qp_units_el_from_l(double l)
{
    double f = QP_PHI0 / (2.0 * QP_PI);
    return f * f / l / QP_H / QP_GHZ;
}

double qp_units_l_from_el(double el)
{
    double f = QP_PHI0 / (2.0 * QP_PI);
    return f * f / (el * QP_GHZ * QP_H);
}

double qp_units_ej_from_ic(double ic)
{
    return QP_PHI0 * ic / (2.0 * QP_PI) / QP_H / QP_GHZ;
}

double qp_units_ic_from_ej(double ej)
{
    return 2.0 * QP_PI * ej * QP_GHZ * QP_H / QP_PHI0;
}

double qp_units_es_from_vc(double vc)
{
    return vc * 2.0 * QP_QE / (2.0 * QP_PI) / QP_H / QP_GHZ;
}

double qp_units_vc_from_es(double es)
{
    return 2.0 * QP_PI * es * QP_GHZ * QP_H / (2.0 * QP_QE);
}

static int ieq(const char *a, size_t alen, const char *b)
{
    size_t n = strlen(b);
    if (alen != n) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i])) {
            return 0;
        }
    }
    return 1;
}

size_t qp_units_suffix(const char *s, size_t len, double *scale)
{
    if (len >= 3 && ieq(s, 3, "meg")) {
        *scale = 1e6;
        return 3;
    }
    if (len == 0) {
        return 0;
    }
    switch (tolower((unsigned char)s[0])) {
    case 't':
        *scale = 1e12;
        return 1;
    case 'g':
        *scale = 1e9;
        return 1;
    case 'k':
        *scale = 1e3;
        return 1;
    case 'm':
        *scale = 1e-3;
        return 1;
    case 'u':
        *scale = 1e-6;
        return 1;
    case 'n':
        *scale = 1e-9;
        return 1;
    case 'p':
        *scale = 1e-12;
        return 1;
    case 'f':
        *scale = 1e-15;
        return 1;
    default:
        return 0;
    }
}

int qp_units_is_numeric(const char *s, size_t len)
{
    size_t i = 0;
    if (i < len && (s[i] == '+' || s[i] == '-')) {
        i++;
    }
    if (i < len && s[i] == '.') {
        i++;
    }
    return i < len && isdigit((unsigned char)s[i]);
}

static const struct {
    const char *name;
    qp_quantity q;
} unit_table[] = {
    {"F", QP_QTY_CAPACITANCE}, {"H", QP_QTY_INDUCTANCE}, {"A", QP_QTY_CURRENT},
    {"V", QP_QTY_VOLTAGE},     {"Ohm", QP_QTY_RESISTANCE}, {"Ohms", QP_QTY_RESISTANCE},
    {"s", QP_QTY_TIME},        {"Hz", QP_QTY_FREQUENCY}, {"K", QP_QTY_TEMPERATURE},
};

static const struct {
    const char *name;
    double ghz; /* value of one unit as E/h in GHz */
} energy_table[] = {
    {"THz", 1e3}, {"GHz", 1.0}, {"MHz", 1e-3}, {"kHz", 1e-6}, {"Hz", 1e-9},
    {"eV", QP_QE / QP_H / QP_GHZ}, {"meV", 1e-3 * QP_QE / QP_H / QP_GHZ},
    {"ueV", 1e-6 * QP_QE / QP_H / QP_GHZ}, {"neV", 1e-9 * QP_QE / QP_H / QP_GHZ},
};

/* Length of the mantissa+exponent at the start of s, 0 when malformed. */
static size_t scan_mantissa(const char *s, size_t len)
{
    size_t i = 0, digits = 0;
    if (i < len && (s[i] == '+' || s[i] == '-')) {
        i++;
    }
    while (i < len && isdigit((unsigned char)s[i])) {
        i++;
        digits++;
    }
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && isdigit((unsigned char)s[i])) {
            i++;
            digits++;
        }
    }
    if (digits == 0) {
        return 0;
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        size_t j = i + 1;
        if (j < len && (s[j] == '+' || s[j] == '-')) {
            j++;
        }
        if (j < len && isdigit((unsigned char)s[j])) {
            while (j < len && isdigit((unsigned char)s[j])) {
                j++;
            }
            i = j;
        }
    }
    return i;
}

static qp_num_status parse_energy(const char *u, size_t ulen, double v, double *out)
{
    if (ulen == 0) {
        *out = v;
        return QP_NUM_OK;
    }
    for (size_t k = 0; k < sizeof energy_table / sizeof energy_table[0]; k++) {
        if (ieq(u, ulen, energy_table[k].name)) {
            *out = v * energy_table[k].ghz;
            return QP_NUM_OK;
        }
    }
    double scale;
    if (qp_units_suffix(u, ulen, &scale) == ulen) {
        return QP_NUM_SCALE_ONLY;
    }
    return QP_NUM_UNKNOWN_UNIT;
}

/* The mantissa s[0..m) (sign, digits with at most one '.', exponent: scanned as valid) written
 * into buf (80 bytes) as [sign]DIGITSe[exponent] with at most 40 significant digits: digits
 * beyond change the value by less than 1e-40 of it, far below a double's rounding. */
static void short_mantissa(const char *s, size_t m, char *buf)
{
    size_t i = 0, o = 0;
    if (s[i] == '+' || s[i] == '-') {
        buf[o++] = s[i++];
    }
    long long exp10 = 0; /* value = DIGITS x 10^exp10 */
    int ndig = 0, point = 0;
    for (; i < m && (isdigit((unsigned char)s[i]) || s[i] == '.'); i++) {
        if (s[i] == '.') {
            point = 1;
        } else if (ndig == 0 && s[i] == '0') {
            exp10 -= point; /* a leading zero after the point */
        } else if (ndig < 40) {
            buf[o++] = s[i];
            ndig++;
            exp10 -= point;
        } else {
            exp10 += !point; /* an integer digit beyond the 40 kept */
        }
    }
    long long e = 0;
    int neg = 0;
    if (i < m && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < m && (s[i] == '+' || s[i] == '-')) {
            neg = s[i++] == '-';
        }
        for (; i < m && isdigit((unsigned char)s[i]); i++) {
            e = e < 1000000 ? e * 10 + (s[i] - '0') : e; /* far past any double's range */
        }
    }
    if (ndig == 0) {
        buf[o++] = '0';
    }
    snprintf(buf + o, 80 - o, "e%lld", exp10 + (neg ? -e : e));
}

qp_num_status qp_units_parse(const char *s, size_t len, qp_quantity q, double *out, size_t *errpos,
                             qp_quantity *unit_q)
{
    *errpos = 0;
    if (!qp_units_is_numeric(s, len)) {
        return QP_NUM_NOT_NUMBER;
    }
    size_t m = scan_mantissa(s, len);
    if (m == 0) {
        return QP_NUM_SYNTAX;
    }
    /* strtod needs the mantissa alone, copied; a long one (any number of digits is valid:
     * 0.000...01, 1000...0) is first written with 40 significant digits, which gives the same
     * double. */
    char buf[80];
    if (m < 64) {
        memcpy(buf, s, m);
        buf[m] = '\0';
    } else {
        short_mantissa(s, m, buf);
    }
    errno = 0;
    double v = strtod(buf, NULL);
    if (errno == ERANGE && fabs(v) > 1.0) {
        return QP_NUM_RANGE;
    }
    const char *u = s + m;
    size_t ulen = len - m;
    *errpos = m;
    for (size_t i = 0; i < ulen; i++) {
        if (!isalpha((unsigned char)u[i])) {
            *errpos = m + i;
            return QP_NUM_SYNTAX;
        }
    }
    qp_num_status st = QP_NUM_OK;
    if (q == QP_QTY_ENERGY) {
        st = parse_energy(u, ulen, v, &v);
    } else {
        double scale = 1.0;
        /* a temperature's lone K is kelvin, not kilo (1K = 1 kelvin; 15mK = 0.015 kelvin) */
        size_t sl = q == QP_QTY_TEMPERATURE && ulen == 1 && (u[0] == 'K' || u[0] == 'k')
                        ? 0
                        : qp_units_suffix(u, ulen, &scale);
        const char *unit = u + sl;
        size_t unitlen = ulen - sl;
        v *= scale;
        if (unitlen > 0 && q != QP_QTY_ANY) {
            *errpos = m + sl;
            st = QP_NUM_UNKNOWN_UNIT;
            for (size_t k = 0; k < sizeof unit_table / sizeof unit_table[0]; k++) {
                if (ieq(unit, unitlen, unit_table[k].name)) {
                    if (unit_table[k].q == q) {
                        st = QP_NUM_OK;
                    } else {
                        st = QP_NUM_WRONG_UNIT;
                        if (unit_q) {
                            *unit_q = unit_table[k].q;
                        }
                    }
                    break;
                }
            }
        }
    }
    if (st == QP_NUM_OK && !isfinite(v)) {
        return QP_NUM_RANGE;
    }
    if (st == QP_NUM_OK) {
        *out = v;
    }
    return st;
}

const char *qp_quantity_name(qp_quantity q)
{
    switch (q) {
    case QP_QTY_NONE:
        return "dimensionless number";
    case QP_QTY_CAPACITANCE:
        return "capacitance";
    case QP_QTY_INDUCTANCE:
        return "inductance";
    case QP_QTY_CURRENT:
        return "current";
    case QP_QTY_VOLTAGE:
        return "voltage";
    case QP_QTY_RESISTANCE:
        return "resistance";
    case QP_QTY_TIME:
        return "time";
    case QP_QTY_FREQUENCY:
        return "frequency";
    case QP_QTY_ENERGY:
        return "energy";
    case QP_QTY_TEMPERATURE:
        return "temperature";
    case QP_QTY_ANY:
        return "value";
    }
    return "value";
}

const char *qp_quantity_unit(qp_quantity q)
{
    switch (q) {
    case QP_QTY_CAPACITANCE:
        return "F";
    case QP_QTY_INDUCTANCE:
        return "H";
    case QP_QTY_CURRENT:
        return "A";
    case QP_QTY_VOLTAGE:
        return "V";
    case QP_QTY_RESISTANCE:
        return "Ohm";
    case QP_QTY_TIME:
        return "s";
    case QP_QTY_FREQUENCY:
        return "Hz";
    case QP_QTY_ENERGY:
        return "GHz";
    case QP_QTY_TEMPERATURE:
        return "K";
    default:
        return "";
    }
}
