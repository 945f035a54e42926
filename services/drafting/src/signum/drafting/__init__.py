"""Drafting service: templates, drafts, versions, reviews, folios and PDF rendering."""
