#!/usr/bin/python3
"""Oracle for the Bloch bands of one junction, H = 4EC(n - q)^2 - EJ cos(phi), from EJ/EC = 1e-3
to 5e4 (tests/test_bands.c copies its numbers; issue 16). Three independent routes:

1. Levels at q = 0 and q = 1/2 from Mathieu characteristic values (scipy.special.mathieu_a/b):
   with phi = 2z the Schroedinger equation is Mathieu's y'' + (a - 2Q cos 2z) y = 0 with
   a = E/EC and Q = -EJ/(2 EC). q = 0 (phi-periodic) takes the pi-periodic Mathieu functions,
   a_0, b_2, a_2, b_4, ...; q = 1/2 (phi-antiperiodic) the 2pi-periodic ones, a_1, b_1, a_3, b_3,
   ...; the sign of Q only swaps a_odd and b_odd (DLMF 28.2.26), so the sets are taken at |Q|.
   scipy 1.10's values go wrong for Q of a few thousand (a_1(5000) = 4710.8, a_4(2000) = a_2(2000)):
   they are used up to EJ/EC = 1e3, where they agree with route 2 to 1e-12, and only shown beyond.
2. Levels and band widths W_m = |E_m(1/2) - E_m(0)| exactly, in multiple precision (mpmath): the
   charge-basis matrix is tridiagonal, its eigenvalues found by Sturm-sequence bisection with
   enough digits that the difference survives (W_0 is 1e-119 EC at EJ/EC = 1e4), at two cutoffs
   that must agree.
3. The asymptotic charge dispersion (Koch et al. 2007, eq. 2.18; DLMF 28.8.2 gives the same with
   its 1/h correction), printed beside the exact widths to show where it applies:
       W_m ~ EC 2^(4m+5)/m! sqrt(2/pi) (EJ/2EC)^(m/2+3/4) exp(-sqrt(8 EJ/EC))
             x [1 - (6m^2 + 14m + 7)/(32 h)],  h = sqrt(EJ/2EC).
Run: /usr/bin/python3 tests/oracles/bands_mathieu.py (about a minute)."""
import math

import mpmath
from scipy.special import mathieu_a, mathieu_b

RATIOS = [1e-3, 0.01, 0.1, 1.0, 10.0, 20.0, 50.0, 100.0, 1e3, 1e4, 5e4]
NLEV = 3


def mathieu_levels(r, nlev):
    """Lowest nlev levels at q = 0 and q = 1/2 for EC = 1, EJ = r, from scipy."""
    Q = r / 2.0
    at0 = [mathieu_a(0, Q)]
    half = []
    for k in range(1, nlev + 1):
        at0 += [mathieu_b(2 * k, Q), mathieu_a(2 * k, Q)]
        half += [mathieu_a(2 * k - 1, Q), mathieu_b(2 * k - 1, Q)]
    return sorted(at0)[:nlev], sorted(half)[:nlev]


def sturm_count(d, e2, x):
    """Eigenvalues below x of the symmetric tridiagonal (diagonal d, squared off-diagonal e2)."""
    count, p = 0, d[0] - x
    if p < 0:
        count += 1
    for i in range(1, len(d)):
        if p == 0:
            p = mpmath.mpf(10) ** (-mpmath.mp.dps)
        p = d[i] - x - e2[i - 1] / p
        if p < 0:
            count += 1
    return count


def exact_levels(r, q, nlev, ncut, lo, hi):
    """Levels k < nlev of 4(n - q)^2 - r cos(phi), |n| <= ncut, by bisection in [lo, hi]."""
    d = [4 * (mpmath.mpf(n) - q) ** 2 for n in range(-ncut, ncut + 1)]
    e2 = [(mpmath.mpf(r) / 2) ** 2] * (2 * ncut)
    tol = mpmath.mpf(10) ** (-(mpmath.mp.dps - 8))
    out = []
    for k in range(nlev):
        a, b = mpmath.mpf(lo), mpmath.mpf(hi)
        while b - a > tol * (1 + abs(a)):
            mid = (a + b) / 2
            if sturm_count(d, e2, mid) > k:
                b = mid
            else:
                a = mid
        out.append((a + b) / 2)
    return out


def exact_bands(r, nlev):
    """Levels at q = 0 and q = 1/2 and the widths, in multiple precision."""
    # digits: those of the levels (r) plus those the widths lose (exp(-sqrt(8r))) plus 25
    mpmath.mp.dps = 25 + int(math.log10(r + 1)) + int(math.sqrt(8 * r) / math.log(10))
    lo, hi = -r - 1, 4 * (nlev + 2) ** 2 + r + 1
    res = []
    for ncut in (int(3 * r ** 0.5) + 30, int(3 * r ** 0.5) + 50):
        e0 = exact_levels(r, 0, nlev, ncut, lo, hi)
        eh = exact_levels(r, mpmath.mpf(1) / 2, nlev, ncut, lo, hi)
        res.append([abs(b - a) for a, b in zip(e0, eh)])
    for w1, w2 in zip(*res):
        assert abs(w1 - w2) <= 1e-20 * w2, (r, w1, w2)
    return e0, eh, res[1]


def asymptotic(r, m):
    h = math.sqrt(r / 2.0)
    return (2 ** (4 * m + 5) / math.factorial(m) * math.sqrt(2 / math.pi) * h ** (m + 1.5) *
            math.exp(-math.sqrt(8 * r)) * (1 - (6 * m * m + 14 * m + 7) / (32 * h)))


def main():
    print("EC = 1 GHz, EJ = EJ/EC GHz; levels in GHz (scipy Mathieu), widths in GHz (mpmath)")
    for r in RATIOS:
        s0, sh = mathieu_levels(r, NLEV)
        e0, eh, w = exact_bands(r, NLEV)
        agree = all(abs(float(a) - b) <= 1e-12 * (1 + abs(b)) for a, b in zip(e0 + eh, s0 + sh))
        assert agree or r > 1e3, r
        print("EJ/EC = %g" % r)
        print("  E(q=0)   = " + ", ".join(mpmath.nstr(x, 16) for x in e0))
        print("  E(q=1/2) = " + ", ".join(mpmath.nstr(x, 16) for x in eh))
        print("  scipy    = %s%s" % (", ".join("%.15g" % x for x in s0 + sh),
                                     "" if agree else "   (wrong: see route 1)"))
        print("  widths   = " + ", ".join(mpmath.nstr(x, 15) for x in w))
        if r >= 10:
            print("  asympt.  = " + ", ".join("%.6g (ratio %.6f)" % (asymptotic(r, m),
                  asymptotic(r, m) / float(w[m])) for m in range(NLEV)))


if __name__ == "__main__":
    main()
