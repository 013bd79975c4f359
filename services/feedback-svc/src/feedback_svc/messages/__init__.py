"""Ticket conversations: the messages of each ticket, from every intake path, and ``ticket.message_added``."""
