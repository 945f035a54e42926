"""Metrics service: response and processing times, overdue work, savings; Prometheus metrics."""
