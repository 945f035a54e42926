"""Routing service: deliveries, inboxes, acuses de recibo, turnar, answers and deadlines."""
