"""banjian: case workflows for one-stop service centers."""
