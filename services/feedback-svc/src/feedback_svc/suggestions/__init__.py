"""Staff suggestions: anonymous ones (nothing that identifies the sender is kept) and named ones
that go proposed → accepted → implemented → effect reviewed."""
