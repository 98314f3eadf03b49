#!/usr/bin/env python3
"""The workloads of `credit bench`, in PyTorch, for side-by-side runs on one machine.

Trains the identical networks with the identical step (forward, softmax cross-entropy or squared
error, backward, SGD with momentum) on random batches of MNIST's shape, and prints samples/s as
the median over repeats, like `credit bench`:

    python3 bench/peers/pytorch_mlp.py                 # all three workloads of the foundation issue
    python3 bench/peers/pytorch_mlp.py --threads 2

Compare with, in one session:

    .build/release/credit bench --dataset mnist --layers 800,800 --batch-size 128
    .build/release/credit bench --dataset mnist --layers 800,800 --batch-size 32
    .build/release/credit bench --dataset mnist --layers 50,20 --activation sigmoid \
        --loss squared-error --output-activation sigmoid --optimizer sgd --batch-size 32

Needs `pip install torch` (the CPU wheel: --index-url https://download.pytorch.org/whl/cpu).
"""
import argparse
import statistics
import time

import torch
import torch.nn as nn

WORKLOADS = [
    # name, widths, hidden activation, loss, output activation, batch, optimizer
    ("784-800-800-10 tanh, batch 128", [784, 800, 800, 10], nn.Tanh, "ce", None, 128, "momentum"),
    ("784-800-800-10 tanh, batch 32", [784, 800, 800, 10], nn.Tanh, "ce", None, 32, "momentum"),
    ("784-50-20-10 sigmoid MSE, batch 32", [784, 50, 20, 10], nn.Sigmoid, "mse", nn.Sigmoid, 32, "sgd"),
]


def build(widths, hidden, output):
    layers = []
    for i in range(len(widths) - 1):
        layers.append(nn.Linear(widths[i], widths[i + 1]))
        if i < len(widths) - 2:
            layers.append(hidden())
        elif output is not None:
            layers.append(output())
    return nn.Sequential(*layers)


def run(name, widths, hidden, loss_kind, output, batch, optimizer, steps, repeats):
    torch.manual_seed(1)
    model = build(widths, hidden, output)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9 if optimizer == "momentum" else 0.0)
    x = torch.rand(batch * 8, widths[0])
    labels = torch.randint(0, widths[-1], (batch * 8,))
    targets = nn.functional.one_hot(labels, widths[-1]).float()
    ce, mse = nn.CrossEntropyLoss(), nn.MSELoss(reduction="sum")

    def step(s):
        lo = (s % 8) * batch
        xb = x[lo:lo + batch]
        opt.zero_grad(set_to_none=True)
        out = model(xb)
        if loss_kind == "ce":
            loss = ce(out, labels[lo:lo + batch])
        else:
            loss = 0.5 * mse(out, targets[lo:lo + batch]) / batch
        loss.backward()
        opt.step()

    for s in range(max(steps // 5, 3)):
        step(s)
    rates = []
    for r in range(repeats):
        start = time.perf_counter()
        for s in range(steps):
            step(s)
        rates.append(batch * steps / (time.perf_counter() - start))
    print(f"{name:40s} {statistics.median(rates):12,.0f} samples/s")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--workload", type=int, default=None, help="only this workload (0, 1, 2)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads")
    for workload in WORKLOADS if args.workload is None else [WORKLOADS[args.workload]]:
        run(*workload, steps=args.steps, repeats=args.repeats)


if __name__ == "__main__":
    main()
