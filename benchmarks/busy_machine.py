"""LeNet-5 training steps on a busy machine: tinyconv and PyTorch, each without and with a
competing process, side by side.

The competition is Python processes spinning on a core each (``--spinners``, default 1; give
``os.cpu_count()`` for heavier load), started before a run and killed after it. Every run is a
fresh process; rounds alternate settings and quiet/busy, so a load that comes and goes on a
shared machine hits all alike. Each run trains the ``benchmarks/lenet_epoch.py`` LeNet-5 (Adam,
batch 64) on random MNIST-shaped batches for ``--steps`` steps after one warm-up step (or until
``--seconds`` pass: a collapsed run is cut short, not waited for) and reports ms per step, CPU
ms per step and the 1-minute load average at its end. Printed: the median per setting and load,
and the slowdown busy / quiet measured in the same rounds. Settings: tinyconv's defaults, the
alternatives given with ``--tinyconv-env`` (``NAME=VALUE[,NAME=VALUE...]``, environment of the
run) and PyTorch (``torch.set_num_threads(os.cpu_count())``, as lenet_epoch.py).

    python benchmarks/busy_machine.py
    python benchmarks/busy_machine.py --spinners 2 --repeats 5 \\
        --tinyconv-env NUMBA_NUM_THREADS=1 OMP_WAIT_POLICY=passive
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

from lenet_epoch import tinyconv_trainer, torch_trainer, torch_available

SPIN = "while True: pass"


def child(framework, steps, seconds, batch_size):
    rng = np.random.default_rng(0)
    images = rng.standard_normal((batch_size, 1, 28, 28), dtype=np.float32)
    labels = rng.integers(0, 10, batch_size).astype(np.int64)
    step = (tinyconv_trainer if framework == "tinyconv" else torch_trainer)()
    step(images, labels)
    cpu_start, start = _cpu_seconds(), time.perf_counter()
    done = 0
    while done < steps and time.perf_counter() - start < seconds:
        step(images, labels)
        done += 1
    wall, cpu = time.perf_counter() - start, _cpu_seconds() - cpu_start
    print(json.dumps(dict(ms=1e3 * wall / done, cpu_ms=1e3 * cpu / done, steps=done,
                          load=os.getloadavg()[0])))


def _cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(framework, env, spinners, args):
    procs = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(spinners)]
    try:
        cmd = [sys.executable, __file__, "--child", framework, "--steps", str(args.steps),
               "--seconds", str(args.seconds), "--batch-size", str(args.batch_size)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True,
                             env=dict(os.environ, **env)).stdout
    finally:
        for p in procs:
            p.kill()
            p.wait()
    return json.loads(out.strip().splitlines()[-1])


def parse_env(text):
    return dict(item.split("=", 1) for item in text.split(","))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=100, help="timed steps per run")
    p.add_argument("--seconds", type=float, default=20.0, help="a run stops after this long")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--repeats", type=int, default=3, help="rounds")
    p.add_argument("--spinners", type=int, default=1, help="competing spinning processes")
    p.add_argument("--tinyconv-env", nargs="*", default=[], metavar="NAME=VALUE[,...]",
                   help="further tinyconv settings to time, as environment variables")
    p.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    p.add_argument("--child", choices=["tinyconv", "torch"], help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        return child(args.child, args.steps, args.seconds, args.batch_size)
    settings = {"tinyconv (defaults)": ("tinyconv", {})}
    for text in args.tinyconv_env:
        settings[f"tinyconv {text}"] = ("tinyconv", parse_env(text))
    if not args.no_torch and torch_available():
        settings["torch"] = ("torch", {})
    loads = {"quiet": 0, "busy": args.spinners}
    runs = {(s, l): [] for s in settings for l in loads}
    for _ in range(args.repeats):
        for s, (framework, env) in settings.items():
            for l, spinners in loads.items():
                runs[s, l].append(run(framework, env, spinners, args))
    print(f"LeNet-5 step, batch {args.batch_size}, Adam; {os.cpu_count()} cores "
          f"(affinity {len(os.sched_getaffinity(0))}); busy = {args.spinners} spinning "
          f"process(es); median of {args.repeats} rounds; load = 1-min load average at run end")
    width = max(map(len, settings))
    print(f"{'setting':{width}s} {'quiet ms':>9s} {'cpu ms':>7s} {'load':>5s} {'busy ms':>9s} "
          f"{'cpu ms':>7s} {'load':>5s} {'slowdown':>8s}")
    for s in settings:
        row = [{k: statistics.median(r[k] for r in runs[s, l]) for k in ("ms", "cpu_ms", "load")}
               for l in loads]
        ratios = [b["ms"] / q["ms"] for q, b in zip(runs[s, "quiet"], runs[s, "busy"])]
        print(f"{s:{width}s} " + " ".join(f"{r['ms']:9.1f} {r['cpu_ms']:7.1f} {r['load']:5.1f}" for r in row)
              + f" {statistics.median(ratios):8.2f}")


if __name__ == "__main__":
    main()
