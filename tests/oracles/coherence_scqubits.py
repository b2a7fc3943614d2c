#!/usr/bin/python3
"""Reference coherence times from scqubits (hand-run oracle; not part of the test suite).

Computes, with scqubits' own noise code and its default noise parameters (T = 0.015 K, level pair
i=1, j=0, t1 = sum of up+down rates, the scqubits default total=True):
  (a) Transmon(EJ=15, EC=0.3, ng=0.25, ncut=40): t1_capacitive (default Q_cap and Q_cap=1e6),
      t1_quasiparticle_tunneling, tphi_1_over_f_ng, tphi_1_over_f_cc, t1_effective, t2_effective;
  (b) TunableTransmon(EJmax=20, EC=0.3, d=0.2, flux=0.3, ng=0, ncut=40): t1_capacitive,
      t1_quasiparticle_tunneling, tphi_1_over_f_flux, tphi_1_over_f_cc, tphi_1_over_f_ng;
  (c) Fluxonium(EJ=8.9, EC=2.5, EL=0.5, flux=F), F = 0, 0.25, 0.4, 0.5: t1_capacitive, t1_inductive,
      t1_quasiparticle_tunneling, tphi_1_over_f_flux, tphi_1_over_f_cc, and E1-E0.
scqubits returns times in ns (system units GHz); every time printed here is converted to SECONDS.
Each number is recomputed at a larger truncation; the largest relative change is printed (< 1e-9 is
asserted except for rates that vanish by symmetry, which scqubits returns as roundoff-sized finite
numbers; they are printed as inf with the raw scqubits value alongside).  A closed-form
re-implementation of every channel (FORMULA CHECK) confirms the conventions listed in the '#' notes.
Run (from the repository root; /path/to/scqubits holds the package folder scqubits/):
  PYTHONPATH=/path/to/scqubits /usr/bin/python3 tests/oracles/coherence_scqubits.py
Run with scqubits 4.3.1 from a source checkout (tag v4.3.1, commit 1dfb8b6e), Debian python3.
"""
import numpy as np
import scipy.constants as C
import scipy.special as sps
import scqubits as scq

scq.settings.T1_DEFAULT_WARNING = False
NP = scq.core.noise.NOISE_PARAMS
T_K = 0.015

NOTES = r"""
# ---- scqubits 4.3.1 noise conventions (paths relative to scqubits/core/) ----
# UNITS: energies GHz (units.py:21 _current_units='GHz'); every returned time is 1/rate in ns (rate in
#   1/ns, i.e. it already contains the 2*pi: noise.py:1007 'rate *= 2 * np.pi', noise.py:1329 's *= 2*np.pi').
# DEFAULTS noise.py:89-98: A_flux=1e-6 (Phi0), A_ng=1e-4, A_cc=1e-7, omega_low=2pi*1e-9 (rad/ns),
#   t_exp=1e4 ns, Delta=3.4e-4 eV, x_qp=3e-6, T=0.015 K.
# t1 (noise.py:1236-1250): omega=2pi(E_i-E_j); s = S(omega)+S(-omega) if total (default True, i.e. BOTH
#   directions summed); rate = |<i|op|j>|^2 * s.  Every S has the factor coth(|x|/2)/(1+exp(-x)),
#   x = hbar*omega/(kB*T) (noise.py:46-69), so S(w)+S(-w) = S0 * coth(x/2): rate = |op_10|^2 S0 coth(hf/2kT).
# tphi (noise.py:993-1007): rate = |<i|op|i>-<j|op|j>| * A * sqrt(2|ln(omega_low*t_exp)|) * 2pi,
#   op = dH/dlambda, so A is an ABSOLUTE step of the parameter lambda as the class defines it.
# t1_capacitive noise.py:1318-1333: op = self.n_operator(); S0 = 2pi*2*8*self.EC/Q_cap;
#   default Q_cap = 1e6*(6 GHz/f)^0.7 (noise.py:1307-1308). Transmon, TunableTransmon: n = diag(-ncut..ncut)
#   (transmon.py:226-227), charge in Cooper pairs.  Fluxonium: n = i(a^+ - a)/(sqrt2 phi_osc)
#   (fluxonium.py:209-212), phi_osc=(8EC/EL)^(1/4) (fluxonium.py:148); EC = self.EC (the total EC).
# t1_inductive noise.py:1587-1601: op = self.phi_operator() = (a^+ + a) phi_osc/sqrt2 (fluxonium.py:179-182);
#   S0 = 2pi*2*self.EL/Q_ind; default Q_ind = 500e6*K0(x5/2)sinh(x5/2)/(K0(x/2)sinh(x/2)), x5=h*500MHz/kT
#   (noise.py:1562-1577).
# t1_quasiparticle_tunneling noise.py:1736: op = self.sin_phi_operator(alpha=0.5, beta=0.5*(2pi*self.flux))
#   = sin((phi + 2pi flux)/2) = sin(phi/2 + pi*flux) (flux grouped with the cosine, comment noise.py:1732-1735);
#   Fluxonium builds it as scipy sinm of the truncated phi matrix (fluxonium.py:299-300).
#   S0 = 2*hbar*omega/e^2 * ReY (noise.py:1713-1730, omega in rad/ns -> rate in 1/ns), ReY =
#   sqrt(2/pi)*(8/R_K)*(EJ_Hz/Delta_Hz)*(2 Delta_Hz/f_Hz)^1.5*x_qp*sqrt(x/2)*K0(x/2)*sinh(x/2)
#   (noise.py:1692-1701), R_K=h/e^2, Delta_Hz=Delta*e/h, EJ_Hz = self.EJ*1e9 (noise.py:1685).
#   NOT SUPPORTED for Transmon/TunableTransmon: absent from supported_noise_channels (transmon.py:117-124,
#   696-705) -> RuntimeError (noise.py:1666-1670); Transmon.sin_phi_operator takes no alpha/beta and the
#   class has no .flux, so no sin(phi/2) exists in the integer-charge basis.
# tphi_1_over_f_ng noise.py:1149: op = d_hamiltonian_d_ng = -8*self.EC*n (transmon.py:360); H = 4EC(n-ng)^2
#   (transmon.py:136), so A_ng=1e-4 is a step of ng in units of 2e (the NOISE_PARAMS comment says 'charge e').
# tphi_1_over_f_cc noise.py:1102: op = d_hamiltonian_d_EJ.  Transmon: -cos(phi) (transmon.py:384), also
#   INHERITED by TunableTransmon, i.e. d/dEJ_eff with EJ_eff=EJmax*sqrt(cos^2(pi f)+d^2 sin^2(pi f))
#   (transmon.py:676-681), NOT d/dEJmax.  Fluxonium: -cos(phi+2pi flux) (fluxonium.py:357).  A_cc=1e-7 then
#   multiplies dH/dEJ directly: an ABSOLUTE dEJ = 1e-7 GHz, not a relative dIc/Ic (despite the comment).
# tphi_1_over_f_flux noise.py:1055: op = d_hamiltonian_d_flux, flux in units of Phi0 (derivative per Phi0).
#   TunableTransmon transmon.py:734-754: pi*EJmax*cos(pi f)sin(pi f)(d^2-1)/sqrt(cos^2+d^2 sin^2)*cos(phi)
#     - pi*EJmax*d/sqrt(cos^2+d^2 sin^2)*sin(phi)  (= -dEJ_eff/df cos(phi) up to overall sign, plus a
#     sin(phi) term whose eigenstate expectation vanishes: real eigenvectors).
#   Fluxonium fluxonium.py:383: -2pi*EJ*sin(phi + 2pi flux) (overall sign irrelevant: abs() is taken).
# effective (noise.py:664-717, 775-819, 903-908): 1/T1eff = sum t1 rates; 1/T2eff = sum tphi rates
#   + 0.5*sum t1 rates.  Transmon.effective_noise_channels() = supported minus 't1_charge_impedance'.
"""


def ops(q):
    """The operator scqubits uses for each channel (same calls as noise.py)."""
    return {'t1_capacitive': lambda: q.n_operator(), 't1_inductive': lambda: q.phi_operator(),
            't1_quasiparticle_tunneling': lambda: q.sin_phi_operator(alpha=0.5, beta=np.pi * q.flux),
            'tphi_1_over_f_flux': lambda: q.d_hamiltonian_d_flux(),
            'tphi_1_over_f_cc': lambda: q.d_hamiltonian_d_EJ(), 'tphi_1_over_f_ng': lambda: q.d_hamiltonian_d_ng()}


def melem(q, ch, es):
    """|<1|op|0>| for t1 channels, |<1|op|1>-<0|op|0>| for tphi channels, and max|op|."""
    op = np.asarray(ops(q)[ch]())
    v = es[1]
    if ch.startswith('t1'):
        return abs(np.vdot(v[:, 1], op @ v[:, 0])), np.abs(op).max()
    return abs(np.vdot(v[:, 1], op @ v[:, 1]) - np.vdot(v[:, 0], op @ v[:, 0])), np.abs(op).max()


def closed_form(q, ch, m, f, opts):
    """Independent re-implementation of the scqubits rate (1/ns) from matrix element m and f10 (GHz)."""
    x = C.h * f * 1e9 / (C.k * T_K)
    if ch.startswith('tphi'):
        A = {'flux': NP['A_flux'], 'cc': NP['A_cc'], 'ng': NP['A_ng']}[ch.split('_')[-1]]
        return 2 * np.pi * A * m * np.sqrt(2 * abs(np.log(NP['omega_low'] * NP['t_exp'])))
    coth = 1 / np.tanh(x / 2)
    if ch == 't1_capacitive':
        Q = opts.get('Q_cap', 1e6 * (6.0 / f) ** 0.7)
        return 2 * np.pi * 16 * q.EC / Q * m ** 2 * coth
    if ch == 't1_inductive':
        x5 = C.h * 500e6 / (C.k * T_K)
        Q = 500e6 * sps.kv(0, x5 / 2) * np.sinh(x5 / 2) / (sps.kv(0, x / 2) * np.sinh(x / 2))
        return 2 * np.pi * 2 * q.EL / Q * m ** 2 * coth
    if ch == 't1_quasiparticle_tunneling':
        D = NP['Delta'] * C.e / C.h
        Y = (np.sqrt(2 / np.pi) * 8 * C.e ** 2 / C.h * (q.EJ * 1e9 / D) * (2 * D / (f * 1e9)) ** 1.5
             * NP['x_qp'] * np.sqrt(x / 2) * sps.kv(0, x / 2) * np.sinh(x / 2))
        return 2 * C.hbar * 2 * np.pi * f / C.e ** 2 * Y * m ** 2 * coth
    raise ValueError(ch)


def run(name, make, trunc, big, channels):
    """Print every channel for make(trunc); convergence against make(big)."""
    q, q2 = make(trunc), make(big)
    es, es2 = q.eigensys(evals_count=2), q2.eigensys(evals_count=2)
    f, f2 = es[0][1] - es[0][0], es2[0][1] - es2[0][0]
    print('%s   truncation %d (checked against %d)' % (name, trunc, big))
    print('  E1-E0 = f10 = %.12e GHz   (rel. change at %d: %.1e)' % (f, big, abs(f2 / f - 1)))
    out = {}
    for label, ch, opts in channels:
        if ch not in q.supported_noise_channels():
            try:
                getattr(q, ch)(i=1, j=0, esys=es, **opts)
                msg = 'no error?!'
            except RuntimeError as e:
                msg = 'RuntimeError: %s' % e
            print('  %-34s NOT SUPPORTED by %s (%s)' % (label, type(q).__name__, msg))
            continue
        t = getattr(q, ch)(i=1, j=0, esys=es, **opts)
        t2 = getattr(q2, ch)(i=1, j=0, esys=es2, **opts)
        m, mx = melem(q, ch, es)
        zero = m < 1e-10 * mx
        cf = closed_form(q, ch, m, f, opts)
        if zero:
            print('  %-34s T = inf s   f10 = %.12e GHz   [matrix element %.1e = roundoff, zero by symmetry;'
                  ' scqubits raw %r ns]' % (label, f, m, t))
            out[label] = np.inf
            continue
        rel = abs(t2 / t - 1)
        assert rel < 1e-9, (label, rel)
        print('  %-34s T = %.12e s   f10 = %.12e GHz   melem=%.12e   conv %.1e   FORMULA CHECK %.1e'
              % (label, t * 1e-9, f, m, rel, abs(cf * t - 1)))
        assert abs(cf * t - 1) < 1e-9, (label, cf * t)
        out[label] = t
    return q, es, out


if __name__ == '__main__':
    print(NOTES.strip())
    print('# scqubits %s from %s; times below in SECONDS (= scqubits ns * 1e-9); T = %g K, i=1, j=0'
          % (scq.__version__, scq.__file__, T_K))
    print('# melem = |<1|op|0>| (t1 channels) or |<1|op|1>-<0|op|0>| (tphi channels), op as in the notes;'
          ' conv = rel. change at the larger truncation; FORMULA CHECK = rel. diff of the closed forms above')
    print('# Transmon.effective_noise_channels() = %r' % scq.Transmon.effective_noise_channels())
    print('# TunableTransmon.supported_noise_channels() = %r' % scq.TunableTransmon.supported_noise_channels())
    print('# Fluxonium.effective_noise_channels() = %r' % scq.Fluxonium.effective_noise_channels())
    print()
    # (a) fixed-frequency transmon
    tr = lambda n: scq.Transmon(EJ=15, EC=0.3, ng=0.25, ncut=n)
    q, es, out = run('(a) Transmon EJ=15 EC=0.3 ng=0.25', tr, 40, 80, [
        ('t1_capacitive', 't1_capacitive', {}),
        ('t1_capacitive(Q_cap=1e6)', 't1_capacitive', {'Q_cap': 1e6}),
        ('t1_quasiparticle_tunneling', 't1_quasiparticle_tunneling', {}),
        ('tphi_1_over_f_ng', 'tphi_1_over_f_ng', {}),
        ('tphi_1_over_f_cc', 'tphi_1_over_f_cc', {})])
    asked = ['t1_capacitive', 't1_quasiparticle_tunneling', 'tphi_1_over_f_ng', 'tphi_1_over_f_cc']
    try:
        q.t2_effective(noise_channels=asked, common_noise_options=dict(i=1, j=0), esys=es)
    except RuntimeError as e:
        print('  t2_effective(noise_channels=%r) -> RuntimeError: %s' % (asked, e))
    eff = [c for c in asked if c in q.effective_noise_channels()]
    print('  effective channels used (explicit list, = effective_noise_channels() reordered): %r' % eff)
    f = es[0][1] - es[0][0]
    t1e = q.t1_effective(noise_channels=[c for c in eff if c.startswith('t1')],
                         common_noise_options=dict(i=1, j=0), esys=es)
    t2e = q.t2_effective(noise_channels=eff, common_noise_options=dict(i=1, j=0), esys=es)
    chk = 1 / (0.5 / out['t1_capacitive'] + 1 / out['tphi_1_over_f_ng'] + 1 / out['tphi_1_over_f_cc'])
    print('  %-34s T = %.12e s   f10 = %.12e GHz   (= t1_capacitive)' % ('t1_effective', t1e * 1e-9, f))
    print('  %-34s T = %.12e s   f10 = %.12e GHz   (1/T2 = 0.5/T1cap + 1/Tphi_ng + 1/Tphi_cc: rel %.1e)'
          % ('t2_effective', t2e * 1e-9, f, abs(chk / t2e - 1)))
    t2d = q.t2_effective(common_noise_options=dict(i=1, j=0), esys=es)
    print('  t2_effective(noise_channels=None) = %.12e s (rel. diff %.1e)' % (t2d * 1e-9, abs(t2d / t2e - 1)))
    print()
    # (b) flux-tunable transmon
    tt = lambda n: scq.TunableTransmon(EJmax=20, EC=0.3, d=0.2, flux=0.3, ng=0.0, ncut=n)
    print('(b) EJ_eff = EJmax*sqrt(cos^2(pi f)+d^2 sin^2(pi f)) = %.12e GHz' % tt(40).EJ)
    run('(b) TunableTransmon EJmax=20 EC=0.3 d=0.2 flux=0.3 ng=0', tt, 40, 80, [
        (c, c, {}) for c in ['t1_capacitive', 't1_quasiparticle_tunneling', 'tphi_1_over_f_flux',
                             'tphi_1_over_f_cc', 'tphi_1_over_f_ng']])
    print()
    # (c) fluxonium, harmonic-oscillator basis of dimension `cutoff`
    for F in (0.0, 0.25, 0.4, 0.5):
        fl = lambda n, F=F: scq.Fluxonium(EJ=8.9, EC=2.5, EL=0.5, flux=F, cutoff=n)
        run('(c) Fluxonium EJ=8.9 EC=2.5 EL=0.5 flux=%g' % F, fl, 200, 300, [
            (c, c, {}) for c in ['t1_capacitive', 't1_inductive', 't1_quasiparticle_tunneling',
                                 'tphi_1_over_f_flux', 'tphi_1_over_f_cc']])
        print()
