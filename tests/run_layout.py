#!/usr/bin/env python3
"""The layout of src/ keeps its rules (TAP), as docs/architecture.md states them:
- every #include of a stage goes to the same stage or one it may use (arrows only downward);
- no source file over 1,000 lines, no function over 120 lines but the listed ones;
- no two files call each other;
- writers call no numerical code (only the name lookups listed).
Argument: the project's root."""
import pathlib
import re
import sys

import taplib

# What each stage may include: itself and the stages below it. solve/ is numerical kernels over
# base/ only (it knows nothing of circuits), so the circuit stage may use its LAPACK.
MAY_USE = {
    "base": {"base"},
    "solve": {"base", "solve"},
    "front": {"base", "front"},
    "circuit": {"base", "front", "solve", "circuit"},
    "operators": {"base", "front", "solve", "circuit", "operators"},
    "analyses": {"base", "front", "solve", "circuit", "operators", "analyses"},
    "writers": {"base", "front", "solve", "circuit", "operators", "analyses", "writers"},
    "api": {"base", "front", "solve", "circuit", "operators", "analyses", "writers", "api"},
    "cli": {"base", "front", "solve", "circuit", "operators", "analyses", "writers", "cli"},
}
# The stage of each public header (where its code lives); the engine's umbrella belongs to the
# highest stage it includes, the C API to its own.
PUBLIC = {
    "diag": "base", "dist": "base", "lexer": "front", "netlist": "front", "circuit": "front", "units": "front",
    "quantize": "circuit", "dual": "circuit", "eig": "solve", "spectrum": "analyses",
    "states": "analyses", "bands": "analyses", "tran": "analyses", "run": "analyses",
    "coherence": "analyses",
    "context": "analyses", "report": "writers", "engine": "writers", "qpsim": "api",
}
MAX_FILE_LINES = 1000
MAX_FUNCTION_LINES = 120
# Functions allowed over MAX_FUNCTION_LINES, with the reason (docs/architecture.md repeats it).
LONG_FUNCTIONS = {}
# What writers may call from the numerical stages: names of enum values, not computations.
WRITER_LOOKUPS = {"qp_eig_method_name", "qp_mode_kind_name", "qp_states_operator_unit"}

CODE_SPLIT = re.compile(r'("(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|/\*.*?\*/|//[^\n]*)', re.S)


def code_only(text):
    """The text with string literals and comments blanked."""
    parts = CODE_SPLIT.split(text)
    return "".join(p if i % 2 == 0 else " " for i, p in enumerate(parts))


def stage_of_include(inc):
    """The stage an include belongs to; "?" for a public header missing from PUBLIC (a new one
    must be placed there); None for headers outside the stages (qp_config.h, tap.h)."""
    if inc.startswith("qpsim/"):
        return PUBLIC.get(inc[len("qpsim/"):-2], "?")
    head = inc.split("/")[0]
    return head if head in MAY_USE else None


def functions(text):
    """(name, first line, length) of every function definition: '{' and '}' in column 0."""
    lines = text.split("\n")
    out, start = [], None
    for i, line in enumerate(lines):
        if start is None and line.startswith("{") and i > 0:
            j = i - 1
            while j > 0 and "(" not in lines[j]:
                j -= 1
            m = re.search(r"(\w+)\s*\(", lines[j])
            start, name = i, m.group(1) if m else "?"
        elif start is not None and line.startswith("}"):
            out.append((name, start, i - start + 1))
            start = None
    return out


def main():
    root = pathlib.Path(sys.argv[1])
    src = root / "src"
    files = sorted(p for p in src.rglob("*.[ch]"))
    tests = []

    bad_inc = []
    for f in files:
        stage = f.relative_to(src).parts[0]
        for inc in re.findall(r'#include "([^"]+)"', f.read_text()):
            to = stage_of_include(inc)
            if to == "?":
                bad_inc.append("%s includes %s: a public header without a stage in PUBLIC"
                               % (f.relative_to(root), inc))
            elif to is not None and to not in MAY_USE.get(stage, set()):
                bad_inc.append("%s includes %s (%s -> %s)" % (f.relative_to(root), inc, stage, to))
    tests.append(("every include goes to the same stage or one below", not bad_inc,
                  "\n".join(bad_inc)))

    long_files = ["%s: %d lines" % (f.relative_to(root), len(f.read_text().split("\n")) - 1)
                  for f in files if len(f.read_text().split("\n")) - 1 > MAX_FILE_LINES]
    tests.append(("no source file over %d lines" % MAX_FILE_LINES, not long_files,
                  "\n".join(long_files)))

    long_fns = []
    for f in files:
        for name, line, n in functions(f.read_text()):
            if n > MAX_FUNCTION_LINES and name not in LONG_FUNCTIONS:
                long_fns.append("%s:%d: %s is %d lines" % (f.relative_to(root), line, name, n))
    tests.append(("no function over %d lines but the listed ones" % MAX_FUNCTION_LINES,
                  not long_fns, "\n".join(long_fns)))

    # who defines which external function, and which names each file uses
    cfiles = [f for f in files if f.suffix == ".c"]
    defined, used = {}, {}
    for f in cfiles:
        code = code_only(f.read_text())
        for name, _, _ in functions(code):
            if not re.search(r"^static\b[^;{]*\b%s\s*\(" % name, code, re.M):
                defined[name] = f
        used[f] = set(re.findall(r"\b(qp_\w+)\s*\(", code))
    calls = {f: {defined[n] for n in used[f] if n in defined and defined[n] != f} for f in cfiles}
    mutual = sorted({tuple(sorted((str(a.relative_to(root)), str(b.relative_to(root)))))
                     for a in cfiles for b in calls[a] if a in calls.get(b, set())})
    tests.append(("no two files call each other", not mutual,
                  "\n".join("%s <-> %s" % m for m in mutual)))

    numeric = {n for n, f in defined.items()
               if f.relative_to(src).parts[0] in ("solve", "operators", "circuit", "analyses")}
    wcalls = []
    for f in cfiles:
        if f.relative_to(src).parts[0] == "writers":
            for n in sorted((used[f] & numeric) - WRITER_LOOKUPS):
                wcalls.append("%s calls %s (%s)" % (f.relative_to(root), n,
                                                     defined[n].relative_to(root)))
    tests.append(("writers call no numerical code", not wcalls, "\n".join(wcalls)))
    tap = taplib.Tap(len(tests))
    for name, ok, why in tests:
        tap.result(name, [] if ok else [why])
    return tap.exit_code()


if __name__ == "__main__":
    sys.exit(main())
