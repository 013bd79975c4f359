"""Customers: erasure of a customer's identity (docs/architecture.md "Privacy")."""
