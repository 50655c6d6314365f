"""Benchmark numcnn against PyTorch (when installed): training throughput and single-image latency.

    python scripts/benchmark.py                                  # seed, keras-example and default nets
    python scripts/benchmark.py --nets keras-example --repeats 9
    python scripts/benchmark.py --threads 1                      # both libraries on one core

For each net (``numcnn.zoo``), it measures
- training throughput: images/s of a full step on a batch of 128 (forward, loss, backward, Adam update),
  median over ``--repeats`` timed runs after warm-up steps;
- inference latency: median time of one forward pass on one 28x28 image (``model.forward``; PyTorch under
  ``torch.no_grad()`` in eval mode);
and the same for the same architecture in PyTorch, in its default NCHW layout and in channels-last, with
the same number of threads. Each library runs in its own subprocess, one after the other, so neither one's
idle threads can slow the other. It prints one table with the ratios numcnn / PyTorch (throughput:
higher is better for numcnn; latency: lower is better), then the start-up time of a new process (import
numcnn + first forward, kernels already compiled) and the peak memory of numcnn's training process.
PyTorch is only an optional comparison: without it the table has numcnn's columns alone.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time

import numpy as np

NETS = ("seed", "keras-example", "default")
BATCH = 128
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nets", default=",".join(NETS), help=f"comma-separated, from {', '.join(NETS)}")
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per measurement (median)")
    parser.add_argument("--threads", type=int, default=2, help="threads for both libraries")
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # internal: run one measurement, print JSON
    args = parser.parse_args()
    nets = [net.strip() for net in args.nets.split(",") if net.strip()]
    unknown = sorted(set(nets) - set(NETS))
    if unknown:
        parser.error(f"unknown net(s) {unknown}; choose from {', '.join(NETS)}")
    if args.repeats < 1 or args.threads < 1:
        parser.error("--repeats and --threads must be >= 1")
    if args.worker:
        print(json.dumps(run_worker(args.worker, nets, args.repeats, args.threads)))
        return

    print(machine_description(args.threads))
    results = {"numcnn": measure_in_subprocess("numcnn", nets, args)}
    if torch_version():
        for layout in ("torch-nchw", "torch-channels-last"):
            results[layout] = measure_in_subprocess(layout, nets, args)
    print_table(nets, results)
    print(f"\nnew process, import numcnn + first forward (warm kernel cache): {startup_seconds():.2f} s")
    print(f"peak memory (max RSS) of the numcnn process: {results['numcnn']['max_rss_mb']:.0f} MB")


def measure_in_subprocess(worker: str, nets: list[str], args: argparse.Namespace) -> dict:
    command = [sys.executable, os.path.abspath(__file__), "--worker", worker, "--nets", ",".join(nets),
               "--repeats", str(args.repeats), "--threads", str(args.threads)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def run_worker(worker: str, nets: list[str], repeats: int, threads: int) -> dict:
    """Measure every net with one library; returns {net: {"train": img/s, "latency": s}, "max_rss_mb": MB}."""
    measure = measure_numcnn if worker == "numcnn" else measure_torch
    results = {net: measure(net, repeats, threads, channels_last=worker == "torch-channels-last") for net in nets}
    results["max_rss_mb"] = max_rss_mb()
    return results


def measure_numcnn(net: str, repeats: int, threads: int, channels_last: bool = False) -> dict:
    import numcnn
    from numcnn.kernels import parallel

    parallel.set_num_threads(threads)
    model = numcnn.zoo.build(net)
    optimizer, loss = numcnn.Adam(model, lr=1e-3), numcnn.SoftmaxCrossEntropy()
    images, labels = fake_batch()

    def train_step() -> None:
        loss.forward(model.forward(images, training=True), labels)
        model.backward(loss.backward(), need_input_grad=False)
        optimizer.step()

    one = images[:1]
    return {"train": BATCH / median_seconds(train_step, repeats),
            "latency": median_seconds(lambda: model.forward(one), repeats, calls=50)}


def measure_torch(net: str, repeats: int, threads: int, channels_last: bool = False) -> dict:
    import torch

    torch.set_num_threads(threads)
    model = torch_model(net)
    optimizer, loss = torch.optim.Adam(model.parameters(), lr=1e-3), torch.nn.CrossEntropyLoss()
    images, labels = (torch.from_numpy(a) for a in fake_batch())
    if channels_last:
        model, images = model.to(memory_format=torch.channels_last), images.contiguous(
            memory_format=torch.channels_last)

    def train_step() -> None:
        optimizer.zero_grad(set_to_none=True)
        loss(model(images), labels).backward()
        optimizer.step()

    train = BATCH / median_seconds(train_step, repeats)
    model.eval()
    one = images[:1]
    with torch.no_grad():
        latency = median_seconds(lambda: model(one), repeats, calls=50)
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


def fake_batch() -> tuple[np.ndarray, np.ndarray]:
    """A batch of MNIST-like inputs: (128, 1, 28, 28) float32 in [0, 1] and (128,) int64 labels."""
    rng = np.random.default_rng(0)
    return rng.random((BATCH, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, BATCH)


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


def startup_seconds() -> float:
    """Wall time of a new Python process that imports numcnn and runs one forward pass (median of 3)."""
    code = ("import numpy as np, numcnn; "
            "numcnn.zoo.build('keras-example').predict_proba(np.zeros((1, 1, 28, 28), np.float32))")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)  # makes sure the cache is warm
    times = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def max_rss_mb() -> float:
    import resource
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / 2**20  # KiB on Linux, bytes on macOS


def torch_version() -> str | None:
    try:
        import torch
    except ImportError:
        return None
    return torch.__version__


def machine_description(threads: int) -> str:
    import numba
    return (f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, {threads} threads "
            f"used | python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}, "
            f"torch {torch_version() or 'not installed'}")


def print_table(nets: list[str], results: dict[str, dict]) -> None:
    header = f"{'net':<14} {'library':<22} {'train img/s':>12} {'vs torch':>9} {'latency us':>11} {'vs torch':>9}"
    print("\n" + header + "\n" + "-" * len(header))
    for net in nets:
        ours = results["numcnn"][net]
        for library, numbers in results.items():
            train, latency = numbers[net]["train"], numbers[net]["latency"]
            if library == "numcnn":
                print(f"{net:<14} {'numcnn':<22} {train:>12,.0f} {'':>9} {latency * 1e6:>11,.0f} {'':>9}")
            else:
                print(f"{'':<14} {library:<22} {train:>12,.0f} {ours['train'] / train:>8.2f}x "
                      f"{latency * 1e6:>11,.0f} {ours['latency'] / latency:>8.2f}x")
    if len(results) > 1:
        print("vs torch = numcnn / PyTorch: throughput above 1 and latency below 1 mean numcnn is faster.")


if __name__ == "__main__":
    main()
