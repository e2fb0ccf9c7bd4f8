"""Thresholds of ``l2kit monitor`` checks, per kind; every default is documented in its field.

A fleet file sets them globally (``thresholds: {<kind>: {...}}``) and per target
(``thresholds: {...}`` on the target), where only the fields given override the global ones.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Level = Literal["OK", "WARN", "CRIT"]


class _Model(BaseModel):
    # strict: a YAML `true` is not 1 and "5" is not 5; NaN/inf would silently disable a check
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)


class BitcoindThresholds(_Model):
    """bitcoind limits. Defaults tolerate normal 1-2 h gaps between mainnet blocks."""

    rpc_latency_warn: float = Field(
        default=2.0, description="rpc: WARN when a call takes >= this (s)"
    )
    rpc_latency_crit: float = Field(
        default=5.0, description="rpc: CRIT when a call takes >= this (s)"
    )
    tip_age_warn: float = Field(
        default=7200, description="tip_age: WARN when now - tip time >= this (s)"
    )
    tip_age_crit: float = Field(
        default=14400, description="tip_age: CRIT when now - tip time >= this (s)"
    )
    header_lag_warn: int = Field(
        default=2, description="header_lag: WARN when headers - blocks >= this"
    )
    header_lag_crit: int = Field(
        default=6, description="header_lag: CRIT when headers - blocks >= this"
    )
    verification_progress_warn: float = Field(
        default=0.9999, description="ibd: WARN when verificationprogress is below this (or in IBD)"
    )
    peers_warn_below: int | None = Field(
        default=None,
        description="peers: WARN below this many peers (default 2; 0 on a regtest node)",
    )
    peers_crit_below: int | None = Field(
        default=None,
        description="peers: CRIT below this many peers (default 1; 0 on a regtest node)",
    )
    mempool_usage_warn: float = Field(
        default=0.7, description="mempool_usage: WARN at usage/max >= this"
    )
    mempool_usage_crit: float = Field(
        default=0.9, description="mempool_usage: CRIT at usage/max >= this"
    )
    pruned: Level = Field(default="WARN", description="pruned: status when the node is pruned")
    ignore_warnings: list[str] = Field(
        default=["pre-release test build"],
        description="warnings: substrings of node warnings that count as OK (still shown)",
    )
    warnings: Level = Field(
        default="WARN", description="warnings: status when the node reports warnings"
    )
    wallet_balance_warn: float = Field(
        default=0.05,
        description="wallet_balance: WARN below this many BTC (submitter fees; `wallets:`)",
    )
    wallet_balance_crit: float = Field(
        default=0.01, description="wallet_balance: CRIT below this many BTC"
    )


class BabylonThresholds(_Model):
    """Babylon chain limits (5-10 s blocks)."""

    catching_up: Level = Field(
        default="WARN", description="cometbft_sync: status while catching up"
    )
    stall_warn: float = Field(
        default=60, description="height_advancing: WARN when no new block for this long (s)"
    )
    stall_crit: float = Field(
        default=300, description="height_advancing: CRIT when no new block for this long (s)"
    )
    finality_lag_warn: int = Field(
        default=10, description="finality_lag: WARN at tip - finalized >= this"
    )
    finality_lag_crit: int = Field(
        default=50, description="finality_lag: CRIT at tip - finalized >= this"
    )
    fp_inactive: Level = Field(
        default="WARN", description="fp_status: status of an inactive provider"
    )
    fp_jailed: Level = Field(default="CRIT", description="fp_status: status of a jailed provider")
    fp_slashed: Level = Field(default="CRIT", description="fp_status: status of a slashed provider")
    fp_missed_warn: float = Field(
        default=0.5, description="fp_missed_blocks: WARN at missed >= this share of the jail limit"
    )
    fp_missed_crit: float = Field(
        default=0.8, description="fp_missed_blocks: CRIT at missed >= this share of the jail limit"
    )
    checkpoint_lag_warn: int = Field(
        default=10, description="checkpoint_lag: WARN at current epoch - last FINALIZED >= this"
    )
    checkpoint_lag_crit: int = Field(
        default=20, description="checkpoint_lag: CRIT at current epoch - last FINALIZED >= this"
    )
    btc_lightclient_lag_warn: int = Field(
        default=3,
        description="btc_lightclient_lag: WARN at bitcoind tip - light-client tip >= this",
    )
    btc_lightclient_lag_crit: int = Field(
        default=6,
        description="btc_lightclient_lag: CRIT at bitcoind tip - light-client tip >= this",
    )
    fp_jail_runway_warn: float = Field(
        default=21600,
        description="fp_jail_runway: WARN at (misses left before jail) x block time <= this (s)",
    )
    fp_jail_runway_crit: float = Field(
        default=3600, description="fp_jail_runway: CRIT when that time is <= this (s)"
    )
    fp_randomness_runway_warn: float = Field(
        default=21600,
        description="fp_randomness_runway: WARN at (last committed - tip) x block time <= this (s)",
    )
    fp_randomness_runway_crit: float = Field(
        default=7200, description="fp_randomness_runway: CRIT when that time is <= this (s)"
    )
    fp_vote_lag_warn: int = Field(
        default=5, description="fp_voting: WARN at tip - highest voted height >= this (blocks)"
    )
    fp_vote_lag_crit: int = Field(
        default=20, description="fp_voting: CRIT at tip - highest voted height >= this (blocks)"
    )
    checkpoint_submitted_age_warn: float = Field(
        default=7200, description="checkpoint_age SUBMITTED: WARN at this age (s)"
    )
    checkpoint_submitted_age_crit: float = Field(
        default=14400, description="checkpoint_age SUBMITTED: CRIT at this age (s)"
    )
    checkpoint_confirmed_age_warn: float = Field(
        default=10800, description="checkpoint_age CONFIRMED: WARN at this age (s)"
    )
    checkpoint_confirmed_age_crit: float = Field(
        default=21600, description="checkpoint_age CONFIRMED: CRIT at this age (s)"
    )
    checkpoint_finalized_age_warn: float = Field(
        default=86400, description="checkpoint_age FINALIZED: WARN at this age (s)"
    )
    checkpoint_finalized_age_crit: float = Field(
        default=129600, description="checkpoint_age FINALIZED: CRIT at this age (s)"
    )
    pending_blocks_warn: int = Field(
        default=2,
        description="delegation_stuck PENDING: WARN after this many BTC blocks (no quorum)",
    )
    pending_blocks_crit: int = Field(
        default=6, description="delegation_stuck PENDING: CRIT after this many BTC blocks"
    )
    verified_blocks_warn: int = Field(
        default=40,
        description="delegation_stuck VERIFIED: WARN after this many BTC blocks not ACTIVE",
    )
    verified_blocks_crit: int = Field(
        default=100, description="delegation_stuck VERIFIED: CRIT after this many BTC blocks"
    )
    unbonding_unseen_blocks_warn: int = Field(
        default=3,
        description="unbonding_unseen: WARN when our unbonding tx is off BTC after this many blks",
    )
    unbonding_unseen_blocks_crit: int = Field(
        default=12, description="unbonding_unseen: CRIT after this many BTC blocks"
    )
    covenant_unsigned_blocks_warn: int = Field(
        default=2,
        description="covenant_unsigned: WARN when a PENDING delegation waits this many BTC blocks",
    )
    covenant_unsigned_blocks_crit: int = Field(
        default=6, description="covenant_unsigned: CRIT after this many BTC blocks"
    )


class GadgetThresholds(_Model):
    """Rollup finality limits (OP-stack finality gadget)."""

    lag_blocks_warn: int = Field(
        default=300,
        description="rollup_finality_lag: WARN at latest - latest BTC-finalized >= this",
    )
    lag_blocks_crit: int = Field(
        default=900,
        description="rollup_finality_lag: CRIT at latest - latest BTC-finalized >= this",
    )
    lag_seconds_warn: float = Field(
        default=600, description="rollup_finality_lag_seconds: WARN at this lag (s)"
    )
    lag_seconds_crit: float = Field(
        default=1800, description="rollup_finality_lag_seconds: CRIT at this lag (s)"
    )


class MetricsThresholds(_Model):
    """Limits over the components' own Prometheus metrics. Counters judge the rise per poll."""

    fp_vote_age_warn: float = Field(default=120, description="fp_vote_age: WARN at this age (s)")
    fp_vote_age_crit: float = Field(default=600, description="fp_vote_age: CRIT at this age (s)")
    fp_randomness_age_warn: float = Field(
        default=86400, description="fp_randomness_age: WARN at this age (s)"
    )
    fp_randomness_age_crit: float = Field(
        default=172800, description="fp_randomness_age: CRIT at this age (s)"
    )
    failures_warn: int = Field(
        default=1,
        description="*_failed_votes/*_failures: WARN when the counter rose by this per poll",
    )
    failures_crit: int = Field(
        default=10, description="*_failed_votes/*_failures: CRIT when the counter rose by this"
    )
    reporter_staleness_warn: float = Field(
        default=3600, description="reporter_staleness: WARN at seconds since the last header (s)"
    )
    reporter_staleness_crit: float = Field(
        default=7200, description="reporter_staleness: CRIT at seconds since the last header (s)"
    )
    submitter_staleness_warn: float = Field(
        default=7200,
        description="submitter_staleness: WARN at seconds since the last checkpoint (s)",
    )
    submitter_staleness_crit: float = Field(
        default=14400,
        description="submitter_staleness: CRIT at seconds since the last checkpoint (s)",
    )
    covenant_signing_lag_warn: float = Field(
        default=60, description="covenant_signing_lag: WARN at this signing lag (s)"
    )
    covenant_signing_lag_crit: float = Field(
        default=300, description="covenant_signing_lag: CRIT at this signing lag (s)"
    )


class KubernetesThresholds(_Model):
    """Pod and volume limits."""

    pod_not_ready: Level = Field(default="CRIT", description="pod_ready: status of a pod not Ready")
    pod_restarts_warn: int = Field(
        default=3, description="pod_restarts: WARN at this many restarts"
    )
    pod_restarts_crit: int = Field(
        default=10, description="pod_restarts: CRIT at this many restarts"
    )
    pvc_usage_warn: float = Field(
        default=0.8, description="pvc_usage: WARN at used/capacity >= this"
    )
    pvc_usage_crit: float = Field(
        default=0.9, description="pvc_usage: CRIT at used/capacity >= this"
    )


class Thresholds(_Model):
    """Global thresholds per kind; a target's own ``thresholds`` override single fields."""

    bitcoind: BitcoindThresholds = Field(
        default=BitcoindThresholds(), description="bitcoind checks"
    )
    babylon: BabylonThresholds = Field(default=BabylonThresholds(), description="Babylon checks")
    gadget: GadgetThresholds = Field(
        default=GadgetThresholds(), description="finality-gadget checks"
    )
    metrics: MetricsThresholds = Field(
        default=MetricsThresholds(), description="component metrics checks"
    )
    kubernetes: KubernetesThresholds = Field(
        default=KubernetesThresholds(), description="Kubernetes checks"
    )
