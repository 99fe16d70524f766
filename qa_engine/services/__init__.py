"""The verbs of the engine. Services flush; the caller (one view, one CLI command) commits once."""
