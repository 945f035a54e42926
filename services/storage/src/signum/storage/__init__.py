"""Storage service: immutable signed documents, drafts and attachments in S3; the audit log."""
