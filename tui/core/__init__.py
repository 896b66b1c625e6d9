"""The product without a screen: config, store, ingest, checks, metrics, simulator."""
