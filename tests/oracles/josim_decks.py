#!/usr/bin/python3
"""Reference numbers for JoSIM's own test decks, from JoSIM itself (tests/josim/*.cir).

What it records (into tests/oracles/josim_decks.json, which tests/run_josim.py reads; the tests
never need JoSIM):
  per junction   the count of 2*pi phase slips over the whole run, round((phi(T) - phi(0))/2pi),
                 and its mean voltage over the whole run from its phase advance,
                 Phi0/2pi * (phi(T) - phi(0)) / T;
  per .print     in the deck's order, the mean of every column the deck itself prints over the same second half, under
                 the column name JoSIM writes (V(3,0) becomes V(3), as qpsim names it).
How: JoSIM runs each deck unchanged (its own columns) and a copy with one `.print phase NAME`
added per junction, subcircuit junctions named as JoSIM names them (B01|X03).

JoSIM: https://github.com/JoeyDelp/JoSIM, commit 02a34ee5e7a3a6952b21ccc726fbf7a6d5e2b224
(v2.7, MIT licence, tests/josim/LICENSE.JoSIM), built with cmake against Debian's KLU
(libsuitesparse-dev): its cmake/dependencies.cmake, which downloads SuiteSparse, SuperLU and
CBLAS, replaced by find_library for klu, amd, colamd, btf and suitesparseconfig (SuperLU and
CBLAS are only used with -DSLU=ON), and test/ left out of its CMakeLists.txt.
Run:  /usr/bin/python3 tests/oracles/josim_decks.py PATH/TO/josim-cli
"""
import csv
import json
import math
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DECKS = os.path.join(HERE, '..', 'josim')
PHI0 = 2.067833848e-15
# JoSIM decks of elements qpsim lacks: kept as decks, to check that qpsim refuses them with a
# positioned error, but nothing to record (none left).
UNSUPPORTED = set()


def logical_lines(text):
    out = []
    for line in text.splitlines():
        if line.startswith('+') and out:
            out[-1] += ' ' + line[1:]
        else:
            out.append(line)
    return out


def junctions(text):
    """Flattened junction names as JoSIM prints them: B01, B01|X03 (instance names last)."""
    subs, cur, top = {}, None, []
    for line in logical_lines(text):
        w = line.split()
        if not w or w[0].startswith('*'):
            continue
        if w[0].lower() == '.subckt':
            cur = subs.setdefault(w[1].lower(), [])
            continue
        if w[0].lower() == '.ends':
            cur = None
            continue
        (cur if cur is not None else top).append(w)

    def flat(body, suffix, depth):
        names = []
        for w in body:
            c = w[0][0].upper()
            if c == 'B':
                names.append(w[0] + suffix)
            elif c == 'X' and depth < 20:
                sub = next((t for t in w[1:] if t.lower() in subs), None)
                if sub:
                    names += flat(subs[sub.lower()], '|' + w[0] + suffix, depth + 1)
        return names

    return flat(top, '', 0)


def run_josim(josim, deck_text, workdir, name):
    path = os.path.join(workdir, name + '.cir')
    out = os.path.join(workdir, name + '.csv')
    with open(path, 'w') as f:
        f.write(deck_text)
    subprocess.run([josim, '-o', out, path], cwd=workdir, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(out) as f:
        rows = list(csv.reader(f))
    head = rows[0]
    cols = {h: [float(r[k]) for r in rows[1:]] for k, h in enumerate(head)}
    return head, cols


def qpsim_name(col):
    m = re.fullmatch(r'(\w)\(([^,]+),0\)', col)
    return f'{m.group(1)}({m.group(2)})' if m else col


def main():
    josim = sys.argv[1]
    result = {'josim_commit': '02a34ee5e7a3a6952b21ccc726fbf7a6d5e2b224', 'decks': {}}
    for fn in sorted(os.listdir(DECKS)):
        if not fn.endswith('.cir') or fn[:-4] in UNSUPPORTED:
            continue
        name = fn[:-4]
        with open(os.path.join(DECKS, fn)) as f:
            text = f.read()
        entry = {}
        with tempfile.TemporaryDirectory() as wd:
            head, cols = run_josim(josim, text, wd, name)
            t = cols['time']
            h = len(t) // 2
            entry['tstop'] = t[-1]
            entry['columns'] = [[qpsim_name(c), sum(cols[c][h:]) / (len(t) - h)]
                                for c in head[1:]]
            jj = junctions(text)
            if jj:
                body = [l for l in logical_lines(text) if l.strip().lower() != '.end']
                body += [f'.print phase {j}' for j in jj]
                head2, cols2 = run_josim(josim, '\n'.join(body) + '\n', wd, name + '_jj')
                entry['junctions'] = {}
                for j in jj:
                    p = next(v for c, v in cols2.items() if c.upper() == f'P({j.upper()})')
                    t2 = cols2['time']
                    entry['junctions'][j] = {
                        'slips': round((p[-1] - p[0]) / (2 * math.pi)),
                        'phase_end': p[-1] - p[0],
                        'mean_V': PHI0 / (2 * math.pi) * (p[-1] - p[0]) / (t2[-1] - t2[0]),
                    }
        result['decks'][name] = entry
        print(name, json.dumps(entry)[:200])
    with open(os.path.join(HERE, 'josim_decks.json'), 'w') as f:
        json.dump(result, f, indent=1, sort_keys=True)
        f.write('\n')


if __name__ == '__main__':
    main()
