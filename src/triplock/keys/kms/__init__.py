"""Key management: one interface (interface.py), one module per backend (file, pkcs11)."""
