"""Babylon chain messages and (later) its client: protobuf encodings built from field tables
with provenance (``proto.py``), bech32 account addresses (``address.py``)."""
