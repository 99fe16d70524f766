"""WTForms: the shape of input. Process rules live in services."""
