"""A real Prometheus for tests: Debian's `prometheus` binary on 127.0.0.1, fed by remote write.

Remote write is protobuf (prometheus prompb/types.proto: WriteRequest{1: TimeSeries}, TimeSeries{1: Label,
2: Sample, 3: Exemplar}, Label{1 name, 2 value}, Sample{1 double value, 2 int64 ts}, Exemplar{1 Label,
2 double value, 3 int64 ts}) compressed with snappy's block format, written here with protobuf's wire
rules rather than generated code.
"""

from __future__ import annotations

import json
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Series:
    labels: dict[str, str]
    samples: list[tuple[int, float]] = field(default_factory=list)  # (ms, value), in time order
    exemplars: list[tuple[dict[str, str], float, int]] = field(default_factory=list)  # (labels, value, ms)


# ---- protobuf wire format -------------------------------------------------------------------

def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1  # int64 two's complement, as protobuf writes negative numbers
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _bytes(field_no: int, payload: bytes) -> bytes:
    return _varint(field_no << 3 | 2) + _varint(len(payload)) + payload


def _double(field_no: int, value: float) -> bytes:
    return _varint(field_no << 3 | 1) + struct.pack("<d", value)


def _int64(field_no: int, value: int) -> bytes:
    return _varint(field_no << 3 | 0) + _varint(value)


def _labels(field_no: int, labels: dict[str, str]) -> bytes:
    # Prometheus requires the labels of a series sorted by name.
    return b"".join(_bytes(field_no, _bytes(1, k.encode()) + _bytes(2, v.encode()))
                    for k, v in sorted(labels.items()) if v != "")


def write_request(series: list[Series]) -> bytes:
    out = []
    for s in series:
        body = _labels(1, s.labels)
        body += b"".join(_bytes(2, _double(1, v) + _int64(2, ts)) for ts, v in s.samples)
        body += b"".join(_bytes(3, _labels(1, lb) + _double(2, v) + _int64(3, ts)) for lb, v, ts in s.exemplars)
        out.append(_bytes(1, body))
    return b"".join(out)


# ---- the server ---------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Prometheus:
    """Started with the remote-write receiver and exemplar storage; stop() ends it and removes its data."""

    def __init__(self, binary: str):
        self.dir = Path(tempfile.mkdtemp(prefix="druppie-prometheus-"))
        (self.dir / "prometheus.yml").write_text("global:\n  scrape_interval: 15s\n")
        self.url = f"http://127.0.0.1:{_free_port()}"
        self.log = open(self.dir / "prometheus.log", "wb")
        self.process = subprocess.Popen(
            [binary, f"--config.file={self.dir / 'prometheus.yml'}", f"--storage.tsdb.path={self.dir / 'data'}",
             f"--web.listen-address={self.url.removeprefix('http://')}", "--web.enable-remote-write-receiver",
             "--enable-feature=exemplar-storage"],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"prometheus exited: {(self.dir / 'prometheus.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/-/ready", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("prometheus did not become ready within 30 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def remote_write(self, series: list[Series]) -> None:
        import cramjam

        body = bytes(cramjam.snappy.compress_raw(write_request(series)))
        request = urllib.request.Request(self.url + "/api/v1/write", data=body, method="POST", headers={
            "Content-Type": "application/x-protobuf", "Content-Encoding": "snappy",
            "X-Prometheus-Remote-Write-Version": "0.1.0"})
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                assert r.status in (200, 204), r.status
        except urllib.error.HTTPError as e:
            raise AssertionError(f"remote write refused: {e.code} {e.read()[:500]!r}") from None

    def api(self, path: str, **params) -> dict | list:
        """GET the HTTP API (as Grafana asks for label values) and return its `data`."""
        request = urllib.request.Request(f"{self.url}{path}?{urllib.parse.urlencode(params, doseq=True)}")
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                payload = json.load(r)
        except urllib.error.HTTPError as e:
            raise AssertionError(f"{path} {params}: {e.code} {e.read()[:500]!r}") from None
        assert payload["status"] == "success", payload
        return payload["data"]
