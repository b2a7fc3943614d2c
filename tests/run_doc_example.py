#!/usr/bin/env python3
"""The C example of docs/api.md, compiled and run as written there.
  run_doc_example.py extract PAGE OUT.c    writes the page's ```c block that opens with
                                           "/* example" to OUT.c (the build compiles it)
  run_doc_example.py run PAGE PROGRAM      runs the compiled example (TAP): exit status 0 and
                                           stdout equal to the ```text block after it"""
import re
import subprocess
import sys

import taplib

BLOCK = re.compile(r"```c\n(/\* example.*?)```\s*(?:[^`]*?```text\n(.*?)```)?", re.S)


def example(page):
    """(C source, expected output or None) of the page's example, or None."""
    m = BLOCK.search(open(page, encoding="utf-8").read())
    return (m.group(1), m.group(2)) if m else None


def main():
    mode, page = sys.argv[1], sys.argv[2]
    ex = example(page)
    if mode == "extract":
        if not ex:
            sys.exit("%s: no ```c block opening with '/* example'" % page)
        with open(sys.argv[3], "w", encoding="utf-8") as f:
            f.write(ex[0])
        return 0
    tap = taplib.Tap(2)
    r = subprocess.run([sys.argv[3]], capture_output=True, text=True, timeout=120)
    tap.result("the example runs (exit status 0)",
               [] if r.returncode == 0 else ["exit %d: %s" % (r.returncode, r.stderr[-500:])])
    want = ex[1] if ex else None
    tap.result("its output is the page's ```text block after it",
               [] if want is not None and r.stdout == want else
               ["no ```text block after the example" if want is None else
                "got:\n%s\nwant:\n%s" % (r.stdout, want)])
    return tap.exit_code()


if __name__ == "__main__":
    sys.exit(main())
