"""Realistic demo data (``credential-service demo``): made-up workers with their training files and
certificates (``workers``), assessment batches to try issuance with (``batches``) and the try-it guide
``scripts/run`` prints (``guide``)."""

from __future__ import annotations

from credential_service.demo.batches import load_demo_batches
from credential_service.demo.ports import DemoRuntime
from credential_service.demo.workers import (
    DEMO_INSTITUTIONS,
    DEMO_ORGANISATIONS,
    DemoManifest,
    demo_credit_code,
    demo_id_number,
    demo_name,
    load_workers,
)

__all__ = [
    "DEMO_INSTITUTIONS",
    "DEMO_ORGANISATIONS",
    "DemoManifest",
    "demo_credit_code",
    "demo_id_number",
    "demo_name",
    "load_demo",
]


def load_demo(runtime: DemoRuntime, *, workers: int = 300, seed: int = 14) -> DemoManifest:
    """Create the demo once (idempotent: a second run only reports what exists)."""
    manifest = load_workers(runtime, workers=workers, seed=seed)
    # An enterprise the demo registered itself (in 2024), so its batches can date from weeks ago.
    manifest.batches = load_demo_batches(runtime, DEMO_ORGANISATIONS[1][0], seed=seed)
    return manifest
