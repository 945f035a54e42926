"""Signing service: SAT e.firma PAdES signatures, institutional seals, verification."""
