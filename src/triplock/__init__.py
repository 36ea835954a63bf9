"""triplock: security of Big Data & AI deployments in transit, at rest and in use."""

__version__ = "0.1.0"
