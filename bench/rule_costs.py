#!/usr/bin/env python3
"""Every rule's training step relative to backprop's, for the README's cost table.

Runs `credit bench` for backprop and each rule alternately, `--rounds` times (default 3), on the
two benchmark nets (784-800-800-10 tanh at batch 128 with momentum; 784-50-20-10 sigmoid MSE at
batch 32 with SGD), and prints each rule's ms/step over backprop's, as a Markdown table. Each is
the least over the rounds of `credit bench`'s median: on a shared machine whose speed drifts by
tens of percent within minutes, the fastest round is the one least disturbed by other load. One BLAS thread by default (OPENBLAS_NUM_THREADS=1), so that a ratio does not depend on how
well each rule's products thread. MNIST must be findable by `credit` (../shared/data, --data).

    swift build -c release --product credit
    python3 bench/rule_costs.py --data ../shared/data
"""
import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# (name, flags of credit bench); the small net's steps take 0.1 ms, so it times 20 times more of them.
NETS = [
    ("800-800, b128", ["--layers", "800,800", "--batch-size", "128", "--optimizer", "momentum", "--lr", "0.05", "--steps", "50"]),
    ("50-20, b32", ["--layers", "50,20", "--activation", "sigmoid", "--loss", "squared-error", "--output-activation", "sigmoid",
                    "--optimizer", "sgd", "--lr", "0.05", "--batch-size", "32", "--steps", "1000"]),
]
RULES = [
    ("fa", ["--rule", "fa"]), ("dfa", ["--rule", "dfa"]), ("s1", ["--rule", "s1"]), ("s2", ["--rule", "s2"]), ("s3", ["--rule", "s3"]),
    ("usf (sign symmetry)", ["--rule", "usf"]), ("matching", ["--rule", "matching"]), ("kp", ["--rule", "kp"]), ("wm", ["--rule", "wm"]),
    ("np", ["--rule", "np"]), ("ngrad (transposes)", ["--rule", "ngrad"]),
    ("ngrad symmetric", ["--rule", "ngrad", "--nudge-mode", "symmetric"]),
    ("ngrad learned", ["--rule", "ngrad", "--backward", "learned"]),
    ("tp", ["--rule", "tp"]), ("dtp", ["--rule", "dtp"]), ("sdtp", ["--rule", "sdtp"]), ("drl", ["--rule", "drl"]),
]


def milliseconds(credit, flags, env):
    """The median ms/step `credit bench` prints for a training step, or None if it failed."""
    out = subprocess.run([credit, "bench", "--dataset", "mnist", "--repeats", "3"] + flags,
                         capture_output=True, text=True, env=env)
    for line in out.stdout.splitlines():
        if line.startswith("training step"):
            return float(line.split()[-1])
    sys.stderr.write(f"credit bench {' '.join(flags)} failed:\n{out.stderr}\n")
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--credit", default=os.path.join(HERE, "..", ".build", "release", "credit"))
    parser.add_argument("--data", default=None, help="a data root for credit (--data)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="OPENBLAS_NUM_THREADS (default 1)")
    parser.add_argument("--rules", default=None, help="comma-separated names from the table (default: all)")
    parser.add_argument("--nets", default=None, help="comma-separated indices of the nets (0: 800-800, 1: 50-20; default both)")
    args = parser.parse_args()
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(args.threads))
    data = ["--data", args.data] if args.data else []
    chosen = [r for r in RULES if args.rules is None or r[0].split()[0] in args.rules.split(",")]
    ratios = {}
    backprop = {}
    nets = [NETS[int(i)] for i in args.nets.split(",")] if args.nets else NETS
    for net, net_flags in nets:
        bp_times = []
        for name, rule_flags in chosen:
            times = []
            for _ in range(args.rounds):
                # Backprop beside every rule, so that the machine's drift falls on both alike.
                bp_times.append(milliseconds(args.credit, net_flags + data + ["--rule", "bp"], env))
                times.append(milliseconds(args.credit, net_flags + data + rule_flags, env))
            times = [t for t in times if t]
            reference = min([t for t in bp_times[-args.rounds:] if t])
            ratios[(name, net)] = min(times) / reference if times else None
            print(f"  {net}: {name} {ratios[(name, net)] or float('nan'):.2f}×", file=sys.stderr, flush=True)
        backprop[net] = min([t for t in bp_times if t])
    print(f"backprop, ms/step ({args.threads} BLAS thread{'s' if args.threads > 1 else ''}): "
          + ", ".join(f"{net} {ms:.3f}" for net, ms in backprop.items()))
    print("| rule | " + " | ".join(net for net, _ in nets) + " |")
    print("| --- | " + " | ".join("---:" for _ in nets) + " |")
    for name, _ in chosen:
        print(f"| {name} | " + " | ".join(f"{ratios[(name, net)]:.2f}×" if ratios[(name, net)] else "—" for net, _ in nets) + " |")


if __name__ == "__main__":
    main()
