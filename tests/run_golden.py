#!/usr/bin/env python3
"""Golden-deck runner (TAP). Each tests/golden/*.cir (and every deck given with --decks) is read
with `qpsim check --json` and must succeed. Its `* check:` lines compare members of the JSON
document with expected values that come from an independent source (closed forms, hand
conversion), each with its tolerance:

    * check: circuit.elements[C1].EC_GHz = 0.242127862 rtol=1e-9
    * check: circuit.loops[0].branches = ["B1", "L1"]
    * check: circuit.nodes.length = 3

Paths that start with `analyses` are looked up in the document of `qpsim run --json` (the
analyses are computed); the others in `qpsim check --json`. A path is dot-separated; `[NAME]` selects the array member whose "name" (or "node") is NAME,
`[3]` an index, `.length` an array length, `.abs` the magnitude of a number or of each member of
a list (matrix elements whose sign depends on eigenvector phases). Without rtol/atol the
comparison is exact.
`* text:` lines must appear verbatim in the text output of `qpsim check`."""
import json
import math
import os
import re
import subprocess
import sys

import taplib

CHECK = re.compile(r"^\*\s*check:\s*(\S+)\s*=\s*(.+?)(?:\s+(rtol|atol)=(\S+))?\s*$")


def select(doc, path):
    cur = doc
    for part in re.findall(r"[^.\[\]]+|\[[^\]]*\]", path):
        if part.startswith("["):
            key = part[1:-1]
            if re.fullmatch(r"-?\d+", key):
                cur = cur[int(key)]
            else:
                hits = [x for x in cur if isinstance(x, dict)
                        and key in (x.get("name"), x.get("node"), x.get("type"))]
                if not hits:
                    raise KeyError("no member named %s" % key)
                cur = hits[0]
        elif part == "length":
            cur = len(cur)
        elif part == "abs":
            cur = [abs(x) for x in cur] if isinstance(cur, list) else abs(cur)
        else:
            cur = cur[part]
    return cur


def close(got, want, kind, tol):
    if kind is None:
        return got == want
    if isinstance(got, list):
        return len(got) == len(want) and all(close(g, w, kind, tol) for g, w in zip(got, want))
    if kind == "rtol":
        return math.isclose(got, want, rel_tol=tol, abs_tol=0.0)
    return abs(got - want) <= tol


def run_deck(exe, path):
    problems = []
    folder, name = os.path.split(os.path.abspath(path))
    r = subprocess.run([exe, "check", "--json", name], cwd=folder, capture_output=True,
                       text=True, timeout=60)
    if r.returncode != 0:
        return ["exit status %d: %s" % (r.returncode, r.stderr.strip()[:500])]
    doc = json.loads(r.stdout)
    run_doc = None
    text = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            s = line.strip()
            m = CHECK.match(s)
            if m:
                key, want, kind, tol = m.group(1), json.loads(m.group(2)), m.group(3), m.group(4)
                if key.startswith("analyses") and run_doc is None:
                    rr = subprocess.run([exe, "run", "--json", name], cwd=folder,
                                        capture_output=True, text=True, timeout=600)
                    if rr.returncode != 0:
                        problems.append("run: exit status %d: %s"
                                        % (rr.returncode, rr.stderr.strip()[:500]))
                        break
                    run_doc = json.loads(rr.stdout)
                try:
                    got = select(run_doc if key.startswith("analyses") else doc, key)
                except (KeyError, IndexError, TypeError) as e:
                    problems.append("%s: missing (%s)" % (key, e))
                    continue
                if not close(got, want, kind, float(tol) if tol else 0.0):
                    problems.append("%s = %r, expected %r%s" % (key, got, want,
                                    " (%s %s)" % (kind, tol) if kind else ""))
            elif s.startswith("* text:"):
                if text is None:
                    t = subprocess.run([exe, "check", name], cwd=folder, capture_output=True,
                                       text=True, timeout=60)
                    text = t.stdout
                want = s[len("* text:"):].strip()
                if want not in text:
                    problems.append("text output lacks %r" % want)
    return problems


def main():
    exe = os.path.abspath(sys.argv[1])
    decks = []
    for d in sys.argv[2:]:
        decks += sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".cir"))
    tap = taplib.Tap(len(decks))
    for path in decks:
        problems = run_deck(exe, path)
        label = os.path.relpath(path)
        tap.result(label, problems)
    return tap.exit_code()


if __name__ == "__main__":
    sys.exit(main())
