"""Benchmarks of runoff-abm: build, day-step and full-runoff times and peak memory by size,
array engine vs the per-agent reference engine, and the array day-step vs a bare CSR mat-vec.

Run ``make bench`` or ``python -m benchmarks``. Every ratio is measured in the same run on the
same machine; each size runs in a fresh subprocess so that its peak memory is its own.
"""
