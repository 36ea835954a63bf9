"""Subcommands: one module each, exposing `register(subparsers)`; handlers import lazily."""
