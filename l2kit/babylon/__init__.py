"""The Babylon chain, I/O at the edge: REST client and response models (``client``,
``models``), Cosmos SDK transactions (``cosmos_tx``) and a simulated chain for tests and the
demo (``devchain``)."""
