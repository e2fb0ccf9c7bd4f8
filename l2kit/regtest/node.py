"""A managed bitcoind regtest node in its own datadir (loopback only).

    datadir/
      .l2kit-regtest     marker: this datadir belongs to l2kit (others are refused)
      bitcoin.conf       ports, rpcauth (salted hash, never the password), ZMQ endpoints
      rpc.json           {"user", "password"}, mode 0600
      l2kit-node.json    state: pid, ports, rpc_url, zmq endpoints, bitcoind path/version
      bitcoind.log       the child's stdout/stderr (init errors land here)
      regtest/           bitcoind's own files (debug.log, blocks, wallets)

bitcoind runs as a detached child (own session), not ``-daemon``, so its pid is known
exactly. Several nodes in different datadirs run side by side on their own free ports.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import signal
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from l2kit import log
from l2kit.btc.rpc import RpcClient
from l2kit.btc.rpcauth import generate_password, rpcauth_line
from l2kit.errors import (
    InputError,
    NodeError,
    NodeNotRunning,
    NodeUnreachable,
    RpcBusy,
    RpcError,
    RpcWarmup,
)
from l2kit.fsutil import write_atomic
from l2kit.regtest import build
from l2kit.regtest.conf import HOST, NodePorts, render_conf, zmq_endpoints
from l2kit.regtest.ports import free_ports

__all__ = ["WALLET", "NodeState", "RegtestNode", "parse_amount"]

_log = log.get(__name__)

MARKER = ".l2kit-regtest"
STATE = "l2kit-node.json"
CREDS = "rpc.json"
CONF = "bitcoin.conf"
LOG = "bitcoind.log"
LOCK = ".l2kit-lock"
WALLET = "l2kit"
RPC_USER = "l2kit"
MATURITY = 101  # coinbase outputs spend after 100 confirmations
MAX_BTC = Decimal(21_000_000)
_SATS = Decimal("0.00000001")

# Children we spawned in this process: reaped with waitpid so they never linger as zombies.
_CHILDREN: set[int] = set()


@dataclass(frozen=True)
class NodeState:
    """What ``up`` recorded about the running node (the state file)."""

    pid: int
    rpc_port: int
    p2p_port: int
    zmq: dict[str, str]
    rpc_url: str
    bitcoind: str
    version: str
    started_at: float = field(default=0.0)

    @classmethod
    def load(cls, path: Path) -> NodeState | None:
        try:
            raw = json.loads(path.read_text())
            return cls(**raw)
        except FileNotFoundError:
            return None
        except (ValueError, TypeError) as exc:
            raise NodeError(
                f"{path}: unreadable node state ({exc}); remove it to continue"
            ) from exc


def parse_amount(value: str | Decimal | int) -> Decimal:
    """A BTC amount: positive, at most 8 decimals, at most 21 million."""
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise InputError(f"{value!r} is not a number", field="amount") from exc
    if not amount.is_finite() or amount <= 0:
        raise InputError("must be a positive number of BTC", field="amount")
    if amount > MAX_BTC:
        raise InputError("must be at most 21000000 BTC", field="amount")
    if amount != amount.quantize(_SATS):
        raise InputError("must have at most 8 decimals (1 sat = 0.00000001)", field="amount")
    return amount.quantize(_SATS)


def _tail(path: Path, lines: int = 15) -> list[str]:
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 16384))
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return []
    return [line for line in text.splitlines() if line.strip()][-lines:]


def _reap(pid: int) -> bool:
    """For our own children: collect an exited one. True if it has exited."""
    if pid not in _CHILDREN:
        return False
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        done = pid
    if done:
        _CHILDREN.discard(pid)
        return True
    return False


def _alive(pid: int, datadir: Path) -> bool:
    """Whether ``pid`` is a live bitcoind serving ``datadir`` (guards against pid reuse)."""
    if pid <= 0 or _reap(pid):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False  # someone else's process reusing the pid
    proc = Path("/proc") / str(pid)
    if not Path("/proc/self").exists():
        return True
    try:
        zombie = ") Z" in (proc / "stat").read_text()
        argv = [] if zombie else (proc / "cmdline").read_bytes().split(b"\0")
    except OSError:
        argv = []
    if bool(argv) and argv[0].endswith(b"bitcoind") and f"-datadir={datadir}".encode() in argv:
        return True
    _reap(pid)  # it may have exited between the first reap and now: collect our zombie
    return False


class RegtestNode:
    """One managed regtest node. ``up`` is idempotent; ``down`` stops it cleanly."""

    def __init__(
        self,
        datadir: str | Path,
        *,
        bitcoind: str | Path | None = None,
        preferred_ports: NodePorts | None = None,
        start_timeout: float = 90.0,
        stop_timeout: float = 60.0,
    ) -> None:
        self.datadir = Path(datadir).expanduser().resolve()
        self._bitcoind = bitcoind
        self._preferred = preferred_ports
        self.start_timeout, self.stop_timeout = start_timeout, stop_timeout
        self._client: RpcClient | None = None

    def __repr__(self) -> str:
        return f"RegtestNode(datadir={str(self.datadir)!r})"

    # --- files ---------------------------------------------------------------------------------

    @property
    def state_path(self) -> Path:
        return self.datadir / STATE

    @property
    def debug_log(self) -> Path:
        return self.datadir / "regtest" / "debug.log"

    def _is_ours(self) -> bool:
        return (self.datadir / MARKER).is_file() or (self.datadir / STATE).is_file()

    def _check_ours(self) -> None:
        """Refuse a datadir that holds files but was not made by l2kit."""
        if not self.datadir.exists():
            return
        if not self.datadir.is_dir():
            raise InputError(f"{self.datadir} is not a directory", field="datadir")
        if any(self.datadir.iterdir()) and not self._is_ours():
            raise NodeError(
                f"{self.datadir} holds files but no l2kit node: it looks like the datadir of "
                "another program; pick an empty or new --datadir"
            )

    def _prepare_dir(self) -> None:
        self._check_ours()
        self.datadir.mkdir(mode=0o700, parents=True, exist_ok=True)
        marker = self.datadir / MARKER
        if not marker.exists():
            write_atomic(marker, "l2kit regtest node datadir\n")

    def credentials(self) -> tuple[str, str]:
        """(user, password) of the node's RPC, created once (rpc.json, mode 0600)."""
        path = self.datadir / CREDS
        try:
            raw = json.loads(path.read_text())
            return str(raw["user"]), str(raw["password"])
        except FileNotFoundError:
            pass
        except (ValueError, KeyError, TypeError) as exc:
            raise NodeError(f"{path}: unreadable credentials file; remove it") from exc
        user, password = RPC_USER, generate_password()
        write_atomic(path, json.dumps({"user": user, "password": password}) + "\n", 0o600)
        return user, password

    def state(self) -> NodeState | None:
        return NodeState.load(self.state_path)

    # --- RPC -----------------------------------------------------------------------------------

    def _new_client(self, url: str, retry_for: float = 30.0) -> RpcClient:
        user, password = self.credentials()
        return RpcClient(url, user=user, password=password, retry_for=retry_for)

    def rpc(self) -> RpcClient:
        """The node's RPC client (shared; closed by ``close``/``down``)."""
        state = self.state()
        if state is None or not _alive(state.pid, self.datadir):
            raise NodeNotRunning(f"no node running in {self.datadir}: run 'l2kit regtest up'")
        if self._client is None or not self._client.url.startswith(state.rpc_url):
            self.close()
            self._client = self._new_client(state.rpc_url)
        return self._client

    def wallet_rpc(self, name: str = WALLET) -> RpcClient:
        return self.rpc().wallet(name)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def running(self) -> bool:
        state = self.state()
        if state is None or not _alive(state.pid, self.datadir):
            return False
        try:
            with self._new_client(state.rpc_url, retry_for=0) as probe:
                probe.getblockcount()
        except (NodeUnreachable, RpcWarmup, RpcBusy):
            return False
        return True

    # --- lifecycle -----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Serialise up/down on one datadir across processes (flock, released on exit)."""
        fd = os.open(self.datadir / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def up(self) -> dict[str, Any]:
        """Start the node (no-op if it is running); ``status()`` plus ``started``."""
        self._check_ours()
        bitcoind = build.find_bitcoind(self._bitcoind)  # bad input fails before any change
        self._prepare_dir()
        with self._locked():
            return self._up(bitcoind)

    def _up(self, bitcoind: Path) -> dict[str, Any]:
        state = self.state()
        if state is not None and _alive(state.pid, self.datadir):
            self._wait_ready(state, time.monotonic() + self.start_timeout)
            _log.info("node already running", datadir=str(self.datadir), pid=state.pid)
            return {**self.status(), "started": False}
        major, minor = build.bitcoind_version(bitcoind)
        user, password = self.credentials()
        rpcauth = rpcauth_line(user, password)
        for attempt in range(1, 4):  # another process may grab a port between pick and bind
            state = self._spawn(bitcoind, f"{major}.{minor}", rpcauth)
            try:
                self._wait_ready(state, time.monotonic() + self.start_timeout)
                break
            except NodeError as exc:
                self._kill(state.pid)
                with contextlib.suppress(FileNotFoundError):
                    self.state_path.unlink()
                if attempt == 3 or "bind" not in str(exc).lower():
                    raise
        self._init_wallet()
        return {**self.status(), "started": True}

    def _spawn(self, bitcoind: Path, version: str, rpcauth: str) -> NodeState:
        pref = self._preferred
        preferred = (pref.rpc, pref.p2p, pref.zmq_block, pref.zmq_tx) if pref else ()
        rpc, p2p, zmq_block, zmq_tx = free_ports(4, preferred=preferred)
        ports = NodePorts(rpc=rpc, p2p=p2p, zmq_block=zmq_block, zmq_tx=zmq_tx)
        write_atomic(self.datadir / CONF, render_conf(ports, rpcauth), 0o600)
        argv = [str(bitcoind), f"-datadir={self.datadir}"]
        log_path = self.datadir / LOG
        actions = [
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, str(log_path), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600),
            (os.POSIX_SPAWN_DUP2, 1, 2),
        ]
        try:
            pid = os.posix_spawn(
                str(bitcoind), argv, dict(os.environ), file_actions=actions, setsid=True
            )
        except OSError as exc:
            raise NodeError(f"cannot start {bitcoind}: {exc}") from exc
        _CHILDREN.add(pid)
        state = NodeState(
            pid=pid,
            rpc_port=rpc,
            p2p_port=p2p,
            zmq=zmq_endpoints(ports),
            rpc_url=f"http://{HOST}:{rpc}",
            bitcoind=str(bitcoind),
            version=version,
            started_at=time.time(),
        )
        write_atomic(self.state_path, json.dumps(asdict(state), indent=2) + "\n")
        _log.info("started bitcoind", datadir=str(self.datadir), pid=pid, rpc_port=rpc)
        return state

    def _failure(self, what: str) -> NodeError:
        lines = _tail(self.datadir / LOG, 10) + _tail(self.debug_log, 10)
        detail = "\n".join(f"  {line}" for line in lines) or "  (bitcoind wrote nothing)"
        return NodeError(f"bitcoind in {self.datadir} {what}; its last output:\n{detail}")

    def _wait_ready(self, state: NodeState, deadline: float) -> None:
        """Poll RPC until it answers (code -28 means still loading); fail with the node's words."""
        with self._new_client(state.rpc_url, retry_for=0) as probe:
            while True:
                if not _alive(state.pid, self.datadir):
                    raise self._failure("exited during startup")
                try:
                    probe.getblockcount()
                    return
                except (NodeUnreachable, RpcWarmup, RpcBusy):
                    pass
                if time.monotonic() > deadline:
                    raise self._failure(f"did not answer RPC within {self.start_timeout:.0f}s")
                time.sleep(0.1)

    def _init_wallet(self) -> None:
        rpc = self.rpc()
        if WALLET not in rpc.call("listwallets"):
            try:
                rpc.call("loadwallet", WALLET)
            except RpcError as exc:
                if exc.code != -18:  # -18: wallet not found
                    raise
                rpc.call_named("createwallet", wallet_name=WALLET, load_on_startup=True)
        if rpc.getblockcount() == 0:
            wallet = self.wallet_rpc()
            wallet.generatetoaddress(MATURITY, wallet.getnewaddress())

    def _kill(self, pid: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if _alive(pid, self.datadir):
                os.kill(pid, signal.SIGKILL)
        self._wait_exit(pid, 10.0)

    def _wait_exit(self, pid: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while _alive(pid, self.datadir):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
        return True

    def down(self, purge: bool = False) -> dict[str, Any]:
        """Stop the node (RPC ``stop``, SIGKILL only after ``stop_timeout``); purge if asked."""
        if self.datadir.is_dir() and any(self.datadir.iterdir()) and not self._is_ours():
            # bad input, not a node failure: nothing is stopped or deleted
            raise InputError(
                f"{self.datadir} is not an l2kit regtest node datadir (no l2kit marker); "
                "nothing stopped or purged",
                field="datadir",
            )
        self._check_ours()
        if not self.datadir.exists():
            return {"datadir": str(self.datadir), "stopped": False, "purged": False}
        with self._locked():
            return self._down(purge)

    def _down(self, purge: bool) -> dict[str, Any]:
        result: dict[str, Any] = {"datadir": str(self.datadir), "stopped": False, "purged": False}
        state = self.state() if self.datadir.exists() else None
        if state is not None and _alive(state.pid, self.datadir):
            try:
                with self._new_client(state.rpc_url, retry_for=0) as client:
                    client.call("stop")
            except (RpcError, NodeUnreachable) as exc:
                # e.g. -28 while still starting: SIGTERM is bitcoind's other clean shutdown.
                _log.warning("rpc stop failed; sending SIGTERM", error=type(exc).__name__)
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(state.pid, signal.SIGTERM)
            if not self._wait_exit(state.pid, self.stop_timeout):
                _log.warning("bitcoind did not stop in time: SIGKILL", pid=state.pid)
                self._kill(state.pid)
            result["stopped"] = True
        self.close()
        with contextlib.suppress(FileNotFoundError):
            self.state_path.unlink()
        if purge and self.datadir.exists():
            shutil.rmtree(self.datadir)
            result["purged"] = True
        return result

    # --- queries and actions -------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        state = self.state() if self.datadir.exists() else None
        out: dict[str, Any] = {
            "running": False,
            "datadir": str(self.datadir),
            "chain": None,
            "blocks": None,
            "headers": None,
            "rpc_url": state.rpc_url if state else None,
            "wallet": WALLET,
            "wallet_balance": None,
            "wallet_balance_sat": None,
            "pid": None,
            "zmq": state.zmq if state else {},
            "version": state.version if state else None,
            "bitcoind": state.bitcoind if state else None,
        }
        if state is None or not self.running():
            return out
        rpc = self.rpc()
        info = rpc.getblockchaininfo()
        balance = self.wallet_rpc().getbalance()
        subversion = rpc.getnetworkinfo().subversion
        match = re.search(r"Satoshi:([0-9.]+)", subversion)
        out.update(
            running=True,
            chain=info.chain,
            blocks=info.blocks,
            headers=info.headers,
            wallet_balance=float(balance),
            wallet_balance_sat=int(balance / _SATS),
            pid=state.pid,
            version=match.group(1) if match else state.version,
        )
        return out

    def _check_address(self, address: str) -> str:
        address = address.strip()
        if not address or not re.fullmatch(r"[0-9A-Za-z]{14,100}", address):
            raise InputError(f"{address!r} is not a bitcoin address", field="address")
        info = self.rpc().call("validateaddress", address)
        if not isinstance(info, dict) or not info.get("isvalid"):
            raise InputError(f"{address!r} is not a valid regtest address", field="address")
        return address

    def mine(self, n: int, to: str | None = None) -> list[str]:
        """Mine ``n`` blocks to ``to`` (default: a fresh address of the l2kit wallet)."""
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 10_000:
            raise InputError("must be a whole number from 1 to 10000", field="blocks")
        address = self._check_address(to) if to is not None else self.wallet_rpc().getnewaddress()
        return self.rpc().generatetoaddress(n, address)

    def fund(self, address: str, amount_btc: str | Decimal | int) -> str:
        """Send ``amount_btc`` from the l2kit wallet to ``address``, mine 1 block; the txid."""
        amount = parse_amount(amount_btc)
        address = self._check_address(address)
        txid = self.wallet_rpc().sendtoaddress(address, amount)
        self.mine(1)
        return txid
