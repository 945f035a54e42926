"""The test PKI lives in signum.testing.pki (the e2e platform's signing service trusts it too)."""

from signum.testing.pki import PASSWORD, Issued, PkiServer, SigningPki, _issue_fiel, running_pki

__all__ = ["PASSWORD", "Issued", "PkiServer", "SigningPki", "_issue_fiel", "running_pki"]
