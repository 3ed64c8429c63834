"""What the benchmarks ran on, and how much memory a process has used (stdlib only)."""

from __future__ import annotations

import os
import platform
import resource
import sys
import threading
from typing import Any, Self


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    scale = 1 if sys.platform == "darwin" else 1024
    return round(peak * scale / 1_000_000, 1)


def current_rss_mb() -> float:
    """The resident set size right now, in MB (Linux; the peak elsewhere)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            pages = int(statm.read().split()[1])
        return round(pages * os.sysconf("SC_PAGE_SIZE") / 1_000_000, 1)
    except (OSError, ValueError, IndexError):
        return peak_rss_mb()


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024 / 1024, 1)
    except (OSError, ValueError):
        pass
    return None


def machine() -> dict[str, Any]:
    cores = os.cpu_count()
    usable: int | None
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = cores
    return {
        "cpu_model": _cpu_model(),
        "cores": usable,
        "logical_cpus": cores,
        "memory_gib": _memory_gib(),
        "os": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
    }


class Periodic:
    """A daemon thread that calls `tick()` every `interval` seconds while in a `with` block."""

    thread_name = "bench-periodic"  # the benchmark's threads are named bench-*: probes leave them out

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.tick()

    def tick(self) -> None:
        raise NotImplementedError


class TreeMemory(Periodic):
    """The memory of a process and all its descendants (the fork server, the check workers), sampled.

    Each sample adds up every process's PSS (its private pages plus its share of the pages it shares: the
    workers share what the fork server imported), so nothing is counted twice; the peak of those sums is
    what the machine gave Preflight at once. Linux only (`/proc`); elsewhere nothing is measured."""

    thread_name = "bench-tree-memory"

    def __init__(self, root: int | None = None, interval: float = 0.05) -> None:
        super().__init__(interval)
        self.root = root if root is not None else os.getpid()
        self.peak_total_mb = 0.0
        self.peak_by_process: dict[str, float] = {}

    def tick(self) -> None:
        self.sample()

    def sample(self) -> None:
        total = 0.0
        for pid, name in _descendants(self.root):
            pss = _pss_mb(pid)
            if pss is None:
                continue
            total += pss
            self.peak_by_process[name] = max(self.peak_by_process.get(name, 0.0), pss)
        self.peak_total_mb = max(self.peak_total_mb, total)

    def report(self) -> dict[str, Any]:
        return {
            "peak_total_pss_mb": round(self.peak_total_mb, 1),
            "peak_pss_by_process_mb": {k: round(v, 1) for k, v in sorted(self.peak_by_process.items())},
        }


def _descendants(root: int) -> list[tuple[int, str]]:
    """(pid, what it is) of `root` and every process below it: the fork server, the check workers it forked
    (named by pid: each run has new ones) and multiprocessing's resource tracker."""
    parents: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as stat:
                text = stat.read()
        except OSError:
            continue
        ppid = int(text[text.rfind(")") + 2 :].split()[1])
        parents.setdefault(ppid, []).append(int(entry))
    found: list[tuple[int, str]] = [(root, "this process")]
    for child in parents.get(root, []):
        command = _command(child)
        if "forkserver" in command:
            found.append((child, "fork server"))
            found += [(worker, f"check worker {worker}") for worker in parents.get(child, [])]
        else:
            found.append((child, "resource tracker" if "resource_tracker" in command else f"child {child}"))
    return found


def _command(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def _pss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024 / 1_000_000
    except (OSError, ValueError):
        return None
    return None
