"""Signum's test helpers: the pytest plugin, the real local stack, service processes, Kafka probes."""
