"""Deployment settings of the router that the `.flow` language does not declare."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class RouterConfig:
    offer_timeout_s: float = 20.0  # an offer not accepted by then goes to the next agent
    max_missed_offers: int = 3  # consecutive offers an agent lets ring out before not ready
    wrap_up_s: float = 60.0  # wrap-up ends on its own after this, disposition or not
    callback_attempts: int = 3  # tries to reach a callback customer before giving up
    callback_retry_s: float = 300.0  # between tries; the callback keeps its place meanwhile
    originate_timeout_s: float = 60.0  # no answer from the switch by then counts as no answer
    tiers: tuple[str, ...] = ("platinum", "gold", "silver", "bronze")  # best first
    # Expected wait (see `estimate.py`)
    estimate_min_samples: int = 20  # handle times needed before any figure is announced
    estimate_window: int = 100  # the most recent handle times per queue the model uses
    estimate_max_age_s: float = 4 * 3600.0  # handle times older than this are forgotten
    estimate_cap_minutes: int = 30  # beyond this, announce "more than 30 minutes"
