#!/usr/bin/env python3
"""Murray's (2019) RFLO notebook, run unchanged over many seeds: the spread of its own figures.

`credit reproduce murray-periodic` quotes the final loss the notebook stored (one run: BPTT
2.3e-4, RFLO 1.5e-4). This script downloads RFLO_Example.ipynb from murray-lab/rflo-learning at
the pinned commit (or reads a local copy), takes its first code cell (the RNN class) as it is,
sets up the second cell's task (50 units, periodic target, W_in frozen, η 0.03 for W_rec and
W_out, 10,000 trials, one update per trial), seeds numpy, and prints each run's last-trial loss
(the figure the notebook prints) and the mean ± standard error per rule, to set beside
`credit reproduce murray-periodic --seeds N`.

    python3 bench/authors/murray_rflo_notebook.py --seeds 10            # about 2 minutes per seed and rule
    python3 bench/authors/murray_rflo_notebook.py --notebook RFLO_Example.ipynb --trials 1000

Needs numpy only. Python 3.8+ warns about the notebook's `learning is 'rflo'` (an identity test on
strings); it is rewritten to `==`, which is what the notebook means and what CPython did.
"""
import argparse
import json
import math
import multiprocessing
import urllib.request

COMMIT = "fcf68aae8cf6bf3147beff8770ed4a534b2cbaac"
URL = f"https://raw.githubusercontent.com/murray-lab/rflo-learning/{COMMIT}/RFLO_Example.ipynb"


def notebook_source(path):
    """The RNN class of the notebook's first code cell, without its plotting setup."""
    if path:
        with open(path, encoding="utf-8") as file:
            notebook = json.load(file)
    else:
        with urllib.request.urlopen(URL, timeout=60) as response:
            notebook = json.load(response)
    cell = next(c for c in notebook["cells"] if c["cell_type"] == "code")
    lines = [line for line in "".join(cell["source"]).splitlines()
             if not line.startswith("%") and "matplotlib" not in line]
    source = "\n".join(lines)
    for rule in ("rtrl", "bptt", "rflo"):
        source = source.replace(f"learning is '{rule}'", f"learning == '{rule}'")
    # Silence the per-trial progress line (it prints 10,000 carriage returns per run).
    return source.replace("print('\\r'", "(lambda *a, **k: None)('\\r'")


def run(job):
    source, seed, rule, trials = job
    import numpy as np
    namespace = {}
    exec(compile(source, "RFLO_Example.ipynb", "exec"), namespace)
    np.random.seed(seed)
    duration = 100
    x_tonic = np.zeros((duration, 1))
    t = np.arange(duration)
    y_target = np.outer(np.sin(2 * np.pi * t / duration) + 0.5 * np.sin(4 * np.pi * t / duration)
                        + 0.25 * np.sin(8 * np.pi * t / duration), np.ones(1))
    net = namespace["RNN"](1, 50, 1, 0.1 * np.ones(50))
    _, losses, _ = net.run_session(trials, x_tonic, y_target, eta=[0.0, 0.03, 0.03], learning=rule, online_learning=False)
    return seed, rule, losses[-1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="numpy seeds 1 … N (default 10)")
    parser.add_argument("--trials", type=int, default=10_000, help="trials per run (the notebook's 10,000)")
    parser.add_argument("--rules", default="bptt,rflo", help="comma-separated: bptt, rflo (default both)")
    parser.add_argument("--notebook", help="a local RFLO_Example.ipynb instead of the download")
    parser.add_argument("--jobs", type=int, default=multiprocessing.cpu_count(), help="parallel runs (default: the cores)")
    arguments = parser.parse_args()
    source = notebook_source(arguments.notebook)
    rules = arguments.rules.split(",")
    jobs = [(source, seed, rule, arguments.trials) for rule in rules for seed in range(1, arguments.seeds + 1)]
    with multiprocessing.Pool(arguments.jobs) as pool:
        results = pool.map(run, jobs)
    for rule in rules:
        finals = [loss for _, r, loss in results if r == rule]
        for seed, loss in ((s, l) for s, r, l in results if r == rule):
            print(f"{rule:5} seed {seed:3}: {loss:.3g}")
        mean = sum(finals) / len(finals)
        spread = math.sqrt(sum((x - mean) ** 2 for x in finals) / (len(finals) - 1) / len(finals)) if len(finals) > 1 else float("nan")
        print(f"{rule:5} mean ± standard error over {len(finals)} seeds: {mean:.3g} ± {spread:.2g} "
              f"(min {min(finals):.3g}, max {max(finals):.3g})")


if __name__ == "__main__":
    main()
