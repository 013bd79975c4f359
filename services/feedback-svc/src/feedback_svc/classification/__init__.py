"""Classification of feedback items: language, kind, category, sentiment, severity and priority."""
