"""Prometheus metrics, one registry per application so tests can build many apps."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Histogram


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.requests = Counter(
            "identra_http_requests_total",
            "HTTP requests by route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "identra_http_request_duration_seconds",
            "HTTP request latency by route",
            ["route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.tokens_issued = Counter(
            "identra_tokens_issued_total",
            "Tokens issued by grant type",
            ["grant_type"],
            registry=self.registry,
        )
        self.auth_events = Counter(
            "identra_authentication_events_total",
            "Authentication outcomes",
            ["outcome"],
            registry=self.registry,
        )
