#!/usr/bin/python3
"""Independent oracle: mean voltage of a thermally noisy overdamped RSJ junction.

What it computes
  Overdamped RSJ (no capacitance): critical current Ic, shunt R, bias I, temperature T.
  Langevin eq.  (hbar/2e)/R dphi/dt = I - Ic sin(phi) + dI(t),  <dI dI'> = (2 kB T/R) delta(t-t')
  In reduced time tau = omega_c t (omega_c = 2e Ic R/hbar):
      dphi/dtau = x - sin(phi) + sqrt(2 theta) xi(tau),   x = I/Ic,  theta = kB T/EJ,  EJ = hbar Ic/2e,
  and <V> = Ic R v with v = <dphi/dtau> the stationary drift.

Formulas (Ivanchenko & Zil'berman 1969; Ambegaokar & Halperin 1969)
  The phase is an overdamped Brownian particle with diffusion constant theta in the tilted washboard
  U(phi) = -x phi - cos(phi).  The Stratonovich (see Risken's book) stationary drift for a tilted
  periodic potential of period 2 pi is
      v = 2 pi theta (1 - e^{-2 pi x/theta}) / Int_0^2pi dphi Int_0^2pi dpsi e^{[U(phi) - U(phi-psi)]/theta},
  where U(phi) - U(phi-psi) = U0(phi) - U0(phi-psi) - x psi, U0 = -cos.  [A] evaluates the double integral
  by quadrature: periodic trapezoid in phi, Gauss-Legendre in psi, maximum exponent factored out.
  [B] is an independent check: expanding e^{+-cos/theta} in Fourier (Bessel I_k) series, the psi
  integral is done analytically and the (1 - e^{-2 pi x/theta}) cancels, giving the IZ/AH Bessel series
      v = theta / sum_k (-1)^k I_k(1/theta)^2 a/(a^2 + k^2),   a = x/theta
  (alternating cancellation of order e^{2/theta}: only useful for theta >~ 0.1, ~8 digits there).
  Limits verified below: theta -> 0 gives sqrt(x^2-1) (x>1) / 0 (x<1); theta -> inf gives x (Ohmic).
  Langevin check: vectorised Euler-Maruyama (weak order 1) at dtau = 0.01 and 0.005 driven by the SAME
  Brownian paths (coarse increments = sums of pairs of fine ones), so the time-step bias is measured
  with a paired standard error; 2*v(0.005) - v(0.01) is the Richardson extrapolation.

Run:  /usr/bin/python3 tests/oracles/rsj_thermal.py     (numpy + scipy only, ~30-40 s on 2 cores)
"""
import multiprocessing as mp
import numpy as np
from scipy import constants as C
from scipy.special import ive

XS = (0.8, 1.0, 1.2)
THETA = 0.1


def v_quad(x, theta, n=1200, sign=+1):
    """[A] drift from the Stratonovich double integral (sign=-1 flips the tilt term, for the check)."""
    phi = 2 * np.pi * np.arange(n) / n                       # periodic trapezoid in phi
    g, w = np.polynomial.legendre.leggauss(n)                # Gauss-Legendre in psi on [0, 2pi]
    psi, w = np.pi * (g + 1), np.pi * w
    E = (-np.cos(phi)[:, None] + np.cos(phi[:, None] - psi[None, :]) - sign * x * psi[None, :]) / theta
    Emax = E.max()
    S = (np.exp(E - Emax) @ w).sum() * (2 * np.pi / n)
    logv = np.log(2 * np.pi * theta) + np.log(-np.expm1(-2 * np.pi * x / theta)) - Emax - np.log(S)
    return np.exp(logv)


def v_bessel(x, theta, kmax=400):
    """[B] Ivanchenko-Zil'berman / Ambegaokar-Halperin Bessel series."""
    k = np.arange(-kmax, kmax + 1)
    a = x / theta
    s = np.sum((-1.0) ** np.abs(k) * ive(np.abs(k), 1 / theta) ** 2 * a / (a * a + k * k))
    return theta * np.exp(-2 / theta) / s


def langevin(args):
    """Euler-Maruyama for a block of walkers; returns per-walker time-averaged drift at dt and dt/2."""
    seed, n_per_x, theta, dtc, t_trans, t_run = args
    rng = np.random.default_rng(seed)
    x = np.repeat(np.array(XS), n_per_x)
    N, dtf = x.size, dtc / 2
    sf = np.sqrt(2 * theta * dtf)
    pf = rng.uniform(0, 2 * np.pi, N)                        # fine  (dtau = dtc/2)
    pc = pf.copy()                                           # coarse (dtau = dtc)
    nb = 200                                                 # coarse steps per noise block
    buf, tmp = np.empty((2 * nb, N)), np.empty(N)
    nblk_tr, nblk_run = round(t_trans / (dtc * nb)), round(t_run / (dtc * nb))
    for blk in range(nblk_tr + nblk_run):
        if blk == nblk_tr:
            pf0, pc0 = pf.copy(), pc.copy()
        rng.standard_normal(out=buf)
        buf *= sf
        coarse = buf[0::2] + buf[1::2]                       # same Brownian path, coarse increments
        buf += x * dtf
        coarse += x * dtc
        for j in range(nb):
            np.sin(pc, out=tmp); tmp *= dtc; pc -= tmp; pc += coarse[j]
            np.sin(pf, out=tmp); tmp *= dtf; pf -= tmp; pf += buf[2 * j]
            np.sin(pf, out=tmp); tmp *= dtf; pf -= tmp; pf += buf[2 * j + 1]
    T = nblk_run * nb * dtc
    return (pc - pc0) / T, (pf - pf0) / T


def main():
    np.set_printoptions(linewidth=120)
    print("=== 1. Stratonovich/IZ-AH drift v = <dphi/dtau> of dphi/dtau = x - sin(phi) + sqrt(2 theta) xi ===")
    print("sign/limit checks ([A] quadrature, n=1200 nodes per axis unless stated):")
    for th in (1e-3,):
        for x in XS:
            v1, v2 = v_quad(x, th, 600), v_quad(x, th)
            print(f"  theta={th:g} x={x}: v={v2:.10g}  (n=600: {v1:.10g})  noiseless sqrt(max(x^2-1,0))="
                  f"{np.sqrt(max(x * x - 1, 0)):.10g}")
    print(f"  flipped tilt sign (+x psi) at theta=1e-3, x=1.2: v={v_quad(1.2, 1e-3, sign=-1):.6g}  (wrong sign -> ~0, not 0.6633)")
    print("  (x=1 at theta->0 vanishes only like theta^(1/3), hence 0.0795 at theta=1e-3)")
    for th in (10.0, 100.0):
        vv = [v_quad(x, th, 400) for x in XS]
        print(f"  theta={th:g} (n=400): " + "  ".join(f"x={x}: v={v:.8g} (v/x={v / x:.6f})" for x, v in zip(XS, vv)))
    print(f"\nresult at theta = {THETA}:")
    vth = {}
    for x in XS:
        va, va2, vb = v_quad(x, THETA), v_quad(x, THETA, 600), v_bessel(x, THETA)
        v0 = np.sqrt(max(x * x - 1, 0))
        vth[x] = va
        rel = f"{(va - v0) / v0:.6g}" if v0 > 0 else "undefined (v0 = 0)"
        print(f"  x={x}: v = {va:.10g}   [quad n=600: {va2:.10g}; Bessel series: {vb:.10g}, "
              f"rel {abs(vb - va) / va:.1e}]")
        print(f"         noiseless {v0:.10g}, v - v0 = {va - v0:.10g}, (v - v0)/v0 = {rel}")

    print("\n=== 2. Euler-Maruyama Langevin check (theta=0.1, seed SeedSequence(12345) split over 2 procs) ===")
    n_per_x, t_trans, t_run = 1000, 100.0, 2000.0
    kids = np.random.SeedSequence(12345).spawn(2)
    with mp.Pool(2) as pool:
        res = pool.map(langevin, [(k, n_per_x // 2, THETA, 0.01, t_trans, t_run) for k in kids])
    vc = np.concatenate([r[0].reshape(len(XS), -1) for r in res], axis=1)
    vf = np.concatenate([r[1].reshape(len(XS), -1) for r in res], axis=1)
    print(f"  {n_per_x} walkers per x, transient {t_trans:g}, averaging time {t_run:g} (reduced units)")
    spread = {}
    for i, x in enumerate(XS):
        n = vc.shape[1]
        for name, arr in (("dtau=0.01 ", vc[i]), ("dtau=0.005", vf[i]), ("Richardson", 2 * vf[i] - vc[i])):
            m, se = arr.mean(), arr.std(ddof=1) / np.sqrt(n)
            print(f"  x={x} {name}: v = {m:.6f} +- {se:.6f}   v - formula = {m - vth[x]:+.6f} = {(m - vth[x]) / se:+.2f} SE")
        d = vc[i] - vf[i]
        print(f"  x={x} v(0.01) - v(0.005) = {d.mean():+.7f} +- {d.std(ddof=1) / np.sqrt(n):.7f} (paired, same paths)"
              f" = Euler step bias at dtau=0.005 if weak order 1")
        spread[x] = vf[i].std(ddof=1)
        print(f"  x={x} single-walker spread of time average over tau={t_run:g}: {spread[x]:.6f}")

    print("\n=== 3. Physical numbers for a simulator deck (Ic = 1 uA, R = 1 Ohm, theta = 0.1) ===")
    Ic, R = 1e-6, 1.0
    hbar, e, kB = C.hbar, C.e, C.k
    EJ = hbar * Ic / (2 * e)
    T = THETA * EJ / kB
    wc = 2 * e * Ic * R / hbar
    print(f"  EJ = hbar Ic/2e = {EJ:.10g} J ;  T = theta EJ/kB = {T:.10g} K")
    print(f"  omega_c = 2e Ic R/hbar = {wc:.10g} rad/s ;  1/omega_c = {1 / wc:.10g} s")
    print(f"  one-sided current noise PSD 4 kB T/R = {4 * kB * T / R:.10g} A^2/Hz ;  two-sided 2 kB T/R = {2 * kB * T / R:.10g}")
    tstep, trun = 0.01 / wc, 2000 / wc
    print(f"  suggested TSTEP = 0.01/omega_c = {tstep:.6g} s ; transient 100/omega_c = {100 / wc:.6g} s ;"
          f" run 2000/omega_c = {trun:.6g} s")
    print(f"  white-noise current per step (Euler): std = sqrt(2 kB T/(R TSTEP)) = {np.sqrt(2 * kB * T / (R * tstep)):.6g} A")
    for x in XS:
        V = Ic * R * vth[x]
        print(f"  x={x}: I = {x * Ic:.10g} A  <V> = Ic R v = {V:.10g} V  ; single run over 2000/omega_c: "
              f"sigma_V ~ {Ic * R * spread[x]:.3g} V ({spread[x] / vth[x] * 100:.2g}%)")


if __name__ == "__main__":
    main()
