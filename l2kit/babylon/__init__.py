"""The Babylon chain: messages (``proto``: protobuf encodings from field tables with
provenance), bech32 account addresses (``address``), Cosmos SDK transactions (``cosmos_tx``),
the REST client and its typed answers (``client``, ``models``; I/O at the edge) and a
simulated chain for tests and the demo (``devchain``)."""
