"""Runs a test function on several gloo processes on loopback, as torchrun would.

``launch(world, "tests.distributed.test_halo:worker", out, **kwargs)`` starts
``world`` Python processes with torchrun's environment (RANK, WORLD_SIZE, LOCAL_RANK,
MASTER_ADDR=127.0.0.1, a free MASTER_PORT); each starts the gloo group, calls
``worker(out, **kwargs)`` and writes what it returns (JSON) to ``out/result{rank}.json``.
A rank that fails stops the launch at once (the others are killed, its log is in the
failure message); so does a launch that runs past ``timeout`` seconds.
"""
from __future__ import annotations

import importlib
import json
import os
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rank_env(rank: int, world: int, port: int) -> dict:
    env = dict(os.environ, RANK=str(rank), WORLD_SIZE=str(world), LOCAL_RANK=str(rank), LOCAL_WORLD_SIZE=str(world),
               GROUP_RANK="0", MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), OMP_NUM_THREADS="1")
    env["PYTHONPATH"] = ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def launch(world: int, target: str, out: str, timeout: float = 150.0, **kwargs) -> list:
    import pytest

    port = free_port()
    with open(os.path.join(out, "kwargs.json"), "w") as f:
        json.dump(kwargs, f)
    procs, logs = [], []
    for rank in range(world):
        logs.append(open(os.path.join(out, f"log{rank}.txt"), "w+b"))
        procs.append(subprocess.Popen([sys.executable, "-m", "tests.distributed.launch", target, out], cwd=ROOT,
                                      env=rank_env(rank, world, port), stdout=logs[-1], stderr=subprocess.STDOUT))
    deadline = time.monotonic() + timeout
    failed = None
    try:
        while any(p.poll() is None for p in procs) and failed is None:
            failed = next((r for r, p in enumerate(procs) if p.returncode not in (None, 0)), None)
            if time.monotonic() > deadline:
                pytest.fail(f"the {world}-process launch of {target} ran past {timeout} s (a collective hung)")
            time.sleep(0.05)
        if failed is not None:
            time.sleep(0.5)  # let the other ranks notice and report too
        bad = [r for r, p in enumerate(procs) if p.poll() not in (None, 0)]
        if bad:
            text = []
            for r in bad:
                logs[r].seek(0)
                text.append(f"--- rank {r} (exit {procs[r].returncode}):\n"
                            f"{logs[r].read().decode(errors='replace')[-3000:]}")
            pytest.fail(f"ranks {bad} of {target} failed:\n" + "\n".join(text))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        for f in logs:
            f.close()
    results = []
    for r in range(world):
        with open(os.path.join(out, f"result{r}.json")) as f:
            results.append(json.load(f))
    return results


def _main(target: str, out: str) -> None:
    import datetime

    import torch
    import torch.distributed as dist

    torch.set_num_threads(1)
    dist.init_process_group("gloo", timeout=datetime.timedelta(seconds=90))
    module, name = target.split(":")
    with open(os.path.join(out, "kwargs.json")) as f:
        kwargs = json.load(f)
    result = getattr(importlib.import_module(module), name)(out, **kwargs)
    rank = dist.get_rank()
    dist.barrier()
    dist.destroy_process_group()
    with open(os.path.join(out, f"result{rank}.json"), "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    _main(sys.argv[1], sys.argv[2])
