"""The fleet benchmark's scaling verdict: a doubling of workers short of 1.7x fails the benchmark
unless the machine's cores (or the sandbox's one) were saturated."""

from __future__ import annotations

from benchmarks.fleet_support import CORES, Cpu, scaling_verdict


def _cpu(machine: float, sandbox: float = 0.1) -> Cpu:
    return Cpu(workers=machine / 2, sandbox=sandbox, postgres=0.1, redis=0.0, machine=machine)


def test_a_short_doubling_on_an_idle_machine_is_reported_short():
    lines, short = scaling_verdict(
        "sales imported",
        {1: (100, _cpu(0.15 * CORES)), 2: (190, _cpu(0.3 * CORES)), 4: (300, _cpu(0.5 * CORES))},
    )

    assert short == ["sales imported: 2 -> 4 processes 1.58x (SHORT of 1.7x)"]
    assert lines[0] == "sales imported: 1 -> 2 processes 1.90x (ok)"


def test_a_short_doubling_on_saturated_cores_is_the_cpu_not_a_failure():
    saturated = 0.85 * CORES
    lines, short = scaling_verdict("sales imported", {2: (190, _cpu(0.3 * CORES)), 4: (300, _cpu(saturated))})

    assert not short
    assert lines[0] == "sales imported: 2 -> 4 processes 1.58x (CPU saturated)"
    assert "the machine saturates first" in lines[-1]


def test_a_sandbox_at_its_one_core_is_saturation_too():
    lines, short = scaling_verdict(
        "items uploaded", {2: (20, _cpu(0.25 * CORES)), 4: (30, _cpu(0.45 * CORES, sandbox=0.85))}
    )

    assert not short
    assert "the sandbox saturates first" in lines[-1]


def test_cores_used_are_the_difference_of_two_readings_over_the_seconds_between():
    before = Cpu(workers=10, sandbox=5, postgres=2, redis=1, machine=30)
    after = Cpu(workers=30, sandbox=10, postgres=6, redis=1, machine=70)

    assert after.per_second(before, 20) == Cpu(workers=1, sandbox=0.25, postgres=0.2, redis=0, machine=2)
