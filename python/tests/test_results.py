"""check, run, repr, dual, matrix elements, wavefunctions, Bloch bands, transients and coherence
times from Python against the command line's output for the same decks (JSON, text) and against
the independent numbers the decks quote (Mathieu-function band widths, scqubits' coherence times,
V/Phi0)."""
import math
import os

import numpy as np
import pytest

import qpsim

SAME_PATH_ATOL = 1e-12    # GHz (and rad, 2e): the same computation by the same engine
JSON_ULP = 4.5e-16        # cJSON writes 15 digits when they read back within about one ulp
SAME_PATH_RTOL = 1e-12    # relative, for times and frequencies
ORACLE_RTOL = 1e-6        # the decks' stated tolerance against scqubits (examples/coherence)
BANDS_RTOL = 1e-9         # netlists/bloch_bands.cir: Mathieu-function widths, 10-12 digits


def path(root, *p):
    return os.path.join(root, *p)


def test_check_equals_cli(root, cli, cli_json):
    for deck in ["netlists/fluxonium.cir", "netlists/squid_transmon.cir", "examples/cquid.cir",
                 "netlists/ac_josephson.cir"]:
        p = path(root, deck)
        c = qpsim.Circuit.from_file(p)
        assert c.check() == cli_json("check", p)["circuit"]
        assert repr(c) == cli("check", p).stdout


def test_run_equals_cli(root, cli_json):
    for deck in ["netlists/fluxonium.cir", "netlists/cpb_sweep.cir", "netlists/bloch_bands.cir",
                 "examples/matrix_elements.cir", "examples/coherence/fluxonium.cir",
                 "netlists/ac_josephson.cir", "examples/sweep_2d.cir"]:
        p = path(root, deck)
        assert qpsim.Circuit.from_file(p).run() == cli_json("run", p)


def test_run_with_params_equals_cli(root, cli_json):
    p = path(root, "examples/coherence/fluxonium.cir")
    got = qpsim.Circuit.from_file(p, params={"f": 0.3}).run()
    assert got == cli_json("run", p, "--set", "f=0.3")


def test_dual_equals_cli(root, cli):
    checked = 0
    for folder in ["netlists", "examples/duality"]:
        for name in sorted(os.listdir(path(root, folder))):
            if not name.endswith(".cir"):
                continue
            p = path(root, folder, name)
            r = cli("dual", p, check=False)
            c = qpsim.Circuit.from_file(p)
            if r.returncode == 0:
                assert c.dual() == r.stdout
                checked += 1
            else:
                with pytest.raises(qpsim.NetlistError) as e:
                    c.dual()
                assert str(e.value) + "\n" == r.stderr
    assert checked >= 10


def test_matrix_elements_equal_cli_and_oracle(root, cli_json):
    p = path(root, "examples/matrix_elements.cir")
    a = cli_json("run", p)["analyses"][0]
    c = qpsim.Circuit.from_file(p)
    for m in a["matrix_elements"]:
        want = np.array(m["re"]) + 1j * np.array(m["im"])
        got = c.matrix_elements(m["operator"], levels=4)
        assert got.shape == (4, 4) and got.dtype == np.complex128
        assert np.abs(got - want).max() <= SAME_PATH_ATOL
    # the deck's oracle (tests/oracles/matrix_elements.py, numpy): |<i|phi|j>|, first rows
    phi = np.abs(c.matrix_elements("phi(B1)", 4))
    np.testing.assert_allclose(phi[0], [3.1415926536, 2.8606816879, 0, 0.7491116784], atol=1e-8)
    np.testing.assert_allclose(phi[1], [2.8606816879, 3.1415926536, 1.1718270491, 0], atol=1e-8)


def test_wavefunction_equals_cli(root, cli_json):
    p = path(root, "examples/matrix_elements.cir")
    a = cli_json("run", p)["analyses"][1]
    c = qpsim.Circuit.from_file(p)
    for k in range(3):
        w = c.wavefunction(k, points=401)
        assert w["variables"] == [v["name"] for v in a["variables"]]
        x = np.array(a["variables"][0]["values"])
        assert np.abs(w["grid"][0] - x).max() <= JSON_ULP * np.abs(x).max()
        want = np.array(a["psi"][k]["re"]) + 1j * np.array(a["psi"][k]["im"])
        assert w["psi"].shape == (401,) and np.abs(w["psi"] - want).max() <= SAME_PATH_ATOL
        assert abs(w["energy_GHz"] - a["levels"][k]) <= SAME_PATH_ATOL
        x = w["grid"][0]  # normalized: the integral of |psi|^2 (trapezoids)
        assert abs(np.trapz(np.abs(w["psi"]) ** 2, x) - w["norm"]) < 1e-12
        assert abs(w["norm"] - 1) < 1e-6


def test_wavefunction_of_two_variables(root):
    c = qpsim.Circuit("B1 1 0 ej=6\nC1 1 0 ec=0.5\nB2 2 0 ej=4\nC2 2 0 ec=0.45\nCC 1 2 2fF\n")
    w = c.wavefunction(1, points=31)
    assert len(w["grid"]) == 2 and w["psi"].shape == (31, 31)
    dx = [g[1] - g[0] for g in w["grid"]]
    assert abs((np.abs(w["psi"]) ** 2).sum() * dx[0] * dx[1] - 1) < 0.05  # a coarse grid


def test_bands_equal_cli_and_mathieu(root, cli_json):
    p = path(root, "netlists/bloch_bands.cir")
    doc = cli_json("run", p)
    c = qpsim.Circuit.from_file(p)
    for a in doc["analyses"]:
        b = c.bands(a["element"], levels=len(a["widths"]), points=len(a["q"]))
        assert b["variable"] == a["variable"] and b["element"] == a["element"]
        assert np.abs(b["q"] - np.array(a["q"])).max() <= JSON_ULP
        assert np.abs(b["levels"] - np.array(a["levels"])).max() <= SAME_PATH_ATOL
        for key in ["widths", "gaps"]:
            assert np.abs(b[key] - np.array(a[key])).max(initial=0) <= SAME_PATH_ATOL
        assert abs(b["es_eff_GHz"] - a["es_eff_GHz"]) <= SAME_PATH_ATOL
    # T8, EJ/EC = 1 (B1, EC = 1 GHz): Mathieu-function widths W0, W1 and ES_eff = -c1
    b = c.bands("B1", levels=3, points=11)
    np.testing.assert_allclose(b["widths"][:2], [0.592419899873, 2.5124223732], rtol=BANDS_RTOL)
    np.testing.assert_allclose(b["es_eff_GHz"], 0.2855100318, rtol=BANDS_RTOL)
    assert c.bands()["element"] == "B1"  # the deck's first .bands


def test_tran_equals_cli_and_josephson(root, cli_json):
    p = path(root, "netlists/ac_josephson.cir")
    want = cli_json("run", p)["analyses"][0]["frequencies"][0]
    t = qpsim.Circuit.from_file(p).tran()
    f = t["frequencies"][0]
    for key in ["f_sim_Hz", "f_theory_Hz", "f_fft_Hz", "mean_V"]:
        assert abs(f[key] - want[key]) <= SAME_PATH_RTOL * abs(want[key])
    assert f["law"] == want["law"] == "V/Phi0" and f["periods"] == want["periods"]
    phi0 = 6.62607015e-34 / (2 * 1.602176634e-19)
    assert abs(f["f_sim_Hz"] - 10e-6 / phi0) < 1e-6 * 10e-6 / phi0  # f = V/Phi0
    assert t["t"][0] == 0 and abs(t["t"][-1] - 50e-9) < 1e-21
    assert set(t["signals"]) >= {"V(1)", "P(B1)", "Is(B1)"}
    # the phase advances as 2 pi V t / Phi0 once the source is on (after the first 1 ps)
    slope = np.polyfit(t["t"][100:], t["signals"]["P(B1)"][100:], 1)[0]
    assert abs(slope - 2 * math.pi * 10e-6 / phi0) < 1e-6 * slope


def test_tran_replaced_times(root):
    c = qpsim.Circuit.from_file(path(root, "netlists/ac_josephson.cir"))
    t = c.tran(tstep=2e-12, tstop=10e-9)
    assert len(t["t"]) == 5001 and abs(t["t"][1] - 2e-12) < 1e-24


def test_coherence_equals_cli_and_scqubits(root, cli_json):
    p = path(root, "examples/coherence/fluxonium.cir")
    a = cli_json("run", p)["analyses"][0]
    co = qpsim.Circuit.from_file(p).coherence()
    assert [ch["name"] for ch in a["channels"]] == list(co["channels"])
    for ch in a["channels"]:
        got = co["channels"][ch["name"]]
        assert abs(got["time_s"] - ch["time_s"]) <= SAME_PATH_RTOL * ch["time_s"]
        assert abs(got["rate_per_s"] - ch["rate_per_s"]) <= SAME_PATH_RTOL * ch["rate_per_s"]
    for key in ["t1_s", "t2_s", "f_GHz", "temp_K"]:
        assert abs(co[key] - a[key]) <= SAME_PATH_RTOL * a[key]
    # scqubits 4.3.1 (tests/oracles/coherence_scqubits.py), as the deck quotes it
    oracle = {"t1_capacitive": 1.223024302884e-03, "t1_inductive": 2.204245683927,
              "t1_quasiparticle_tunneling": 1.540911809926e-04,
              "tphi_1_over_f_flux": 2.033825476703e-06, "tphi_1_over_f_cc": 5.835535810398e-03}
    for name, t in oracle.items():
        assert abs(co["channels"][name]["time_s"] - t) <= ORACLE_RTOL * t


def test_coherence_transition_and_sweet_spot(root):
    c = qpsim.Circuit.from_file(path(root, "netlists/fluxonium.cir"))  # f = 1/2: a sweet spot
    co = c.coherence()
    assert co["channels"]["tphi_1_over_f_flux"]["time_s"] == math.inf
    assert co["channels"]["tphi_1_over_f_flux"]["rate_per_s"] == 0
    E = c.spectrum(3)
    co2 = c.coherence((2, 0))
    assert (co2["from"], co2["to"]) == (2, 0)
    assert abs(co2["f_GHz"] - (E[2] - E[0])) < 1e-7
