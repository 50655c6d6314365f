"""Benchmark numcnn against PyTorch and Keras (those installed): training throughput and single-image latency;
or, with --profile, where numcnn's training step spends its time, layer by layer.

    python scripts/benchmark.py                                  # seed, keras-example and default nets, 3 rounds
    python scripts/benchmark.py --nets keras-example,default --rounds 5
    python scripts/benchmark.py --peers torch                    # leave Keras out
    python scripts/benchmark.py --threads 1                      # every library on one core
    python scripts/benchmark.py --profile --nets default         # per-layer times, FLOPs and GFLOP/s of numcnn

For each net (``numcnn.zoo``), it measures
- training throughput: images/s of a full step on a batch of 128 (forward, loss, backward, Adam update),
  median over ``--repeats`` timed runs after warm-up steps;
- inference latency: median time of one forward pass on one 28x28 image (``model.forward``; PyTorch under
  ``torch.no_grad()`` in eval mode; Keras through ``predict_on_batch``, its compiled graph: calling the model
  eagerly is several times slower);
for numcnn and the same architecture in PyTorch (in its default NCHW layout and in channels-last) and in Keras
(channels-last, Keras's layout, on TensorFlow with its default settings: no XLA, which is slower here).

Fairness: each library runs in its own process, one after the other, so neither one's idle threads can slow
another, and each gets the same number of threads (``--threads``; each process says how it set them). The
libraries take turns in ``--rounds`` rounds, the order reversed every other round, and numcnn's ratio to each
peer is computed per round, from measurements minutes apart: the table shows the median ratio and its range,
which shows how noisy the machine was. Throughput ratio above 1 and latency ratio below 1 mean numcnn is faster.

Then it prints the peak memory of numcnn's training process and the start-up time of a new process to its first
forward pass (the issue's targets: at most 500 MB and 2 s). PyTorch and Keras are optional comparisons, never
dependencies: a peer that is not installed is skipped with a note.

--profile times each layer's forward and backward pass, the loss and the optimizer step inside numcnn's training
step, counts each layer's floating-point operations (FLOPs) to give its GFLOP/s, and compares them with a plain
``np.matmul`` of the same size: how far numcnn is from what the matrix products alone could do on this machine.
"""
from __future__ import annotations

import argparse
import ctypes
import glob
import json
import os
import platform
import subprocess
import sys
import time
from functools import partial

import numpy as np

NETS = ("seed", "keras-example", "default")
PEERS = {"torch": ("torch-nchw", "torch-channels-last"), "keras": ("keras",)}  # --peers name -> its workers
INSTALL = {"torch": "pip install torch", "keras": "pip install tensorflow-cpu"}
BATCH = 128
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
MEMORY_TARGET_MB, STARTUP_TARGET_S = 500, 2.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    # all three nets of the Keras/PyTorch comparison: numcnn.zoo's other nets have no twin here
    parser.add_argument("--nets", default=",".join(NETS), help=f"comma-separated, from {', '.join(NETS)}")
    # every peer: one that is not installed is skipped, so the default never fails
    parser.add_argument("--peers", default=",".join(PEERS),
                        help=f"comma-separated, from {', '.join(PEERS)}; 'none' for numcnn alone")
    # three rounds give a median and a range of the ratios, in a few minutes
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every library in turn")
    # seven runs of ~0.3 s each: the median ignores a couple of runs slowed by other jobs
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per measurement (median)")
    # this machine has 2 cores: every library may use both
    parser.add_argument("--threads", type=int, default=2, help="threads for every library")
    # the batch: the one scripts/train.py uses
    parser.add_argument("--batch", type=int, default=BATCH, help="training batch size")
    parser.add_argument("--profile", action="store_true", help="profile numcnn's training step instead")
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # internal: run one measurement, print JSON
    parser.add_argument("--matmul-shape", help=argparse.SUPPRESS)  # internal: M,K,N for the matmul worker
    args = parser.parse_args()
    nets = [net.strip() for net in args.nets.split(",") if net.strip()]
    unknown = sorted(set(nets) - set(NETS))
    if unknown:
        parser.error(f"unknown net(s) {unknown}; choose from {', '.join(NETS)}")
    peers = [] if args.peers == "none" else [peer.strip() for peer in args.peers.split(",") if peer.strip()]
    if sorted(set(peers) - set(PEERS)):
        parser.error(f"unknown peer(s) {sorted(set(peers) - set(PEERS))}; choose from {', '.join(PEERS)} or none")
    if min(args.rounds, args.repeats, args.threads, args.batch) < 1:
        parser.error("--rounds, --repeats, --threads and --batch must be >= 1")
    if args.worker:
        print(json.dumps(run_worker(args.worker, nets, args)))
        return

    print(machine_description())
    if args.profile:
        profile(nets, args)
    else:
        compare(nets, [worker for peer in peers for worker in PEERS[peer]], args)


# --- the comparison: every library in its own process, in alternating rounds ---------------------------------


def compare(nets: list[str], peers: list[str], args: argparse.Namespace) -> None:
    libraries = ["numcnn", *peers]
    rounds: dict[str, list[dict]] = {library: [] for library in libraries}  # library -> its result in each round
    about: dict[str, str] = {}
    for round_index in range(args.rounds):
        # whoever goes first in one round goes last in the next: a slow spell of the machine hits everyone
        order = libraries if round_index % 2 == 0 else libraries[::-1]
        print(f"round {round_index + 1}/{args.rounds}:", end="", flush=True)
        notes = []
        for library in (library for library in order if library in rounds):
            print(f" {library}", end="", flush=True)
            result = measure_in_subprocess(library, nets, args)
            if "missing" in result:
                peer = next(name for name, workers in PEERS.items() if library in workers)
                notes.append(f"{library}: skipped, not installed ({result['missing']}); {INSTALL[peer]} to compare")
                del rounds[library]
                continue
            about[library] = result.pop("about")
            rounds[library].append(result)
        print("", *notes, sep="\n")
    print("threads: " + "\n         ".join(dict.fromkeys(about.values())))  # once for torch's two layouts
    print_table(nets, rounds)
    print_memory(nets, rounds["numcnn"], args.batch)
    print_startup()


def measure_in_subprocess(worker: str, nets: list[str], args: argparse.Namespace, extra: tuple[str, ...] = (),
                          env: dict | None = None) -> dict:
    command = [sys.executable, os.path.abspath(__file__), "--worker", worker, "--nets", ",".join(nets),
               "--repeats", str(args.repeats), "--threads", str(args.threads), "--batch", str(args.batch), *extra]
    result = subprocess.run(command, check=False, capture_output=True, text=True, env={**os.environ, **(env or {})})
    if result.returncode != 0:
        sys.exit(f"the {worker} measurement failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_worker(worker: str, nets: list[str], args: argparse.Namespace) -> dict:
    """One measurement, in this (sub)process; returns a JSON-ready dict, {"missing": why} for a missing library."""
    if worker == "matmul":
        return matmul_gflops(*map(int, args.matmul_shape.split(",")), args.threads, args.repeats)
    try:
        about = set_up(worker, args.threads)
    except ImportError as error:
        if worker in ("numcnn", "profile"):
            raise  # numcnn itself missing is a broken install, not a peer to skip
        return {"missing": str(error)}
    if worker == "profile":
        return {"about": about, **{net: profile_step(net, args) for net in nets}}
    if worker == "numcnn":
        measure = measure_numcnn
    elif worker == "keras":
        measure = measure_keras
    else:
        measure = partial(measure_torch, channels_last=worker == "torch-channels-last")
    return {"about": about, **{net: measure(net, args) for net in nets}, "max_rss_mb": max_rss_mb()}


def set_up(library: str, threads: int) -> str:
    """Import ``library`` and give it ``threads`` threads; returns how. ImportError when it is not installed."""
    if library in ("numcnn", "profile"):
        import numcnn
        from numcnn.kernels import parallel
        parallel.set_num_threads(threads)
        return (f"numcnn {numcnn.__version__}: parallel.set_num_threads({threads}), its one pool "
                f"(each matrix product on one OpenBLAS thread)")
    if library.startswith("torch"):
        import torch
        torch.set_num_threads(threads)
        torch.set_num_interop_threads(threads)
        return f"torch {torch.__version__}: torch.set_num_threads({threads}), torch.set_num_interop_threads({threads})"
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"  # TensorFlow's start-up notes would fill the terminal
    os.environ["KERAS_BACKEND"] = "tensorflow"  # Keras 3 can run on other backends: this compares TensorFlow's
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(threads)  # threads inside one operation
    tf.config.threading.set_inter_op_parallelism_threads(threads)  # operations run at the same time
    import keras
    return (f"keras {keras.__version__} on tensorflow {tf.__version__}: "
            f"tf.config.threading.set_intra/inter_op_parallelism_threads({threads})")


def measure_numcnn(net: str, args: argparse.Namespace) -> dict:
    model, train_step = numcnn_training(net, args.batch)
    one = fake_batch(1)[0]
    return {"train": args.batch / median_seconds(train_step, args.repeats),
            "latency": median_seconds(lambda: model.forward(one), args.repeats, calls=50),
            "numpy_peak_mb": numpy_peak_mb(lambda: numcnn_training(net, args.batch)[1])}


def numcnn_training(net: str, batch: int):
    """(model, train_step): a fresh ``numcnn.zoo`` model and a function that runs one training step on it."""
    import numcnn

    model = numcnn.zoo.build(net, seed=0)
    optimizer, loss = numcnn.Adam(model, lr=1e-3), numcnn.SoftmaxCrossEntropy()
    images, labels = fake_batch(batch)

    def train_step() -> None:
        loss.forward(model.forward(images, training=True), labels)
        model.backward(loss.backward(), need_input_grad=False)
        optimizer.step()

    return model, train_step


def numpy_peak_mb(make_train_step) -> float:
    """MB of NumPy arrays alive at the peak of a training step: weights, Adam's state, the batch, the activations
    each layer keeps for backward, and the gradients. ``make_train_step`` builds the model and returns its step.

    NumPy reports its arrays to ``tracemalloc``; tracing starts before the model is built, so everything counts.
    The second step is the one measured: the first starts with no activations kept from a previous step.
    """
    import tracemalloc

    tracemalloc.start()
    try:
        train_step = make_train_step()
        train_step()
        tracemalloc.reset_peak()
        train_step()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def measure_torch(net: str, args: argparse.Namespace, channels_last: bool = False) -> dict:
    import torch

    model = torch_model(net)
    optimizer, loss = torch.optim.Adam(model.parameters(), lr=1e-3), torch.nn.CrossEntropyLoss()
    images, labels = (torch.from_numpy(a) for a in fake_batch(args.batch))
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        images = images.contiguous(memory_format=torch.channels_last)

    def train_step() -> None:
        optimizer.zero_grad(set_to_none=True)
        loss(model(images), labels).backward()
        optimizer.step()

    train = args.batch / median_seconds(train_step, args.repeats)
    model.eval()
    one = images[:1]
    with torch.no_grad():
        latency = median_seconds(lambda: model(one), args.repeats, calls=50)
    return {"train": train, "latency": latency}


def torch_model(net: str):
    """The PyTorch twin of ``numcnn.zoo.build(net)``: same layers, same shapes (initialization irrelevant)."""
    from torch import nn

    class Normalize(nn.Module):
        def forward(self, x):
            return (x - MNIST_MEAN) * (1.0 / MNIST_STD)

    if net == "seed":
        layers = [Normalize(), nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(),
                  nn.Flatten(), nn.Linear(64 * 24 * 24, 10)]
    elif net == "keras-example":
        layers = [Normalize(), nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                  nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.5), nn.Linear(64 * 5 * 5, 10)]
    else:
        layers = [Normalize(), nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
                  nn.Conv2d(32, 64, 3), nn.ReLU(), nn.Conv2d(64, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                  nn.Flatten(), nn.Dropout(0.25), nn.Linear(64 * 4 * 4, 128), nn.ReLU(), nn.Dropout(0.5),
                  nn.Linear(128, 10)]
    return nn.Sequential(*layers)


def measure_keras(net: str, args: argparse.Namespace) -> dict:
    import keras

    model = keras_model(net)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    images, labels = fake_batch(args.batch)
    images = np.ascontiguousarray(images.transpose(0, 2, 3, 1))  # Keras is channels-last: (N, 28, 28, 1)
    train = args.batch / median_seconds(lambda: model.train_on_batch(images, labels), args.repeats)
    one = images[:1]
    latency = median_seconds(lambda: model.predict_on_batch(one), args.repeats, calls=50)
    return {"train": train, "latency": latency}


def keras_model(net: str):
    """The Keras twin of ``numcnn.zoo.build(net)`` for (N, 28, 28, 1) images: same layers, same shapes.

    The ReLUs ride on the convolutions (``activation="relu"``), as Keras users write it: the same arithmetic.
    """
    import keras
    from keras import layers

    def conv(filters: int):
        return layers.Conv2D(filters, 3, activation="relu")

    if net == "seed":
        body = [conv(32), conv(64), layers.Flatten(), layers.Dense(10)]
    elif net == "keras-example":
        body = [conv(32), layers.MaxPooling2D(2), conv(64), layers.MaxPooling2D(2), layers.Flatten(),
                layers.Dropout(0.5), layers.Dense(10)]
    else:
        body = [conv(32), conv(32), layers.MaxPooling2D(2), conv(64), conv(64), layers.MaxPooling2D(2),
                layers.Flatten(), layers.Dropout(0.25), layers.Dense(128, activation="relu"), layers.Dropout(0.5),
                layers.Dense(10)]
    normalize = layers.Rescaling(1 / MNIST_STD, offset=-MNIST_MEAN / MNIST_STD)  # x / std - mean / std
    return keras.Sequential([keras.Input((28, 28, 1)), normalize, *body])


def print_table(nets: list[str], rounds: dict[str, list[dict]]) -> None:
    header = (f"{'net':<14} {'library':<20} {'train img/s':>12} {'numcnn/it':>10} {'(range)':<13} "
              f"{'latency us':>11} {'numcnn/it':>10} (range)")
    print("\n" + header + "\n" + "-" * len(header))
    ours = rounds["numcnn"]
    for net in nets:
        for library, results in rounds.items():
            train = float(np.median([result[net]["train"] for result in results]))
            latency = float(np.median([result[net]["latency"] for result in results]))
            if library == "numcnn":
                print(f"{net:<14} {library:<20} {train:>12,.0f} {'':>10} {'':<13} {latency * 1e6:>11,.0f}")
                continue
            # each round's ratio from that round's two measurements: the machine's load changes between rounds
            train_ratios = [mine[net]["train"] / theirs[net]["train"] for mine, theirs in zip(ours, results)]
            latency_ratios = [mine[net]["latency"] / theirs[net]["latency"] for mine, theirs in zip(ours, results)]
            print(f"{'':<14} {library:<20} {train:>12,.0f} {ratio_columns(train_ratios)} "
                  f"{latency * 1e6:>11,.0f} {ratio_columns(latency_ratios)}".rstrip())
    if len(rounds) > 1:
        print(f"numcnn/it: numcnn's figure over the library's, median over {len(ours)} round(s) (range):\n"
              f"throughput above 1 and latency below 1 mean numcnn is faster.")


def ratio_columns(ratios: list[float]) -> str:
    spread = f"({min(ratios):.2f}-{max(ratios):.2f})" if len(ratios) > 1 else ""
    return f"{np.median(ratios):>9.2f}x {spread:<13}"


def print_memory(nets: list[str], numcnn_rounds: list[dict], batch: int) -> None:
    rss = max(result["max_rss_mb"] for result in numcnn_rounds)
    arrays = ", ".join(f"{net} {numcnn_rounds[0][net]['numpy_peak_mb']:.0f} MB" for net in nets)
    print(f"\nmemory of numcnn training at batch {batch} (target <= {MEMORY_TARGET_MB} MB):\n"
          f"  peak of the whole numcnn process (max RSS: Python, NumPy, Numba, every net in turn): {rss:.0f} MB\n"
          f"  NumPy arrays at a training step's peak (tracemalloc; weights, Adam state, batch, activations, "
          f"gradients):\n    {arrays}")


def print_startup() -> None:
    total, imports, first_forward = startup_seconds()
    print(f"\nstart-up, a new process to its first forward (warm Numba cache, median of 3): {total:.2f} s "
          f"(target <= {STARTUP_TARGET_S:.0f} s)\n"
          f"  import numpy + numcnn {imports:.2f} s, build + first forward {first_forward:.2f} s, "
          f"the rest is the Python interpreter starting and stopping")


# --- the profile: where numcnn's training step spends its time --------------------------------------------------


def profile(nets: list[str], args: argparse.Namespace) -> None:
    result = measure_in_subprocess("profile", nets, args)
    print(f"threads: {result['about']}")
    square = matmul_reference([1024, 1024, 1024], args)  # big enough for BLAS to reach its best on this machine
    print("this machine's ceiling, a float32 np.matmul (1024x1024) @ (1024x1024):\n  "
          + ", ".join(f"{speed:.0f} GFLOP/s on {how}" for how, speed in square.items()))
    for net in nets:
        shape = result[net]["largest_product"]
        print_profile(net, result[net], args, shape, matmul_reference(shape, args), max(square.values()))


def matmul_reference(shape: list[int], args: argparse.Namespace) -> dict[str, float]:
    """{how it ran: GFLOP/s} of a plain np.matmul of ``shape`` (M, K, N), on one and on ``--threads`` threads."""
    extra = ("--matmul-shape", ",".join(map(str, shape)))
    # a new process for each number of OpenBLAS threads: OpenBLAS reads it when it starts
    reference = measure_in_subprocess("matmul", [], args, extra, env={"OPENBLAS_NUM_THREADS": "1"})
    if args.threads > 1:
        reference |= measure_in_subprocess("matmul", [], args, extra, env={"OPENBLAS_NUM_THREADS": str(args.threads)})
    return reference


def profile_step(net: str, args: argparse.Namespace) -> dict:
    """Times of every layer's forward and backward, the loss and the optimizer step in numcnn's training step
    (medians over at least ``--repeats`` steps, ~2 s of them), with each layer's FLOPs; see ``print_profile``.

    It wraps the methods of this one model's objects with timers (instance attributes hide the class's
    methods), so the model runs its usual code: ``model.forward``, ``model.backward`` and ``optimizer.step``.
    """
    import numcnn

    model = numcnn.zoo.build(net, seed=0)
    optimizer, loss = numcnn.Adam(model, lr=1e-3), numcnn.SoftmaxCrossEntropy()
    images, labels = fake_batch(args.batch)
    outputs, x = [], images
    for layer in model.layers:  # the shapes, for the FLOP counts
        x = layer.forward(x, training=True)
        outputs.append(x.shape)
    first_trainable = next(i for i, layer in enumerate(model.layers) if layer.params)

    times: dict[str, list[float]] = {}  # "3 forward" -> seconds of each call
    for index, layer in enumerate(model.layers):
        layer.forward = timed(layer.forward, times.setdefault(f"{index} forward", []))
        layer.backward = timed(layer.backward, times.setdefault(f"{index} backward", []))
    loss.forward = timed(loss.forward, times.setdefault("loss forward", []))
    loss.backward = timed(loss.backward, times.setdefault("loss backward", []))
    optimizer.step = timed(optimizer.step, times.setdefault("optimizer step", []))

    def train_step() -> None:
        loss.forward(model.forward(images, training=True), labels)
        model.backward(loss.backward(), need_input_grad=False)
        optimizer.step()

    warm_up_start = time.perf_counter()
    for _ in range(3):  # warm-up: first calls allocate, start threads, fill caches
        train_step()
    seconds_per_step = (time.perf_counter() - warm_up_start) / 3
    for calls in times.values():
        calls.clear()
    # at least --repeats steps, and enough for ~2 s: other jobs slow a step now and then, the medians skip those
    steps, faults_before = [], page_faults()
    for _ in range(max(args.repeats, round(2.0 / seconds_per_step))):
        start = time.perf_counter()
        train_step()
        steps.append(time.perf_counter() - start)
    faults_per_step = (page_faults() - faults_before) / len(steps)

    def median(key: str) -> float:
        return float(np.median(times[key])) if times[key] else 0.0

    # what no timer saw, step by step (each timed method runs once a step): the loops and calls in between
    untimed = [step - sum(calls[i] for calls in times.values() if calls) for i, step in enumerate(steps)]

    layers, largest = [], (0, 0, 0)
    for index, (layer, shape) in enumerate(zip(model.layers, outputs)):
        forward_flops, product = matrix_product(layer, shape)
        backward_flops = forward_flops * (1 if index == first_trainable else 2)
        largest = max(largest, product, key=lambda mkn: mkn[0] * mkn[1] * mkn[2])
        layers.append({"name": f"{index:>2} {describe(layer)}", "shape": list(shape),
                       "forward": median(f"{index} forward"), "backward": median(f"{index} backward"),
                       "forward_flops": forward_flops, "backward_flops": backward_flops,
                       "first_trainable": index == first_trainable})
    return {"layers": layers, "loss": median("loss forward") + median("loss backward"),
            "optimizer": median("optimizer step"), "untimed": float(np.median(untimed)),
            "measured_step": float(np.median(steps)), "mean_step": float(np.mean(steps)), "steps": len(steps),
            "page_faults": faults_per_step, "largest_product": largest, "optimizer_name": type(optimizer).__name__}


def timed(method, calls: list[float]):
    """``method``, which also appends the seconds of each call to ``calls``."""
    def timed_method(*args, **kwargs):
        start = time.perf_counter()
        result = method(*args, **kwargs)
        calls.append(time.perf_counter() - start)
        return result
    return timed_method


def matrix_product(layer, output_shape: tuple[int, ...]) -> tuple[float, tuple[int, int, int]]:
    """(FLOPs of the layer's forward pass, (M, K, N) of the one matrix product doing the same arithmetic).

    Each output value of a Conv2D or Dense layer is a dot product of a row of weights with as many inputs
    (C_in*k*k for a convolution, in_features for a dense layer): one multiply and one add per weight, so
    conv = 2*N*C_out*H_out*W_out*C_in*k*k and dense = 2*N*in*out. As one product: (weights, one row per output
    channel) @ (inputs, one column per output position). Other layers do no matrix product: 0 and (0, 0, 0).
    """
    import numcnn

    if not isinstance(layer, (numcnn.Conv2D, numcnn.Dense)):
        return 0.0, (0, 0, 0)
    weight = layer.params["weight"]
    rows, inner = weight.shape[0], weight.size // weight.shape[0]
    columns = int(np.prod(output_shape)) // rows
    return 2.0 * rows * inner * columns, (rows, inner, columns)


def describe(layer) -> str:
    """A short name: "Conv2D 1->32 3x3", "Dense 1024->128", "ReLU"."""
    import numcnn

    if isinstance(layer, numcnn.Conv2D):
        out_channels, in_channels, kernel, _ = layer.params["weight"].shape
        return f"Conv2D {in_channels}->{out_channels} {kernel}x{kernel}"
    if isinstance(layer, numcnn.Dense):
        out_features, in_features = layer.params["weight"].shape
        return f"Dense {in_features}->{out_features}"
    return type(layer).__name__


def matmul_gflops(m: int, k: int, n: int, threads: int, repeats: int) -> dict[str, float]:
    """GFLOP/s of a plain float32 ``np.matmul`` of an (m, k) by a (k, n) matrix: {how it ran: GFLOP/s}.

    With one OpenBLAS thread (``OPENBLAS_NUM_THREADS=1``), it measures the product on one thread, and split
    into ``threads`` slices of columns, each on its own Python thread (numcnn's way of using the cores);
    with more, the product on OpenBLAS's own threads.
    """
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(0)
    a, b = rng.random((m, k), dtype=np.float32), rng.random((k, n), dtype=np.float32)
    out = np.empty((m, n), dtype=np.float32)
    flops = 2 * m * k * n
    blas_threads = int(os.environ.get("OPENBLAS_NUM_THREADS", "0"))
    if blas_threads > 1:
        return {f"{blas_threads} OpenBLAS threads": flops / median_seconds(lambda: np.matmul(a, b, out=out),
                                                                           repeats) / 1e9}
    speeds = {"1 thread": flops / median_seconds(lambda: np.matmul(a, b, out=out), repeats) / 1e9}
    if threads > 1:
        # one contiguous block of columns per thread: (m, k) @ (k, n / threads), written into its slice of out
        blocks = np.array_split(np.arange(n), threads)
        b_parts = [np.ascontiguousarray(b[:, block]) for block in blocks]
        out_parts = [np.empty((m, len(block)), dtype=np.float32) for block in blocks]
        with ThreadPoolExecutor(threads) as pool:
            def split_product() -> None:
                list(pool.map(lambda i: np.matmul(a, b_parts[i], out=out_parts[i]), range(threads)))
            speeds[f"{threads} threads, a slice of columns each"] = flops / median_seconds(split_product, repeats) / 1e9
    return speeds


def print_profile(net: str, result: dict, args: argparse.Namespace, shape: list[int],
                  reference: dict[str, float], ceiling: float) -> None:
    layers = result["layers"]
    others = {"loss (softmax + cross-entropy)": result["loss"],
              f"optimizer ({result['optimizer_name']}.step)": result["optimizer"],
              "Python between the calls": result["untimed"]}
    # every row is a median of its own: their sum is a typical step, and the shares add up to 100%
    step = sum(layer["forward"] + layer["backward"] for layer in layers) + sum(others.values())
    header = (f"{'#  layer':<22} {'output shape':<18} {'forward ms':>10} {'backward ms':>11} {'share':>6} "
              f"{'GFLOP':>7} {'fwd GFLOP/s':>11} {'bwd GFLOP/s':>11}")
    print(f"\nnumcnn training step, net {net}, batch {args.batch}, {args.threads} thread(s), "
          f"medians of {result['steps']} steps\n{header}\n{'-' * len(header)}")
    for layer in layers:
        flops = layer["forward_flops"] + layer["backward_flops"]
        name = layer["name"] + (" *" if layer["first_trainable"] else "")
        backward = f"{layer['backward'] * 1e3:>11.2f}" if layer["backward"] else f"{'-':>11}"
        speeds = (f"{flops / 1e9:>7.3f} {gflops(layer['forward_flops'], layer['forward']):>11} "
                  f"{gflops(layer['backward_flops'], layer['backward']):>11}" if flops else "")
        print(f"{name:<22} {tuple(layer['shape'])!s:<18} {layer['forward'] * 1e3:>10.2f} {backward} "
              f"{(layer['forward'] + layer['backward']) / step:>6.1%} {speeds}".rstrip())
    for name, seconds in others.items():
        print(f"{name:<41} {seconds * 1e3:>10.2f} {'':>11} {seconds / step:>6.1%}")
    total_flops = sum(layer["forward_flops"] + layer["backward_flops"] for layer in layers)
    print(f"{'whole step (sum of the rows)':<41} {step * 1e3:>10.2f} {'':>11} {1:>6.0%} {total_flops / 1e9:>7.3f} "
          f"{gflops(total_flops, step):>11} (overall)")
    print(f"* the first layer with weights computes no input gradient: its backward is only the weight gradient\n"
          f"  (FLOPs: forward as counted above; backward = 2 x forward, input and weight gradients, 1 x for *)\n"
          f"measured step, timers included: median {result['measured_step'] * 1e3:.2f} ms, "
          f"mean {result['mean_step'] * 1e3:.2f} ms (slow steps included);\n  "
          f"{result['page_faults']:.0f} page faults per step (memory the system maps anew and zero-fills)")

    products = sum(layer["forward"] + layer["backward"] for layer in layers if layer["forward_flops"])
    print(f"matrix products: the Conv2D and Dense layers take {products * 1e3:.1f} ms ({products / step:.0%} of the "
          f"step) at {gflops(total_flops, products)} GFLOP/s;\n"
          f"  everything else {(step - products) * 1e3:.1f} ms ({1 - products / step:.0%})")
    m, k, n = shape
    print(f"reference: a plain float32 np.matmul ({m}x{k}) @ ({k}x{n}), this net's largest product as one call:\n  "
          + ", ".join(f"{speed:.0f} GFLOP/s on {how}" for how, speed in reference.items()))
    best = max(reference.values())
    print(f"  the step's {total_flops / 1e9:.2f} GFLOP would take {total_flops / best / 1e6:.1f} ms at {best:.0f} "
          f"GFLOP/s, {total_flops / ceiling / 1e6:.1f} ms at the ceiling's {ceiling:.0f} GFLOP/s;\n"
          f"  the Conv2D and Dense layers take {products * 1e3:.1f} ms: they also unroll images into columns and back "
          f"(im2col, col2im),\n  copy, run smaller products and wait for threads")


def gflops(flops: float, seconds: float) -> str:
    """GFLOP/s, with two decimals below 1 (tiny test batches), one above; "-" where nothing was measured."""
    if not (flops and seconds):
        return "-"
    speed = flops / seconds / 1e9
    return f"{speed:.2f}" if speed < 1 else f"{speed:.1f}"


# --- shared helpers --------------------------------------------------------------------------------------------


def fake_batch(batch: int = BATCH) -> tuple[np.ndarray, np.ndarray]:
    """A batch of MNIST-like inputs: (batch, 1, 28, 28) float32 in [0, 1] and (batch,) int64 labels."""
    rng = np.random.default_rng(0)
    return rng.random((batch, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, batch)


def median_seconds(action, repeats: int, calls: int | None = None) -> float:
    """Median seconds per call of ``action`` over ``repeats`` timed runs of ``calls`` calls each, after
    warm-up calls (compilation, caches, thread start). ``calls`` defaults to enough for ~0.3 s per run."""
    start = time.perf_counter()
    for _ in range(3):
        action()
    if calls is None:
        calls = max(1, round(0.3 / ((time.perf_counter() - start) / 3)))
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            action()
        runs.append((time.perf_counter() - start) / calls)
    return float(np.median(runs))


STARTUP_CODE = """\
import time
start = time.perf_counter()
import numpy as np, numcnn
imported = time.perf_counter()
numcnn.zoo.build("keras-example").forward(np.zeros((1, 1, 28, 28), np.float32))
print(imported - start, time.perf_counter() - imported)
"""


def startup_seconds() -> tuple[float, float, float]:
    """(wall time of a new Python process that imports numcnn and runs one forward pass, of which the imports,
    of which building the model and its first forward), medians of 3 runs."""
    subprocess.run([sys.executable, "-c", STARTUP_CODE], check=True, capture_output=True)  # warms the cache
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        output = subprocess.run([sys.executable, "-c", STARTUP_CODE], check=True, capture_output=True, text=True)
        runs.append((time.perf_counter() - start, *map(float, output.stdout.split())))
    total, imports, first_forward = np.median(np.array(runs), axis=0)
    return float(total), float(imports), float(first_forward)


def page_faults() -> int:
    """Minor page faults of this process so far (pages mapped anew on their first touch)."""
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def max_rss_mb() -> float:
    import resource
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / 2**20  # KiB on Linux, bytes on macOS


def machine_description() -> str:
    import numba
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    busy = ": other jobs share the CPUs, expect noisy numbers" if load >= 0.5 else ""
    return (f"machine: {cpu_name()}, {os.cpu_count()} CPUs | python {platform.python_version()}, "
            f"numpy {np.__version__}, numba {numba.__version__}\n"
            f"NumPy's OpenBLAS runs its kernels for {openblas_core()}\n"
            f"load average over the last minute: {load:.1f}{busy}")


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            return next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def openblas_core() -> str:
    """The CPU type whose kernels the OpenBLAS inside NumPy runs, e.g. "SkylakeX" (AVX-512) or "Haswell" (AVX2).

    OpenBLAS picks it from the CPU unless ``OPENBLAS_CORETYPE`` forces one; it changes matmul speed a lot.
    """
    numpy_dir = os.path.dirname(np.__file__)
    for path in glob.glob(os.path.join(numpy_dir, os.pardir, "numpy.libs", "*openblas*")):
        library = ctypes.CDLL(path)
        for name in ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename", "openblas_get_corename"):
            if hasattr(library, name):
                get_corename = getattr(library, name)
                get_corename.restype = ctypes.c_char_p
                forced = " (forced by OPENBLAS_CORETYPE)" if os.environ.get("OPENBLAS_CORETYPE") else ""
                return get_corename().decode() + forced
    return "unknown"


if __name__ == "__main__":
    main()
