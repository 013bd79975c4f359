"""Feedback items: the customer's voice from every channel, and their handling workflow."""
