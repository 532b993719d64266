"""Working days: the pure calendar of a center, its provisional years, and holiday notices."""
