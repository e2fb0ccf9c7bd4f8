"""Pure parts: thresholds, judgement of samples, response parsing (property tests included)."""

from __future__ import annotations

import contextlib
import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.paths import DATA

from l2kit.btc.rpc import BlockchainInfo, MempoolInfo, NetworkInfo
from l2kit.monitor import babylon, checks, checks_metrics, metrics
from l2kit.monitor import fleet as fleet_mod
from l2kit.monitor.bitcoind import BitcoindSample
from l2kit.monitor.results import CheckResult, Status, exit_code, worst

FIXTURES = DATA / "monitor"
NOW = 1_800_000_000.0


@given(
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12),
    st.floats(min_value=0, max_value=1e6),
    st.floats(min_value=0, max_value=1e6),
)
def test_level_is_monotonic(value: float, a: float, b: float) -> None:
    warn, crit = min(a, b), max(a, b)
    status = checks.level(value, warn, crit)
    assert status is (Status.CRIT if value >= crit else Status.WARN if value >= warn else Status.OK)
    assert checks.level(value + 1, warn, crit) >= status


@given(st.lists(st.sampled_from(list(Status))))
def test_exit_code_and_worst(statuses: list[Status]) -> None:
    results = [CheckResult("t", "gadget", "x", s, "") for s in statuses]
    code = exit_code(results)
    assert code == max((2 if s is Status.UNKNOWN else int(s) for s in statuses), default=0)
    assert worst(statuses).severity == code


def _btc(**chain: object) -> BitcoindSample:
    info = {
        "chain": "regtest",
        "blocks": 200,
        "headers": 200,
        "bestblockhash": "00" * 32,
        "time": int(NOW) - 60,
        "verificationprogress": 1,
        "initialblockdownload": False,
        "pruned": False,
        "warnings": [],
    }
    info.update(chain)
    net = NetworkInfo.model_validate(
        {
            "version": 310000,
            "subversion": "/Satoshi/",
            "protocolversion": 70016,
            "connections": 3,
            "connections_in": 3,
            "connections_out": 0,
            "networkactive": True,
            "relayfee": "0.00001",
            "warnings": "",
        }
    )
    pool = MempoolInfo.model_validate(
        {
            "loaded": True,
            "size": 5,
            "bytes": 900,
            "usage": 80_000_000,
            "maxmempool": 100_000_000,
            "mempoolminfee": "0.00001",
            "minrelaytxfee": "0.00001",
        }
    )
    return BitcoindSample(0.01, BlockchainInfo.model_validate(info), net, pool)


def _by(results: list[CheckResult]) -> dict[str, CheckResult]:
    return {r.check: r for r in results}


def test_bitcoind_judgement() -> None:
    target = fleet_mod.BitcoindTarget(name="b", kind="bitcoind", url="http://h:1", chain="main")
    th = fleet_mod.BitcoindThresholds()
    got = _by(
        checks.bitcoind(
            target,
            th,
            _btc(
                headers=210,
                initialblockdownload=True,
                pruned=True,
                verificationprogress=Decimal("0.5"),
                warnings=["Unknown new rules activated"],
            ),
            NOW,
        )
    )
    assert got["chain"].status is Status.CRIT
    assert (got["header_lag"].status, got["header_lag"].value) == (Status.CRIT, 10)
    assert got["ibd"].status is Status.WARN and "50.00%" in got["ibd"].reason
    assert got["pruned"].status is Status.WARN
    assert got["warnings"].status is Status.WARN and got["warnings"].value == 1
    assert (got["mempool_usage"].status, got["mempool_usage"].value) == (Status.WARN, 0.8)
    # mainnet: 3 peers but none outbound is an eclipse risk
    assert got["peers"].status is Status.WARN and "no outbound" in got["peers"].reason
    assert got["tip_age"].value == 60 and got["tip_age"].status is Status.OK


def test_regtest_needs_no_peers_and_ignores_prerelease_warning() -> None:
    target = fleet_mod.BitcoindTarget(name="b", kind="bitcoind", url="http://h:1", chain="regtest")
    sample = _btc(warnings=["This is a pre-release test build - use at your own risk"])
    sample.net = sample.net.model_copy(update={"connections": 0, "connections_in": 0})  # type: ignore[union-attr]
    got = _by(checks.bitcoind(target, fleet_mod.BitcoindThresholds(), sample, NOW))
    assert got["peers"].status is Status.OK
    assert got["warnings"].status is Status.OK and "ignored" in got["warnings"].reason


@pytest.mark.parametrize(
    ("expected", "reported", "status"),
    [
        (None, "regtest", Status.OK),  # no chain set: the node's own word decides
        (None, "main", Status.CRIT),
        ("main", "regtest", Status.CRIT),  # a set chain wins (the chain check is CRIT too)
        ("regtest", "regtest", Status.OK),
    ],
)
def test_peer_thresholds_follow_the_observed_chain(
    expected: str | None, reported: str, status: Status
) -> None:
    target = fleet_mod.BitcoindTarget(name="b", kind="bitcoind", url="http://h:1", chain=expected)
    sample = _btc(chain=reported)
    sample.net = sample.net.model_copy(update={"connections": 0, "connections_in": 0})  # type: ignore[union-attr]
    got = _by(checks.bitcoind(target, fleet_mod.BitcoindThresholds(), sample, NOW))
    assert got["peers"].status is status, got["peers"].reason


@pytest.mark.parametrize(
    ("age", "status"), [(7199, Status.OK), (7200, Status.WARN), (14400, Status.CRIT)]
)
def test_tip_age_default_thresholds(age: int, status: Status) -> None:
    target = fleet_mod.BitcoindTarget(name="b", kind="bitcoind", url="http://h:1")
    got = _by(
        checks.bitcoind(target, fleet_mod.BitcoindThresholds(), _btc(time=int(NOW) - age), NOW)
    )
    assert got["tip_age"].status is status


# --- Babylon response models: mixed encodings ------------------------------------------------


@given(st.integers(min_value=0, max_value=2**63 - 1), st.booleans())
def test_int64_as_string_or_number(height: int, as_string: bool) -> None:
    raw = str(height) if as_string else height
    block = babylon.IndexedBlock.model_validate(
        {"height": raw, "app_hash": "AA==", "finalized": True}
    )
    assert block.height == height


def test_fixture_bodies_parse() -> None:
    def load(name: str) -> object:
        return json.loads((FIXTURES / "babylon-rest" / name).read_text())

    status = babylon.CometStatus.model_validate(load("cometbft_status.json"))
    assert status.result.sync_info.latest_block_height == 1247
    assert status.result.sync_info.latest_block_time.microsecond == 248256  # 9 digits, truncated
    params = babylon.FinalityParams.model_validate(load("finality_params.json")).params
    assert params.min_signed_per_window == Decimal("0.5") and params.signed_blocks_window == 100
    fps = babylon.FinalityProviders.model_validate(load("btcstaking_finality_providers.json"))
    slashed = [fp for fp in fps.finality_providers if fp.slashed_babylon_height]
    assert [fp.slashed_btc_height for fp in slashed] == [665]  # uint32: a JSON number
    ckpts = babylon.LastRawCheckpoint.model_validate(load("checkpointing_last_raw_checkpoint.json"))
    assert ckpts.raw_checkpoint.epoch_num == 121
    infos = babylon.SigningInfos.model_validate(load("signing_infos.json"))
    never = [i for i in infos.signing_infos if i.jailed_until and i.jailed_until.year == 1970]
    assert len(never) == 2
    assert babylon.BlockList.model_validate(load("finality_blocks_finalized_latest.json")).blocks


def _sample(**kw: object) -> babylon.BabylonSample:
    s = babylon.BabylonSample(
        comet=babylon.SyncInfo.model_validate(
            {
                "latest_block_height": "1247",
                "latest_block_time": "2027-01-15T08:00:00Z",
                "catching_up": False,
            }
        ),
        finalized_height=1243,
        params=babylon.FinalityParamsBody(
            signed_blocks_window=100, min_signed_per_window=Decimal("0.5")
        ),
        providers=[],
        missed={},
        current_epoch=125,
        finalized_epoch=121,
        lightclient_height=736,
    )
    for key, value in kw.items():
        setattr(s, key, value)
    return s


def test_babylon_light_client_lag_and_missing_parts() -> None:
    th = fleet_mod.BabylonThresholds()
    now = _sample().comet.latest_block_time.timestamp() + 5  # type: ignore[union-attr]
    results, mem = checks.babylon("bbn", th, _sample(), {}, now, 741, [])
    got = _by(results)
    assert (got["btc_lightclient_lag"].status, got["btc_lightclient_lag"].value) == (Status.WARN, 5)
    assert mem["height"] == 1247
    results, _ = checks.babylon("bbn", th, _sample(), {}, now, None, [])
    assert "btc_lightclient_lag" not in _by(results)  # no bitcoind in the fleet: not judged
    results, _ = checks.babylon("bbn", th, _sample(), {}, now, "bitcoind b gave no height", [])
    assert _by(results)["btc_lightclient_lag"].status is Status.UNKNOWN
    broken = _sample(finalized_height=None, errors={"finality": "GET /x: HTTP 500"})
    got = _by(checks.babylon("bbn", th, broken, {}, now, None, [])[0])
    assert got["finality_lag"].status is Status.UNKNOWN and "HTTP 500" in got["finality_lag"].reason
    none_yet = _sample(finalized_height=None, any_finalized=False)
    got = _by(checks.babylon("bbn", th, none_yet, {}, now, None, [])[0])
    assert (
        got["finality_lag"].value == 1247 and "no block finalized yet" in got["finality_lag"].reason
    )


@pytest.mark.parametrize(
    ("window", "min_signed", "missed", "status"),
    [
        (100, "0.5", 24, Status.OK),
        (100, "0.5", 25, Status.WARN),  # 25 of 50 allowed
        (100, "0.5", 40, Status.CRIT),  # 40 of 50
        (10000, "0.2", 3999, Status.OK),  # mainnet-like: 8000 allowed
        (10000, "0.2", 4000, Status.WARN),
        (10000, "0.2", 6400, Status.CRIT),
    ],
)
def test_missed_blocks_vs_jail_limit(
    window: int, min_signed: str, missed: int, status: Status
) -> None:
    pk = "ab" * 32
    sample = _sample(
        params=babylon.FinalityParamsBody(
            signed_blocks_window=window, min_signed_per_window=Decimal(min_signed)
        ),
        missed={pk: missed},
    )
    now = sample.comet.latest_block_time.timestamp()  # type: ignore[union-attr]
    results, _ = checks.babylon("b", fleet_mod.BabylonThresholds(), sample, {}, now, None, [])
    got = [r for r in results if r.check == "fp_missed_blocks"]
    assert [(r.subject, r.status, r.value) for r in got] == [(pk, status, missed)]


# --- Prometheus text --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "role"),
    [
        ("fpd.prom", "fpd"),
        ("fpd-jailed.prom", "fpd"),
        ("eotsd.prom", "eotsd"),
        ("vigilante-reporter.prom", "reporter"),
        ("vigilante-reporter.openmetrics.txt", "reporter"),
        ("vigilante-submitter.prom", "submitter"),
        ("vigilante-monitor.prom", "monitor"),
        ("vigilante-bstracker.prom", "bstracker"),
        ("bitcoind-exporter.prom", "exporter"),
    ],
)
def test_every_fixture_parses_and_its_role_is_inferred(name: str, role: str) -> None:
    text = (FIXTURES / "metrics" / name).read_text()
    ctype = "application/openmetrics-text" if "openmetrics" in name else "text/plain"
    scrape = metrics.parse(text, ctype)
    assert metrics.infer_role(scrape.samples) == role


def test_counter_spellings_and_go_float_format() -> None:
    text = (FIXTURES / "metrics" / "vigilante-bstracker.prom").read_text()
    scrape = metrics.parse(text)
    assert scrape.one("slasher_slashed_sats") == 3e7  # Go prints "3e+07"
    assert scrape.one("slasher_slashed_sats_total") == 3e7
    om = metrics.parse(
        (FIXTURES / "metrics" / "vigilante-reporter.openmetrics.txt").read_text(),
        "application/openmetrics-text",
    )
    assert (
        om.total("vigilante_reporter_failed_headers", "vigilante_reporter_failed_checkpoints") == 2
    )


NAMES = st.from_regex(r"[a-z][a-z_]{0,15}", fullmatch=True)
FLOATS = st.floats(allow_nan=False, allow_infinity=False, width=32)


@given(st.dictionaries(NAMES, FLOATS, max_size=8))
def test_parse_round_trips_gauges(values: dict[str, float]) -> None:
    text = "".join(f"# TYPE {k} gauge\n{k} {v!r}\n" for k, v in values.items())
    scrape = metrics.parse(text)
    assert {k: scrape.one(k) for k in values} == pytest.approx(values)


def _th() -> fleet_mod.MetricsThresholds:
    return fleet_mod.MetricsThresholds()


def test_covd_histogram_mean_over_the_interval() -> None:
    text = (
        "# TYPE ce_sign_delegation_lag_seconds histogram\n"
        'ce_sign_delegation_lag_seconds_bucket{le="+Inf"} %d\n'
        "ce_sign_delegation_lag_seconds_sum %f\n"
        "ce_sign_delegation_lag_seconds_count %d\n"
    )
    first, mem = checks_metrics.metrics(
        "c", "covd", False, _th(), metrics.parse(text % (10, 50.0, 10)), {}
    )
    assert _by(first)["covenant_signing_lag"].value == 5.0
    second, _ = checks_metrics.metrics(
        "c", "covd", False, _th(), metrics.parse(text % (12, 450.0, 12)), mem
    )
    lag = _by(second)["covenant_signing_lag"]
    assert (lag.status, lag.value) == (Status.WARN, 200.0)  # (450-50)/(12-10)


def test_counter_reset_is_not_a_failure() -> None:
    name = "vigilante_submitter_failed_checkpoints"
    text = f"# TYPE {name} counter\n{name} %d\n"
    _, mem = checks_metrics.metrics("s", "submitter", False, _th(), metrics.parse(text % 40), {})
    got, _ = checks_metrics.metrics("s", "submitter", False, _th(), metrics.parse(text % 3), mem)
    failures = _by(got)["submitter_failures"]
    assert failures.status is Status.OK and "reset" in failures.reason
    assert _by(got)["submitter_staleness"].status is Status.WARN  # gauge absent


EXPOSITION = st.text(st.sampled_from(list('ab_{}="\\ \n#TYPEHELPcounter gauge 1.5e+3-InfNaN,')))


@given(EXPOSITION, st.booleans())
def test_parse_fails_only_with_the_errors_the_probe_maps(text: str, openmetrics: bool) -> None:
    ctype = "application/openmetrics-text" if openmetrics else "text/plain"
    # metrics.probe turns exactly these into "malformed metrics text"
    with contextlib.suppress(ValueError, KeyError, IndexError):
        metrics.parse(text, ctype)


def test_a_crashing_probe_is_isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    from l2kit.monitor import gadget, poll

    async def boom(target: object, session: object) -> object:
        raise ZeroDivisionError("bug")

    monkeypatch.setattr(gadget, "probe", boom)
    fleet = fleet_mod.parse(
        {
            "targets": [
                {"name": "g", "kind": "gadget", "url": "http://127.0.0.1:9"},
                {"name": "m", "kind": "metrics", "url": "http://127.0.0.1:9/metrics"},
            ]
        }
    )
    report = asyncio.run(poll.poll_once(fleet))
    health = next(c for c in report.checks if c.target == "g" and c.check == "gadget_health")
    assert health.status is Status.CRIT and "internal error: ZeroDivisionError" in health.reason
    assert "bug" not in health.reason  # an unexpected exception's message may quote a secret
    assert any(c.target == "m" for c in report.checks)  # the other target was still polled


@pytest.mark.parametrize("page", sorted(p.name for p in (FIXTURES / "metrics").iterdir()))
def test_selective_parse_equals_the_full_parse_for_the_kept_families(page: str) -> None:
    """The probe parses only the families its role's checks read; what it keeps is exactly
    what the full parse gives for those families, and the series count covers the whole page."""
    text = (FIXTURES / "metrics" / page).read_text()
    ctype = "application/openmetrics-text" if "openmetrics" in page else "text/plain"
    full = metrics.parse(text, ctype)
    for keep in checks_metrics.READS.values():
        part = metrics.parse(text, ctype, keep)
        assert part.samples == {k: v for k, v in full.samples.items() if k.startswith(keep)}
        lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
        assert part.series == len(lines)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["fp_seconds_since_last_vote", "fp_status", "go_gc", "fp_total_x"]),
            st.sampled_from(["", '{a="1"}', '{fp_btc_pk_hex="ab",b="x y"}']),
            st.floats(allow_nan=False, allow_infinity=False, width=32),
            st.sampled_from(["", " ", "\t"]),
        ),
        max_size=12,
    ),
    st.sampled_from([("fp_seconds",), ("fp_",), ("nothing",), ()]),
)
def test_selective_parse_property(
    lines: list[tuple[str, str, float, str]], keep: tuple[str, ...]
) -> None:
    seen: dict[tuple[str, str], str] = {}
    for name, labels, value, lead in lines:  # one value per series, like a real page
        seen[(name, labels)] = f"{lead}{name}{labels} {value!r}"
    text = "\n".join(seen.values()) + "\n"
    full = metrics.parse(text)
    part = metrics.parse(text, "", keep)
    assert part.samples == {k: v for k, v in full.samples.items() if k.startswith(keep)}
    assert part.series == len(seen)


FAMILIES = [
    "fp_seconds_since_last_vote",
    "fp_total_failed_votes",
    "fp_status",
    "go_gc_x",
    "ce_sign_delegation_lag_seconds",
]


@given(
    st.lists(
        st.tuples(
            st.sampled_from(FAMILIES),
            st.sampled_from(["gauge", "counter", "untyped", None]),
            st.lists(
                st.tuples(
                    st.sampled_from(["", '{fp_btc_pk_hex="ab"}', '{fp_btc_pk_hex="cd",b="x y"}']),
                    st.floats(allow_nan=False, width=32),
                ),
                min_size=1,
                max_size=3,
                unique_by=lambda s: s[0],
            ),
            st.sampled_from(["", " ", "\t"]),
            st.booleans(),
        ),
        max_size=6,
        unique_by=lambda f: f[0],
    ),
    st.sampled_from([*checks_metrics.READS.values(), ("fp_",), ()]),
)
def test_selective_parse_with_metadata_equals_the_full_parse(
    families: list[tuple[str, str | None, list[tuple[str, float]], str, bool]],
    keep: tuple[str, ...],
) -> None:
    """Pages as exporters write them (HELP and TYPE lines, comments, blank lines, leading
    blanks): the selective parse, which drops HELP lines, keeps exactly the full parse's
    samples of the kept families, and counts every sample line."""
    lines = ["# a comment", ""]
    for name, kind, samples, lead, helped in families:
        if helped:
            lines.append(f"{lead}# HELP {name} Some help, with \\\\ and \\n escapes.")
        if kind:
            lines.append(f"{lead}# TYPE {name} {kind}")
        for labels, value in samples:
            lines.append(f"{lead}{name}{labels} {value!r}")
        lines.append("")
    text = "\n".join(lines) + "\n"
    full = metrics.parse(text)
    part = metrics.parse(text, "", keep)
    assert part.samples == {k: v for k, v in full.samples.items() if k.startswith(keep)}
    assert part.series == sum(len(f[2]) for f in families)
