"""staking."""
