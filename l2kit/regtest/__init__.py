"""regtest."""
