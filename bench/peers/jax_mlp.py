#!/usr/bin/env python3
"""The workloads of `credit bench`, in JAX (jax.jit on XLA's CPU backend), for side-by-side runs.

The same networks and step as bench/peers/pytorch_mlp.py and `credit bench`: forward, softmax
cross-entropy or squared error, the rule's backward pass, SGD (with momentum 0.9 where the
workload says so), on batches of MNIST's shape drawn once from a fixed seed and cycled in order.
Backprop differentiates with jax.grad; FA and DFA are explicit backward passes with fixed random
feedback matrices, B drawn like CreditKit's default (Xavier-uniform). The whole step, update
included, is one jit-compiled function; samples/s is the median over repeats (after warm-up and
compilation), like `credit bench`:

    python3 bench/peers/jax_mlp.py                      # every workload with backprop
    python3 bench/peers/jax_mlp.py --rules bp,fa,dfa --workload 0
    XLA_FLAGS=--xla_cpu_multi_thread_eigen=false python3 bench/peers/jax_mlp.py   # one thread

Needs `pip install "jax[cpu]"`.
"""
import argparse
import statistics
import time

import jax
import jax.numpy as jnp

WORKLOADS = [
    # name, widths, hidden activation, loss, output activation, batch, optimizer
    ("784-800-800-10 tanh, batch 128", [784, 800, 800, 10], "tanh", "ce", None, 128, "momentum"),
    ("784-800-800-10 tanh, batch 32", [784, 800, 800, 10], "tanh", "ce", None, 32, "momentum"),
    ("784-50-20-10 sigmoid MSE, batch 32", [784, 50, 20, 10], "sigmoid", "mse", "sigmoid", 32, "sgd"),
]

ACTIVATIONS = {"tanh": (jnp.tanh, lambda h: 1 - h * h), "sigmoid": (jax.nn.sigmoid, lambda h: h * (1 - h))}


def xavier(key, rows, columns):
    limit = (6.0 / (rows + columns)) ** 0.5
    return jax.random.uniform(key, (rows, columns), jnp.float32, -limit, limit)


def init(key, widths):
    keys = jax.random.split(key, 2 * len(widths))
    weights = [xavier(keys[i], widths[i + 1], widths[i]) for i in range(len(widths) - 1)]
    biases = [jnp.zeros((widths[i + 1],), jnp.float32) for i in range(len(widths) - 1)]
    # FA: B_l stands where W_l^T would, shaped like W_l; DFA: D_l sends the output error to layer l.
    feedback = [xavier(keys[len(widths) + i], widths[i + 1], widths[i]) for i in range(len(widths) - 1)]
    direct = [xavier(keys[len(widths) + i], widths[-1], widths[i + 1]) for i in range(len(widths) - 2)]
    return weights, biases, feedback, direct


def forward(weights, biases, x, hidden, output):
    f = ACTIVATIONS[hidden][0]
    activities = [x]
    for i, (w, b) in enumerate(zip(weights, biases)):
        a = activities[-1] @ w.T + b
        last = i == len(weights) - 1
        activities.append(a if last and output is None else ACTIVATIONS[output][0](a) if last else f(a))
    return activities


def output_error(out, target, loss, output):
    """dL/da at the output, per example (not divided by the batch)."""
    if loss == "ce":
        return jax.nn.softmax(out) - target
    e = out - target
    return e * ACTIVATIONS[output][1](out) if output else e


def make_step(rule, hidden, loss, output, momentum, lr=0.05):
    derivative = ACTIVATIONS[hidden][1]

    def loss_of(params, x, target):
        weights, biases = params
        out = forward(weights, biases, x, hidden, output)[-1]
        if loss == "ce":
            return -jnp.sum(target * jax.nn.log_softmax(out)) / x.shape[0]
        return 0.5 * jnp.sum((out - target) ** 2) / x.shape[0]

    def gradients(params, fixed, x, target):
        if rule == "bp":
            return jax.grad(loss_of)(params, x, target)
        weights, biases = params
        feedback, direct = fixed
        hs = forward(weights, biases, x, hidden, output)
        e = output_error(hs[-1], target, loss, output) / x.shape[0]
        credits = [None] * len(weights)
        credits[-1] = e
        for l in range(len(weights) - 2, -1, -1):
            carried = credits[l + 1] @ feedback[l + 1] if rule == "fa" else e @ direct[l]
            credits[l] = carried * derivative(hs[l + 1])
        return ([c.T @ h for c, h in zip(credits, hs[:-1])], [c.sum(0) for c in credits])

    @jax.jit
    def step(params, velocity, fixed, x, target):
        grads = gradients(params, fixed, x, target)
        velocity = jax.tree_util.tree_map(lambda v, g: momentum * v + g, velocity, grads)
        params = jax.tree_util.tree_map(lambda p, v: p - lr * v, params, velocity)
        return params, velocity

    return step


def run(name, widths, hidden, loss, output, batch, optimizer, rule, steps, repeats):
    key = jax.random.PRNGKey(1)
    weights, biases, feedback, direct = init(key, widths)
    params, fixed = (weights, biases), (feedback, direct)
    velocity = jax.tree_util.tree_map(jnp.zeros_like, params)
    data_key, label_key = jax.random.split(jax.random.PRNGKey(2))
    x = jax.random.uniform(data_key, (batch * 8, widths[0]), jnp.float32)
    labels = jax.random.randint(label_key, (batch * 8,), 0, widths[-1])
    targets = jax.nn.one_hot(labels, widths[-1], dtype=jnp.float32)
    batches = [(x[i * batch:(i + 1) * batch], targets[i * batch:(i + 1) * batch]) for i in range(8)]
    step = make_step(rule, hidden, loss, output, 0.9 if optimizer == "momentum" else 0.0)
    for s in range(max(steps // 5, 3)):  # compilation and warm-up
        params, velocity = step(params, velocity, fixed, *batches[s % 8])
    jax.block_until_ready(params)
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        for s in range(steps):
            params, velocity = step(params, velocity, fixed, *batches[s % 8])
        jax.block_until_ready(params)
        rates.append(batch * steps / (time.perf_counter() - start))
    print(f"{name + ', ' + rule:44s} {statistics.median(rates):12,.0f} samples/s", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--rules", default="bp", help="comma-separated: bp, fa, dfa")
    parser.add_argument("--workload", type=int, default=None, help="only this workload (0, 1, 2)")
    args = parser.parse_args()
    print(f"JAX {jax.__version__}, backend {jax.default_backend()}, devices {jax.devices()}")
    chosen = WORKLOADS if args.workload is None else [WORKLOADS[args.workload]]
    for workload in chosen:
        for rule in args.rules.split(","):
            run(*workload, rule=rule, steps=args.steps, repeats=args.repeats)


if __name__ == "__main__":
    main()
