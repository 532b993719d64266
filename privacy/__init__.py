"""Applicants' personal data kept out of Temporal in clear: payloads encrypted under a key ring."""

from privacy.codec import PayloadDecryptionError, PayloadEncryption, encrypted_converter
from privacy.keys import KeyRing, KeyRingError, load_key_file

__all__ = [
    "KeyRing",
    "KeyRingError",
    "PayloadDecryptionError",
    "PayloadEncryption",
    "encrypted_converter",
    "load_key_file",
]
