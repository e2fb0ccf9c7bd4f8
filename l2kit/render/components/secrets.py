"""``--generate-secrets``: Secret objects with fresh random values for the plain-random slots.

Only the RPC credentials, wallet and BLS passwords, HMAC keys and engine JWT can be generated;
keyrings, L1 endpoints and sequencer keys come from their owners. The values exist only in
the emitted Secret objects (and in ``l2kit values --generate-secrets`` output, on request);
golden files are rendered without this switch, so they stay deterministic.
"""

from __future__ import annotations

import secrets

from l2kit.btc.rpcauth import generate_password, rpcauth_line
from l2kit.render.common import labels
from l2kit.render.values import StackBuilder
from l2kit.spec import StackSpec


def generate(stack: StackSpec, sb: StackBuilder) -> None:
    s = stack.secrets
    made: list[tuple[str, dict[str, str]]] = []
    if s.rpc is not None:
        password = generate_password()
        made.append(
            (
                s.rpc.existing_secret,
                {
                    s.rpc.password_key: password,
                    s.rpc.rpcauth_key: rpcauth_line(s.rpc.user, password),
                },
            )
        )
    if s.wallet is not None:
        made.append((s.wallet.existing_secret, {"passphrase": secrets.token_urlsafe(24)}))
    if s.bls_password is not None:
        made.append((s.bls_password.existing_secret, {"password": secrets.token_urlsafe(24)}))
    for ref in (s.eots_hmac, s.covenant_hmac):
        if ref is not None:
            made.append((ref.existing_secret, {"hmac-key": secrets.token_urlsafe(32)}))
    if s.jwt is not None:
        made.append((s.jwt.existing_secret, {"jwt.hex": secrets.token_hex(32)}))
    seen: set[str] = set()
    for secret_name, data in made:
        if secret_name in seen:
            continue
        seen.add(secret_name)
        sb.secrets.append(
            {
                "name": secret_name,
                "labels": labels(stack, "l2kit", "secrets"),
                # Keep generated credentials when the Secret already exists (helm/kubectl apply).
                "annotations": {"helm.sh/resource-policy": "keep"},
                "stringData": data,
            }
        )
