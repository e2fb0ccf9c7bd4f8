"""l2kit: provision, stake and monitor Babylon-secured Bitcoin Layer-2 infrastructure."""

from l2kit.errors import InputError, L2kitError, Retryable

__version__ = "0.1.0"
__all__ = ["InputError", "L2kitError", "Retryable", "__version__"]
