#!/usr/bin/env python3
"""The JSON output against its schema, docs/qpsim.schema.json (TAP; issue 15): the documents of
`qpsim run --json` and `qpsim check --json` of every bundled deck (every .cir under the folders
given) validate, and the schema is strict enough to refuse a document with a member missing, a
member of the wrong type, a member it does not know, or a 2-D sweep's levels left flat.
Needs Debian's python3-jsonschema. Arguments: qpsim, the schema, deck folders..."""
import copy
import json
import os
import subprocess
import sys

import jsonschema

import taplib


def decks(folders):
    found = []
    for folder in folders:
        for root, _, files in os.walk(folder):
            found += [os.path.abspath(os.path.join(root, f)) for f in files if f.endswith(".cir")]
    return sorted(found)


def document(exe, cmd, deck):
    r = subprocess.run([exe, cmd, "--json", deck], capture_output=True, text=True, timeout=600,
                       cwd=os.path.dirname(deck))
    if r.returncode != 0:
        raise RuntimeError("exit %d: %s" % (r.returncode, r.stderr[:300]))
    return json.loads(r.stdout)


def errors(validator, doc):
    return ["%s: %s" % ("/".join(str(p) for p in e.absolute_path) or "(root)", e.message[:300])
            for e in validator.iter_errors(doc)][:5]


def first(docs, pred):
    for d in docs:
        for i, a in enumerate(d["analyses"]):
            if pred(a):
                return d, i
    raise LookupError("no bundled deck has such a result")


def broken(docs):
    """Documents the schema must refuse, each with what was done to it."""
    out = []

    def edit(label, pred, fn):
        d, i = first(docs, pred)
        d = copy.deepcopy(d)
        fn(d, d["analyses"][i])
        out.append((label, d))
    spectrum = lambda a: a["type"] == "spectrum" and "sweep" not in a
    edit("a spectrum without levels", spectrum, lambda d, a: a.pop("levels"))
    edit("a spectrum's level given as a string", spectrum,
         lambda d, a: a["levels"].__setitem__(0, "0.0"))
    edit("a spectrum with a member the schema does not know", spectrum,
         lambda d, a: a.__setitem__("levles", []))
    edit("a 2-D sweep with its levels flat", lambda a: "param2" in a.get("sweep", {}),
         lambda d, a: a.__setitem__("levels", [r for row in a["levels"] for r in row]))
    edit("a transient's frequency without f_sim_Hz", lambda a: a["type"] == "tran"
         and a["frequencies"], lambda d, a: a["frequencies"][0].pop("f_sim_Hz"))
    edit("a swept transient without its I-V table", lambda a: a["type"] == "tran"
         and "sweep" in a, lambda d, a: a.pop("iv"))
    edit("bands without widths", lambda a: a["type"] == "bands", lambda d, a: a.pop("widths"))
    edit("a capacitor without C_F", spectrum,
         lambda d, a: [e.pop("C_F") for e in d["circuit"]["elements"]
                       if e["type"] == "capacitor"][:1])
    edit("a document without its version", spectrum, lambda d, a: d.pop("qpsim"))
    return out


def main():
    exe, schema_path, folders = os.path.abspath(sys.argv[1]), sys.argv[2], sys.argv[3:]
    schema = json.load(open(schema_path))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    found = decks(folders)
    top = os.path.dirname(os.path.commonpath([os.path.abspath(f) for f in folders]))
    tap = taplib.Tap(2 * len(found) + 9)
    runs = []
    for deck in found:
        label = os.path.relpath(deck, top)
        for cmd in ("run", "check"):
            try:
                doc = document(exe, cmd, deck)
            except (RuntimeError, ValueError, subprocess.TimeoutExpired) as e:
                tap.fail("%s --json %s" % (cmd, label), [str(e)])
                continue
            if cmd == "run":
                runs.append(doc)
            tap.result("%s --json %s" % (cmd, label), errors(validator, doc))
    for label, doc in broken(runs):
        tap.result("refused: " + label, [] if errors(validator, doc) else ["the schema accepts it"])
    return tap.exit_code()


if __name__ == "__main__":
    sys.exit(main())
