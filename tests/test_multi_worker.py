"""MultiWorkerMirroredStrategy: two local worker processes train together over loopback."""

import json
import os
import socket
import subprocess
import sys


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def test_two_workers_train_one_run(shared_data, tmp_path):
    workers = [f"127.0.0.1:{port}" for port in _free_ports(2)]
    run = tmp_path / "run"
    args = [
        sys.executable,
        "-m",
        "kcolor.cli.main",
        "train",
        "--strategy",
        "multi-worker",
        "--data",
        str(shared_data / "set14"),
        "--image-size",
        "32",
        "--batch-size",
        "4",
        "--epochs",
        "2",
        "--steps-per-epoch",
        "2",
        "--run-dir",
        str(run),
        "--seed",
        "0",
        "--set",
        "model.filters=[4,8]",
        "--set",
        "model.norm=instance",
    ]
    procs = []
    for index in range(2):
        env = dict(
            os.environ,
            TF_CONFIG=json.dumps(
                {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
            ),
        )
        procs.append(
            subprocess.Popen(
                args,
                env=env,
                cwd=tmp_path,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    try:
        outputs = [proc.communicate(timeout=300)[0] for proc in procs]
    finally:
        for proc in procs:  # a worker whose peer died waits forever: never leave it behind
            proc.kill()
    for proc, output in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, output[-3000:]
    assert (run / "generator.keras").is_file()  # the chief owns the run folder
    assert (run / ".workers" / "worker-1").is_dir()  # worker 1 writes beside it, not over it
    with open(run / "history.csv") as handle:
        assert len(handle.read().strip().splitlines()) == 3  # header + 2 epochs
