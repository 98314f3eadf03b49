#!/usr/bin/env python3
"""CreditKit beside PyTorch and JAX on the same workloads, interleaved on one machine.

For every workload and rule, runs `credit bench`, bench/peers/pytorch_mlp.py (backprop only) and
bench/peers/jax_mlp.py one after another, `--rounds` times (default 3), and prints the median
samples/s of each and CreditKit's ratio to each peer. Interleaving puts the machine's drift on
all three alike. A peer that is not installed shows as "—".

    swift build -c release --product credit
    pip install "jax[cpu]"; pip install torch --index-url https://download.pytorch.org/whl/cpu
    python3 bench/peers/side_by_side.py                       # BLAS and peers choose their threads
    python3 bench/peers/side_by_side.py --threads 1 --rules bp,fa,dfa

`--threads N` sets OPENBLAS_NUM_THREADS for CreditKit, torch.set_num_threads for PyTorch, and
XLA's intra-op thread count for JAX. MNIST must be findable by `credit` (../shared/data, --data).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# The flags of `credit bench` for each workload of pytorch_mlp.py / jax_mlp.py, in their order.
CREDIT_FLAGS = [
    ["--layers", "800,800", "--batch-size", "128", "--optimizer", "momentum", "--lr", "0.05"],
    ["--layers", "800,800", "--batch-size", "32", "--optimizer", "momentum", "--lr", "0.05"],
    ["--layers", "50,20", "--activation", "sigmoid", "--loss", "squared-error", "--output-activation", "sigmoid",
     "--optimizer", "sgd", "--lr", "0.05", "--batch-size", "32"],
]
NAMES = ["784-800-800-10 tanh, batch 128", "784-800-800-10 tanh, batch 32", "784-50-20-10 sigmoid MSE, batch 32"]


def rate(command, pattern, env):
    """The samples/s a command prints on the line matching `pattern`, or None if it failed."""
    try:
        out = subprocess.run(command, capture_output=True, text=True, env=env, timeout=1800)
    except (OSError, subprocess.TimeoutExpired):
        return None
    for line in (out.stdout + out.stderr).splitlines():
        if re.search(pattern, line):
            numbers = re.findall(r"([\d,]+) samples/s", line) or re.findall(r"^\S.*?\s+([\d,]+)\s+[\d.]+\s+[\d.]+$", line)
            if numbers:
                return float(numbers[0].replace(",", ""))
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--credit", default=os.path.join(HERE, "..", "..", ".build", "release", "credit"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--rules", default="bp")
    parser.add_argument("--data", default=None, help="a data root for credit (--data)")
    args = parser.parse_args()
    env = dict(os.environ)
    if args.threads:
        env["OPENBLAS_NUM_THREADS"] = str(args.threads)
        env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + f" --xla_cpu_multi_thread_eigen={'false' if args.threads == 1 else 'true'}"
                            + f" intra_op_parallelism_threads={args.threads}").strip()
    threads = ["--threads", str(args.threads)] if args.threads else []
    data = ["--data", args.data] if args.data else []
    rows = []
    for w, name in enumerate(NAMES):
        for rule in args.rules.split(","):
            credit, torch, jax = [], [], []
            for _ in range(args.rounds):
                credit.append(rate([args.credit, "bench", "--dataset", "mnist", "--rule", rule, "--steps", str(args.steps), "--repeats", "5"]
                                   + CREDIT_FLAGS[w] + data, r"^training step", env))
                if rule == "bp":
                    torch.append(rate([sys.executable, os.path.join(HERE, "pytorch_mlp.py"), "--workload", str(w), "--steps", str(args.steps),
                                       "--repeats", "5"] + threads, re.escape(name), env))
                jax.append(rate([sys.executable, os.path.join(HERE, "jax_mlp.py"), "--workload", str(w), "--rules", rule,
                                 "--steps", str(args.steps), "--repeats", "5"], re.escape(name + ", " + rule), env))
            med = lambda xs: statistics.median([x for x in xs if x]) if any(xs) else None
            rows.append((name, rule, med(credit), med(torch), med(jax)))
            print(f"  measured {name}, {rule}", file=sys.stderr, flush=True)
    show = lambda x: f"{x:,.0f}" if x else "—"
    ratio = lambda a, b: f"{a / b:.2f}×" if a and b else "—"
    print(f"{'workload':36s} {'rule':5s} {'CreditKit':>11s} {'PyTorch':>11s} {'JAX':>11s} {'vs PyTorch':>11s} {'vs JAX':>8s}   (samples/s, median of {args.rounds})")
    for name, rule, c, t, j in rows:
        print(f"{name:36s} {rule:5s} {show(c):>11s} {show(t):>11s} {show(j):>11s} {ratio(c, t):>11s} {ratio(c, j):>8s}")


if __name__ == "__main__":
    main()
