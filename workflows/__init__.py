"""Case workflows and the pure domain rules they decide with."""
