"""The derivation engine: ``Derivation`` and its calculus, expectations, the information quantities, canonical
forms, proofs and identities. It imports only the core layer."""
