"""Name and image-reference grammars, one regex each, shared by the spec models, the checks of
rendered objects and the chart's JSON schema (so they stay RE2 / JSON-Schema compatible)."""

from __future__ import annotations

import re

REPOSITORY = r"[a-z0-9][a-z0-9._/-]*(:[0-9]+/[a-z0-9._/-]+)?"  # [registry[:port]/]repository
TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
DIGEST = r"(@sha256:[0-9a-f]{64})?"
IMAGE_PATTERN = rf"^{REPOSITORY}:{TAG}{DIGEST}$"
"""registry/name:tag[@sha256:digest] — a tag is required."""
LATEST_PATTERN = rf":latest{DIGEST}$"
# The tag is optional here so that the spec can say what is missing (untagged vs malformed).
IMAGE = re.compile(rf"^{REPOSITORY}(:(?P<tag>{TAG}))?{DIGEST}$")

DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
DNS_SUBDOMAIN_PATTERN = r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$"
DNS_SUBDOMAIN = re.compile(DNS_SUBDOMAIN_PATTERN)
QUANTITY_PATTERN = r"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$"
QUANTITY = re.compile(QUANTITY_PATTERN)
HEX = re.compile(r"^[0-9a-f]+$")
REGISTRY = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?(/[a-z0-9._-]+)*$")
RESERVED_LABEL_PATTERN = r"^(app\.kubernetes\.io/|l2kit\.io/|helm\.sh/)"
RESERVED_LABEL = re.compile(RESERVED_LABEL_PATTERN)


def pinned(image: str) -> bool:
    """Pinned by a tag other than ``latest`` (optionally with a digest)."""
    return re.match(IMAGE_PATTERN, image) is not None and not re.search(LATEST_PATTERN, image)
