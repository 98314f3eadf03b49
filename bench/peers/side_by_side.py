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
    python3 bench/peers/side_by_side.py --blas openblas,mkl   # CreditKit on each library, interleaved

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
    parser.add_argument("--blas", default=None,
                        help="comma-separated CREDITKIT_BLAS values (openblas, mkl, a path): CreditKit runs on each, one column each")
    args = parser.parse_args()
    env = dict(os.environ)
    if args.threads:
        env["OPENBLAS_NUM_THREADS"] = str(args.threads)
        env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + f" --xla_cpu_multi_thread_eigen={'false' if args.threads == 1 else 'true'}"
                            + f" intra_op_parallelism_threads={args.threads}").strip()
    threads = ["--threads", str(args.threads)] if args.threads else []
    data = ["--data", args.data] if args.data else []
    backends = args.blas.split(",") if args.blas else [None]
    rows = []
    for w, name in enumerate(NAMES):
        for rule in args.rules.split(","):
            credit, torch, jax = [[] for _ in backends], [], []
            for _ in range(args.rounds):
                for b, backend in enumerate(backends):
                    credit_env = dict(env, CREDITKIT_BLAS=backend) if backend else env
                    credit[b].append(rate([args.credit, "bench", "--dataset", "mnist", "--rule", rule, "--steps", str(args.steps),
                                           "--repeats", "5"] + CREDIT_FLAGS[w] + data, r"^training step", credit_env))
                if rule == "bp":
                    torch.append(rate([sys.executable, os.path.join(HERE, "pytorch_mlp.py"), "--workload", str(w), "--steps", str(args.steps),
                                       "--repeats", "5"] + threads, re.escape(name), env))
                jax.append(rate([sys.executable, os.path.join(HERE, "jax_mlp.py"), "--workload", str(w), "--rules", rule,
                                 "--steps", str(args.steps), "--repeats", "5"], re.escape(name + ", " + rule), env))
            med = lambda xs: statistics.median([x for x in xs if x]) if any(xs) else None
            rows.append((name, rule, [med(c) for c in credit], med(torch), med(jax)))
            print(f"  measured {name}, {rule}", file=sys.stderr, flush=True)
    show = lambda x: f"{x:,.0f}" if x else "—"
    ratio = lambda a, b: f"{a / b:.2f}×" if a and b else "—"
    # "CreditKit", or one column per library: "CK openblas", "CK mkl_rt" (a path's file name without lib… .so…).
    short = lambda b: re.sub(r"^lib|\.so.*$", "", os.path.basename(b))
    labels = [f"CK {short(b)}" if b else "CreditKit" for b in backends]
    ratios = [("vs PyTorch", "vs JAX")] if len(backends) == 1 else [(f"{short(b)}/PT", f"{short(b)}/JAX") for b in backends]
    print(f"{'workload':36s} {'rule':5s} " + " ".join(f"{l:>12s}" for l in labels + ["PyTorch", "JAX"])
          + "".join(f" {t:>12s} {j:>12s}" for t, j in ratios) + f"   (samples/s, median of {args.rounds})")
    for name, rule, cs, t, j in rows:
        print(f"{name:36s} {rule:5s} " + " ".join(f"{show(x):>12s}" for x in cs + [t, j])
              + "".join(f" {ratio(c, t):>12s} {ratio(c, j):>12s}" for c in cs))


if __name__ == "__main__":
    main()
