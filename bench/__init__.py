"""Seed and load benchmarks for PIP Companion (usage and figures in BENCHMARKS.md)."""
