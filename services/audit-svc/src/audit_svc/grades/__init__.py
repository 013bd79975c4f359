"""Grading the grader: reviews of reviews, on a scorecard whose use is ``review_of_review``."""
