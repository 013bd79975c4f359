"""Customers: what survey-svc does when a customer is erased (``customer.erased``)."""
