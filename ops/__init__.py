"""Operations: a case's history, its replay, the archive, and rebuilding the read models."""
