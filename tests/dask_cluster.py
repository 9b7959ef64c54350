"""A real Dask cluster for the tests: `dask scheduler` and `dask worker` processes on 127.0.0.1, each in a
process group of its own so that a test can kill one outright."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class DaskCluster:
    """A scheduler and `workers` single-threaded workers; `tls` is (ca, cert, key) files for tls://."""

    def __init__(self, workers: int = 2, tls: tuple[Path, Path, Path] | None = None, log_dir: Path | None = None):
        self.port = free_port()
        self.tls = tls
        self.address = f"{'tls' if tls else 'tcp'}://127.0.0.1:{self.port}"
        self.log_dir = log_dir
        self.scheduler = self._start(
            "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(self.port), name="scheduler"
        )
        self.workers: list[subprocess.Popen] = []
        for _ in range(workers):
            self.add_worker()
        self.wait_for(workers)

    def _security(self) -> list[str]:
        if not self.tls:
            return []
        ca, cert, key = self.tls
        return ["--tls-ca-file", str(ca), "--tls-cert", str(cert), "--tls-key", str(key)]

    def _start(self, module: str, *args: str, name: str) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}-{time.monotonic_ns()}.log", "w") if self.log_dir else subprocess.DEVNULL  # noqa: SIM115
        command = [sys.executable, "-m", module, *args, "--no-dashboard", *self._security()]
        if module.endswith("dask_scheduler") and self.tls:
            command += ["--protocol", "tls"]
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def add_worker(self) -> subprocess.Popen:
        worker = self._start(
            "distributed.cli.dask_worker", self.address, "--nthreads", "1", "--host", "127.0.0.1", name="worker"
        )
        self.workers.append(worker)
        return worker

    def client(self):
        from distributed import Client
        from distributed.security import Security

        security = None
        if self.tls:
            ca, cert, key = self.tls
            security = Security(tls_ca_file=str(ca), tls_client_cert=str(cert), tls_client_key=str(key))
        return Client(self.address, timeout=30, security=security, set_as_default=False)

    def wait_for(self, count: int, timeout: float = 60.0) -> None:
        """Until `count` workers are connected to the scheduler."""
        deadline = time.monotonic() + timeout
        with self.client() as client:
            while len(client.scheduler_info()["workers"]) != count:
                if time.monotonic() > deadline:
                    pytest.fail(f"the Dask cluster did not reach {count} workers in {timeout} s")
                time.sleep(0.2)

    def kill_worker(self, worker: subprocess.Popen) -> None:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        self.workers.remove(worker)

    def environment(self) -> dict[str, str]:
        """What a `cs` process needs to talk to this cluster (Dask's TLS settings for its client)."""
        if not self.tls:
            return {}
        ca, cert, key = self.tls
        return {
            "DASK_DISTRIBUTED__COMM__TLS__CA_FILE": str(ca),
            "DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT": str(cert),
            "DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY": str(key),
        }

    def close(self) -> None:
        for process in [*self.workers, self.scheduler]:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A certificate authority and one certificate it signed for 127.0.0.1, used by every party."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def name(text: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("cs test CA"))
        .issuer_name(name("cs test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return paths
