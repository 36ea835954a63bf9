"""Typed facts, one module per component. Sources create them; rules read them."""
