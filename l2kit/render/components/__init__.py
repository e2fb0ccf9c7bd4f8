"""One planner module per component; each exposes plan(stack, builder)."""
