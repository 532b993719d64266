"""A center's administration: its calendar changes and its staff's leave (AB岗)."""
