"""Every metric name the shipped alert rules and dashboard may query, as data.

Two sources:

* ``EXPORTER_METRICS``: what ``l2kit monitor serve`` exports (the exporter contract),
  with ``EXPORTER_CHECKS`` naming the ``check`` label values per ``kind`` and the unit of
  ``l2kit_check_value`` for each.
* ``COMPONENT_METRICS``: what the components expose on their own ``/metrics`` endpoints, copied
  from the replay fixtures (``shared/fixtures/metrics/*.prom``: fpd v2.0.2, eotsd, vigilante
  v0.24 reporter/submitter/monitor/bstracker, jvstein bitcoind exporter). Go/process/python
  runtime families are left out. ``COMPONENT_METRICS_UNOBSERVED`` holds the vigilante
  ``*_censorship`` GaugeVecs: client_golang emits a Vec only after its first child exists, so
  they are absent from every fixture; names checked in vigilante ``metrics/reporter.go`` and
  ``metrics/btcstaking_tracker.go`` at 64f2fed60173.

Conventions the rules rely on (status values of ``l2kit_check_status``): 0 OK, 1 WARN, 2 CRIT,
3 UNKNOWN. For bitcoind's ``rpc`` check, CRIT while ``l2kit_target_up`` is 0 means the node
answered but refused the call (HTTP 401/403: wrong credentials); UNKNOWN means no answer.
"""

from __future__ import annotations

from typing import Final

# name -> (type, label names)
EXPORTER_METRICS: Final[dict[str, tuple[str, tuple[str, ...]]]] = {
    "l2kit_check_status": ("gauge", ("target", "kind", "check", "subject")),
    "l2kit_check_value": ("gauge", ("target", "kind", "check", "subject")),
    "l2kit_target_up": ("gauge", ("target", "kind")),
    "l2kit_target_poll_duration_seconds": ("gauge", ("target", "kind")),
    "l2kit_target_last_success_timestamp_seconds": ("gauge", ("target", "kind")),
    "l2kit_poll_cycles_total": ("counter", ()),
    "l2kit_poll_cycle_duration_seconds": ("gauge", ()),
    "l2kit_poll_errors_total": ("counter", ("target", "kind")),
}

# kind -> check -> unit of l2kit_check_value ("" when the check has no numeric value)
EXPORTER_CHECKS: Final[dict[str, dict[str, str]]] = {
    "bitcoind": {
        "rpc": "seconds",
        "chain": "",
        "ibd": "ratio",
        "header_lag": "blocks",
        "tip_age": "seconds",
        "peers": "count",
        "mempool_usage": "ratio",
        "warnings": "",
        "pruned": "",
        "wallet_balance": "btc",  # subject: wallet name
    },
    "babylon": {
        "cometbft_sync": "bool",
        "height_advancing": "height",
        "finality_lag": "blocks",
        "fp_status": "enum",  # 0 active, 1 inactive, 2 jailed, 3 slashed
        "fp_missed_blocks": "count",
        "checkpoint_lag": "epochs",
        "btc_lightclient_lag": "blocks",
        # runways and lifecycle (subject: FP pk, checkpoint status, staking txid, covenant pk)
        "fp_jail_runway": "blocks",  # misses left before jail
        "fp_randomness_runway": "blocks",  # last committed height - tip
        "fp_voting": "blocks",  # tip - highest voted height
        "fp_voting_power": "sat",
        "block_time": "seconds",  # per Babylon block, measured between polls
        "checkpoint_age": "seconds",  # subject SUBMITTED | CONFIRMED | FINALIZED
        "delegations": "count",  # subject: delegation status
        "delegation_stuck": "blocks",  # BTC blocks PENDING / VERIFIED / not registered
        "unbonding_unseen": "blocks",  # BTC blocks since our unbonding request
        "covenant_unsigned": "count",  # PENDING delegations without that covenant's signature
    },
    "gadget": {
        "gadget_health": "",
        "rollup_finality_lag": "blocks",
        "rollup_finality_lag_seconds": "seconds",
    },
    "metrics": {
        "fp_vote_age": "seconds",
        "fp_randomness_age": "seconds",
        "fp_failed_votes": "count",
        "reporter_staleness": "seconds",
        "reporter_failures": "count",
        "submitter_staleness": "seconds",
        "submitter_failures": "count",
        "covenant_signing_lag": "seconds",
        "scrape": "bool",
    },
    "kubernetes": {
        "pod_ready": "bool",
        "pod_restarts": "count",
        "pvc_usage": "ratio",
    },
}

# name -> (component, type); names exactly as scraped (Python counters carry "_total").
COMPONENT_METRICS: Final[dict[str, tuple[str, str]]] = {
    # fpd (finality-provider daemon, :2112), label fp_btc_pk_hex
    "babylon_tip_height": ("fpd", "gauge"),
    "fp_last_committed_randomness_height": ("fpd", "gauge"),
    "fp_last_processed_height": ("fpd", "gauge"),
    "fp_last_voted_height": ("fpd", "gauge"),
    "fp_seconds_since_last_randomness": ("fpd", "gauge"),
    "fp_seconds_since_last_vote": ("fpd", "gauge"),
    "fp_status": ("fpd", "gauge"),  # 0 REGISTERED 1 ACTIVE 2 INACTIVE 3 SLASHED 4 JAILED
    "fp_total_blocks_without_voting_power": ("fpd", "counter"),
    "fp_total_committed_randomness": ("fpd", "counter"),
    "fp_total_failed_randomness": ("fpd", "counter"),
    "fp_total_failed_votes": ("fpd", "counter"),
    "fp_version_info": ("fpd", "gauge"),
    "last_polled_height": ("fpd", "gauge"),
    "poller_starting_height": ("fpd", "gauge"),
    # eotsd (:2113)
    "eots_created_keys_counter": ("eotsd", "counter"),
    "eots_fp_last_eots_sign_height": ("eotsd", "gauge"),
    "eots_fp_last_generated_randomness_height": ("eotsd", "gauge"),
    "eots_fp_total_eots_sign_counter": ("eotsd", "counter"),
    "eots_fp_total_generated_randomness_counter": ("eotsd", "counter"),
    "eots_fp_total_schnorr_sign_counter": ("eotsd", "counter"),
    # vigilante reporter
    "vigilante_reporter_failed_checkpoints": ("vigilante-reporter", "counter"),
    "vigilante_reporter_failed_headers": ("vigilante-reporter", "counter"),
    "vigilante_reporter_insert_headers_censorship": ("vigilante-reporter", "gauge"),
    "vigilante_reporter_new_btc_checkpoint": ("vigilante-reporter", "gauge"),
    "vigilante_reporter_new_btc_header": ("vigilante-reporter", "gauge"),
    "vigilante_reporter_reported_checkpoints": ("vigilante-reporter", "counter"),
    "vigilante_reporter_reported_headers": ("vigilante-reporter", "counter"),
    "vigilante_reporter_since_last_checkpoint_seconds": ("vigilante-reporter", "gauge"),
    "vigilante_reporter_since_last_header_seconds": ("vigilante-reporter", "gauge"),
    # vigilante submitter (available_balance is in satoshi; v0.24 declares it but never sets it)
    "vigilante_submitter_available_balance": ("vigilante-submitter", "gauge"),
    "vigilante_submitter_failed_checkpoints": ("vigilante-submitter", "counter"),
    "vigilante_submitter_failed_resent_checkpoints": ("vigilante-submitter", "counter"),
    "vigilante_submitter_invalid_checkpoints": ("vigilante-submitter", "counter"),
    "vigilante_submitter_new_checkpoint_segment": ("vigilante-submitter", "gauge"),
    "vigilante_submitter_resend_interval": ("vigilante-submitter", "gauge"),
    "vigilante_submitter_resent_checkpoints": ("vigilante-submitter", "counter"),
    "vigilante_submitter_since_last_checkpoint_seconds": ("vigilante-submitter", "gauge"),
    "vigilante_submitter_submitted_checkpoints": ("vigilante-submitter", "counter"),
    # vigilante monitor
    "vigilante_monitor_invalid_btc_headers": ("vigilante-monitor", "counter"),
    "vigilante_monitor_invalid_epochs": ("vigilante-monitor", "counter"),
    "vigilante_monitor_liveness_attacks": ("vigilante-monitor", "counter"),
    "vigilante_monitor_valid_btc_headers": ("vigilante-monitor", "counter"),
    "vigilante_monitor_valid_epochs": ("vigilante-monitor", "counter"),
    # vigilante bstracker (btc staking tracker); slasher_* carry no "vigilante_" prefix
    "slasher_new_slashed_delegation": ("vigilante-bstracker", "gauge"),
    "slasher_slashed_delegations": ("vigilante-bstracker", "counter"),
    "slasher_slashed_finality_providers": ("vigilante-bstracker", "counter"),
    "slasher_slashed_sats": ("vigilante-bstracker", "counter"),
    "vigilante_atomic_slasher_tracked_delegations_gauge": ("vigilante-bstracker", "gauge"),
    "vigilante_unbonding_watcher_best_block_height": ("vigilante-bstracker", "gauge"),
    "vigilante_unbonding_watcher_btc_light_client_height": ("vigilante-bstracker", "gauge"),
    "vigilante_unbonding_watcher_detected_non_unbonding_transactions": (
        "vigilante-bstracker",
        "counter",
    ),
    "vigilante_unbonding_watcher_detected_unbonded_stake_expansion": (
        "vigilante-bstracker",
        "counter",
    ),
    "vigilante_unbonding_watcher_detected_unbonding_transactions": (
        "vigilante-bstracker",
        "counter",
    ),
    "vigilante_unbonding_watcher_failed_reported_activate_delegation": (
        "vigilante-bstracker",
        "counter",
    ),
    "vigilante_unbonding_watcher_failed_reported_unbonding_transactions": (
        "vigilante-bstracker",
        "counter",
    ),
    "vigilante_unbonding_watcher_method_latency_seconds": ("vigilante-bstracker", "histogram"),
    "vigilante_unbonding_watcher_number_of_activation_in_progress": (
        "vigilante-bstracker",
        "gauge",
    ),
    "vigilante_unbonding_watcher_number_of_verified_delegations": ("vigilante-bstracker", "gauge"),
    "vigilante_unbonding_watcher_number_of_verified_insufficient_conf_delegations": (
        "vigilante-bstracker",
        "gauge",
    ),
    "vigilante_unbonding_watcher_number_of_verified_not_in_chain_delegations": (
        "vigilante-bstracker",
        "gauge",
    ),
    "vigilante_unbonding_watcher_number_of_verified_sufficient_conf_delegations": (
        "vigilante-bstracker",
        "gauge",
    ),
    "vigilante_unbonding_watcher_reported_activate_delegations": ("vigilante-bstracker", "counter"),
    "vigilante_unbonding_watcher_reported_unbonding_transactions": (
        "vigilante-bstracker",
        "counter",
    ),
    "vigilante_unbonding_watcher_tracked_active_delegations": ("vigilante-bstracker", "gauge"),
    # jvstein bitcoind exporter (Python client: counters get _total plus a _created gauge)
    "bitcoin_blocks": ("bitcoind-exporter", "gauge"),
    "bitcoin_difficulty": ("bitcoind-exporter", "gauge"),
    "bitcoin_peers": ("bitcoind-exporter", "gauge"),
    "bitcoin_conn_in": ("bitcoind-exporter", "gauge"),
    "bitcoin_conn_out": ("bitcoind-exporter", "gauge"),
    "bitcoin_warnings_total": ("bitcoind-exporter", "counter"),
    "bitcoin_warnings_created": ("bitcoind-exporter", "gauge"),
    "bitcoin_uptime": ("bitcoind-exporter", "gauge"),
    "bitcoin_meminfo_used": ("bitcoind-exporter", "gauge"),
    "bitcoin_meminfo_free": ("bitcoind-exporter", "gauge"),
    "bitcoin_meminfo_total": ("bitcoind-exporter", "gauge"),
    "bitcoin_meminfo_locked": ("bitcoind-exporter", "gauge"),
    "bitcoin_meminfo_chunks_used": ("bitcoind-exporter", "gauge"),
    "bitcoin_meminfo_chunks_free": ("bitcoind-exporter", "gauge"),
    "bitcoin_mempool_bytes": ("bitcoind-exporter", "gauge"),
    "bitcoin_mempool_size": ("bitcoind-exporter", "gauge"),
    "bitcoin_mempool_usage": ("bitcoind-exporter", "gauge"),
    "bitcoin_mempool_minfee": ("bitcoind-exporter", "gauge"),
    "bitcoin_mempool_unbroadcast": ("bitcoind-exporter", "gauge"),
    "bitcoin_latest_block_height": ("bitcoind-exporter", "gauge"),
    "bitcoin_latest_block_weight": ("bitcoind-exporter", "gauge"),
    "bitcoin_latest_block_size": ("bitcoind-exporter", "gauge"),
    "bitcoin_latest_block_txs": ("bitcoind-exporter", "gauge"),
    "bitcoin_latest_block_inputs": ("bitcoind-exporter", "gauge"),
    "bitcoin_latest_block_outputs": ("bitcoind-exporter", "gauge"),
    "bitcoin_latest_block_value": ("bitcoind-exporter", "gauge"),
    "bitcoin_latest_block_fee": ("bitcoind-exporter", "gauge"),
    "bitcoin_txcount": ("bitcoind-exporter", "gauge"),
    "bitcoin_num_chaintips": ("bitcoind-exporter", "gauge"),
    "bitcoin_total_bytes_recv": ("bitcoind-exporter", "gauge"),
    "bitcoin_total_bytes_sent": ("bitcoind-exporter", "gauge"),
    "bitcoin_ban_created": ("bitcoind-exporter", "gauge"),
    "bitcoin_banned_until": ("bitcoind-exporter", "gauge"),
    "bitcoin_server_version": ("bitcoind-exporter", "gauge"),
    "bitcoin_protocol_version": ("bitcoind-exporter", "gauge"),
    "bitcoin_size_on_disk": ("bitcoind-exporter", "gauge"),
    "bitcoin_verification_progress": ("bitcoind-exporter", "gauge"),
    "bitcoin_rpc_active": ("bitcoind-exporter", "gauge"),
    "bitcoin_exporter_errors_total": ("bitcoind-exporter", "counter"),
    "bitcoin_exporter_errors_created": ("bitcoind-exporter", "gauge"),
    "bitcoin_exporter_process_time_total": ("bitcoind-exporter", "counter"),
    "bitcoin_exporter_process_time_created": ("bitcoind-exporter", "gauge"),
    "bitcoin_est_smart_fee_2": ("bitcoind-exporter", "gauge"),
    "bitcoin_est_smart_fee_3": ("bitcoind-exporter", "gauge"),
    "bitcoin_est_smart_fee_5": ("bitcoind-exporter", "gauge"),
    "bitcoin_est_smart_fee_20": ("bitcoind-exporter", "gauge"),
    "bitcoin_hashps_neg1": ("bitcoind-exporter", "gauge"),
    "bitcoin_hashps_1": ("bitcoind-exporter", "gauge"),
    "bitcoin_hashps": ("bitcoind-exporter", "gauge"),
}

# GaugeVecs that appear only after the first event (absent from the fixtures), label in comment.
COMPONENT_METRICS_UNOBSERVED: Final[dict[str, tuple[str, str]]] = {
    # {epoch, height, tx1id, tx2id}
    "vigilante_reporter_checkpoint_censorship": ("vigilante-reporter", "gauge"),
    # {staking_tx_hash}
    "vigilante_unbonding_watcher_unbonding_censorship": ("vigilante-bstracker", "gauge"),
    "vigilante_unbonding_watcher_inclusion_proof_censorship": ("vigilante-bstracker", "gauge"),
    "vigilante_atomic_slasher_selective_slashing_censorship": ("vigilante-bstracker", "gauge"),
}

_HISTOGRAM_SUFFIXES: Final = ("_bucket", "_sum", "_count")


def _sample_names(families: dict[str, tuple[str, str]]) -> set[str]:
    names: set[str] = set()
    for name, (_, kind) in families.items():
        names.add(name)
        if kind == "histogram":
            names.update(name + suffix for suffix in _HISTOGRAM_SUFFIXES)
    return names


def known_metric_names() -> frozenset[str]:
    """Every sample name a rule or panel may select (histograms expanded to their series)."""
    exporter = {name: ("l2kit", kind) for name, (kind, _) in EXPORTER_METRICS.items()}
    return frozenset(
        _sample_names(exporter)
        | _sample_names(COMPONENT_METRICS)
        | _sample_names(COMPONENT_METRICS_UNOBSERVED)
    )
