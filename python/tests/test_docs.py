"""docs/python.md, the README and examples/python: each page's ```python blocks run in order in
one namespace from the repository's root, and every example script runs (matplotlib's Agg
backend, pictures into a temporary folder) and prints the numbers the tutorial quotes."""
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PAGE = os.path.join(ROOT, "docs", "python.md")


@pytest.mark.parametrize("page, least", [(PAGE, 4), (os.path.join(ROOT, "README.md"), 1)])
def test_python_page_blocks(page, least, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", open(page, encoding="utf-8").read(), re.S)
    assert len(blocks) >= least
    monkeypatch.chdir(ROOT)
    namespace = {}
    for i, code in enumerate(blocks, 1):
        exec(compile(code, "%s (block %d)" % (page, i), "exec"), namespace)


NUM = r"(-?\d+(?:\.\d*)?(?:e[-+]\d+)?)"
# What each script must print, against independent numbers: the fluxonium levels of
# netlists/fluxonium.cir (T10b) and the numpy oracle of examples/fluxonium_flux_sweep.cir, the
# Mathieu-function widths of netlists/bloch_bands.cir, and duality (the same levels).
EXPECTED = {
    "fluxonium_flux_sweep.py": [(r"f01 at half flux: " + NUM, 0.363421367, 2e-9),
                                (r"at zero flux: " + NUM, 8.758445263, 2e-9)],
    "transmon_dual.py": [(r"largest difference: " + NUM, 0.0, 1e-9),
                         (r"over ng: largest difference " + NUM, 0.0, 1e-9)],
    "bloch_bands.py": [(r"widths " + NUM, 0.592419899873, 1e-9),
                       (r"ES_eff = " + NUM, 0.2855100318, 1e-9)],
}


@pytest.mark.parametrize("script", sorted(EXPECTED))
def test_example(script, tmp_path):
    env = dict(os.environ, MPLBACKEND="Agg")
    r = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "python", script),
                        str(tmp_path)], capture_output=True, text=True, cwd=tmp_path, env=env,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    for pattern, want, atol in EXPECTED[script]:
        m = re.search(pattern, r.stdout)
        assert m and abs(float(m.group(1)) - want) <= atol, (pattern, r.stdout[-2000:])
    png = tmp_path / script.replace(".py", ".png")
    assert png.exists() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_every_example_is_tested():
    scripts = {f for f in os.listdir(os.path.join(ROOT, "examples", "python"))
               if f.endswith(".py")}
    assert scripts == set(EXPECTED)
