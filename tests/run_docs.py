#!/usr/bin/env python3
"""Every ```spice block of the documentation (TAP): `qpsim check` must accept it, and `qpsim run`
must compute it when it asks for an analysis. Conventions in a block's first line: `* file: NAME`
stores it as NAME for the blocks after it in the same page (an include file); `* fragment` skips
it (lines to paste into a deck); a first line saying the deck "is rejected" expects exit 1."""
import os
import re
import subprocess
import sys
import tempfile

import taplib


def main():
    exe = os.path.abspath(sys.argv[1])
    pages = [os.path.abspath(p) for p in sys.argv[2:]]
    blocks = []
    for page in pages:
        text = open(page, encoding="utf-8").read()
        for m in re.finditer(r"```spice\n(.*?)```", text, re.S):
            blocks.append((page, text[:m.start()].count("\n") + 1, m.group(1)))
    if not blocks:  # the pages were not found or lost their examples: a failure, not a skip
        tap = taplib.Tap(1)
        tap.fail("no ```spice block in %s" % " ".join(sys.argv[2:]))
        return tap.exit_code()
    tap = taplib.Tap(len(blocks))
    dirs = {}
    for i, (page, line, deck) in enumerate(blocks, 1):
        label = "%s:%d" % (os.path.relpath(page), line)
        first = deck.splitlines()[0] if deck.strip() else ""
        d = dirs.setdefault(page, tempfile.mkdtemp())
        m = re.match(r"\*\s*file:\s*(\S+)", first)
        if m:
            open(os.path.join(d, m.group(1)), "w").write(deck)
            tap.skip(label, "include file " + m.group(1))
            continue
        if "fragment" in first:
            tap.skip(label, "fragment")
            continue
        path = os.path.join(d, "block%d.cir" % i)
        open(path, "w").write(deck)
        want = 1 if "is rejected" in first else 0
        problems = []
        r = subprocess.run([exe, "check", path], capture_output=True, text=True, timeout=60)
        if r.returncode != want:
            problems.append("check: exit %d, expected %d: %s" % (r.returncode, want,
                                                                r.stderr.strip()[:300]))
        analyses = re.search(r"^\s*\.(spectrum|bands|tran)\b", deck, re.M | re.I)
        if want == 0 and not problems and analyses:
            r = subprocess.run([exe, "run", "--json", path], capture_output=True, text=True,
                               timeout=600)
            if r.returncode != 0:
                problems.append("run: exit %d: %s" % (r.returncode, r.stderr.strip()[:300]))
        tap.result(label, problems)
    return tap.exit_code()


if __name__ == "__main__":
    sys.exit(main())
