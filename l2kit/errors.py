"""Every error l2kit raises on purpose, in one tree.

    L2kitError                      exit 1 (runtime) unless a subclass says 2
    ├── Retryable                   mix-in: safe to retry after a delay
    ├── InputError                  exit 2: bad input; nothing was changed
    │   ├── SpecError               stack spec / fleet file invalid (one line per problem)
    │   ├── BadKey                  a key is malformed, off the curve or duplicated
    │   ├── ScriptError             a script parameter is out of range
    │   ├── ParamsError             a value violates a named params version's bound
    │   ├── TxRejected              l2kit refuses a transaction before broadcast
    │   ├── AdaptorSigError         an adaptor signature is malformed or does not verify
    │   ├── PsbtError               a PSBT is malformed (map, key type and rule named)
    │   ├── PopError                a proof of possession the Babylon chain would refuse
    │   └── ChainRuleError          a registration breaks a named Babylon chain rule
    ├── RpcError                    bitcoind answered with an error (code + message)
    │   ├── RpcWarmup (Retryable)   code -28: still starting
    │   ├── RpcAuthError            HTTP 401/403: wrong credentials (never retried)
    │   └── RpcBusy (Retryable)     HTTP 503: work queue full, the call did not run
    ├── NodeUnreachable (Retryable) connection refused / reset / timed out
    ├── RpcOutcomeUnknown           connection lost after a state-changing call (not retried)
    ├── BuildError                  the bitcoind build failed
    ├── NodeError                   the managed regtest node misbehaved
    │   └── NodeNotRunning (Retryable) no live node in the datadir (may be restarting)
    ├── RenderError                 a template needs a value it was not given
    ├── ClusterError                the Kubernetes API refused or failed
    ├── StoreError                  the stake database is unusable
    ├── BabylonError                a Babylon node answered with an error (HTTP status, gRPC code)
    │   ├── BabylonUnreachable (Retryable) no answer from the Babylon REST endpoint
    │   ├── BabylonNotFound         the queried object does not exist (delegation, account, tx)
    │   ├── BabylonBadResponse      an answer that does not have the shape of Babylon's sources
    │   └── BabylonTxFailed         the chain refused a Cosmos tx (codespace + code + log)
    ├── ProbeError                  a monitored target gave an unusable answer
    │   └── TargetUnreachable       ... or could not be asked at all (no answer)
    └── RulesError                  shipped alert rules / dashboard malformed

Each error carries its fields as attributes; messages never contain secrets.
Only ``l2kit.cli.main`` prints errors and picks the exit code.

Sections below are owned by the parts of the code that raise them; add new
classes in the section of the part you work on.
"""

from __future__ import annotations


class L2kitError(Exception):
    """Root of every error l2kit raises on purpose."""

    exit_code: int = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class Retryable(L2kitError):
    """Mix-in: safe to retry after a delay (tenacity retries only these)."""


def one_line(text: str) -> str:
    """``text`` with line breaks and other control characters escaped: an input echoed in an
    error can neither forge a second ``error:`` line nor send terminal escape sequences."""
    return "".join(
        c if c == "\t" or (c >= " " and c != "\x7f") else f"\\x{ord(c):02x}" for c in text
    )


class InputError(L2kitError):
    """Bad input from the user: exit 2, nothing changed. The message is one line."""

    exit_code = 2

    def __init__(self, message: str, *, field: str | None = None) -> None:
        text = f"{field}: {message}" if field else message
        super().__init__(one_line(text))
        self.field = field


# --- foundation: bitcoind RPC, regtest node, build --------------------------------------------


class RpcError(L2kitError):
    """bitcoind answered a call with an error object."""

    def __init__(self, method: str, code: int, message: str) -> None:
        super().__init__(f"{method}: {message} (code {code})")
        self.method, self.code, self.rpc_message = method, code, message


class RpcWarmup(RpcError, Retryable):
    """bitcoind is still starting (code -28)."""


class RpcAuthError(RpcError):
    """The node refused our credentials (HTTP 401/403). Never retried."""

    def __init__(self, url: str, status: int) -> None:
        L2kitError.__init__(
            self, f"{url}: authentication failed (HTTP {status}): check the RPC user and password"
        )
        self.method, self.code, self.rpc_message = "", status, "authentication failed"
        self.url, self.status = url, status


class RpcBusy(RpcError, Retryable):
    """HTTP 503: the node's RPC work queue is full; the call did not run."""


class NodeUnreachable(Retryable):
    """No answer from the node: refused, reset or timed out."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: unreachable ({reason})")
        self.url, self.reason = url, reason


class RpcOutcomeUnknown(L2kitError):
    """The connection broke after a state-changing call was sent: it may have run. Not retried."""

    def __init__(self, url: str, method: str, reason: str) -> None:
        super().__init__(
            f"{url}: connection lost after sending {method} ({reason}); "
            "it may or may not have run: check the node before repeating it"
        )
        self.url, self.method, self.reason = url, method, reason


class BuildError(L2kitError):
    """Building or locating bitcoind failed."""


class NodeError(L2kitError):
    """The managed regtest node could not be started, stopped or used."""


class NodeNotRunning(NodeError, Retryable):
    """No live node in the datadir (yet): it may be restarting, so a follower waits."""


# --- staking protocol --------------------------------------------------------------------------


class BadKey(InputError):
    """A public key is malformed, not on the curve, or duplicated."""


class ScriptError(InputError):
    """A script parameter (quorum, timelock, key count) is out of range."""


class ParamsError(InputError):
    """A value violates a bound of a named staking-params version."""

    def __init__(self, message: str, *, version: int | None = None, field: str | None = None):
        prefix = f"params v{version}: " if version is not None else ""
        super().__init__(prefix + message, field=field)
        self.version = version


class TxRejected(InputError):
    """l2kit refuses to build, sign or broadcast a transaction."""


class AdaptorSigError(InputError):
    """An adaptor signature, key or message is malformed or does not verify."""


class PsbtError(InputError):
    """A PSBT is malformed or violates a BIP174/BIP371 rule."""


class PopError(InputError):
    """A proof of possession that Babylon's ``ProofOfPossessionBTC.Verify`` would refuse."""


class ChainRuleError(InputError):
    """A delegation registration that breaks a Babylon chain rule; ``rule`` names it."""

    def __init__(self, message: str, *, rule: str, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.rule = rule


# --- staking lifecycle -------------------------------------------------------------------------


class StoreError(L2kitError):
    """The stake tracker / indexer database is unusable."""


# --- Babylon chain client ---------------------------------------------------------------------


class BabylonError(L2kitError):
    """A Babylon REST endpoint answered with an error (``status`` HTTP, ``code`` gRPC)."""

    def __init__(self, message: str, *, status: int | None = None, code: int | None = None):
        super().__init__(message)
        self.status, self.code = status, code


class BabylonUnreachable(BabylonError, Retryable):
    """No answer from the Babylon REST endpoint (refused, reset, timed out, HTTP 502/503/504)."""


class BabylonNotFound(BabylonError):
    """The queried delegation / account / tx / finality provider does not exist (yet)."""


class BabylonBadResponse(BabylonError):
    """An answer without the shape Babylon's and the Cosmos SDK's sources give it."""


class BabylonTxFailed(BabylonError):
    """The chain refused a Cosmos tx (CheckTx or DeliverTx code != 0)."""

    def __init__(self, txhash: str, codespace: str, code: int, log: str) -> None:
        super().__init__(f"tx {txhash}: {codespace or 'sdk'} code {code}: {log}", code=code)
        self.txhash, self.codespace, self.log = txhash, codespace, log


# --- provisioning ------------------------------------------------------------------------------


class SpecError(InputError):
    """A stack spec or fleet file is invalid; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        problems = [one_line(p) for p in problems]
        L2kitError.__init__(self, "\n".join(problems))  # one line per problem, each escaped
        self.field = None
        self.problems = problems


class RenderError(L2kitError):
    """A template referenced a value it was not given."""


class ClusterError(L2kitError):
    """The Kubernetes API refused or failed a request (``status``/``reason`` when it answered)."""

    def __init__(
        self, message: str, *, status: int | None = None, reason: str | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.reason = status, reason


# --- monitoring --------------------------------------------------------------------------------


class ProbeError(L2kitError):
    """A monitored target answered with something unusable."""

    def __init__(self, target: str, reason: str) -> None:
        super().__init__(f"{target}: {reason}")
        self.target, self.reason = target, reason


class TargetUnreachable(ProbeError):
    """A monitored target could not be asked at all (refused, timed out, no credentials)."""


class RulesError(L2kitError):
    """The shipped alert rules or Grafana dashboard are malformed (one line per problem)."""

    def __init__(self, path: str, problems: list[str]) -> None:
        super().__init__(f"{path}: " + "; ".join(problems))
        self.path, self.problems = path, problems
