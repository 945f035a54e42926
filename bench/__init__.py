"""Signum's benchmarks. Each reports a value and a baseline measured in the same run."""
