"""Customers: erasure of a customer's identity (DESIGN.md "Data retention and erasure")."""
