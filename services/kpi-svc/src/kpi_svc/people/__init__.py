"""People: agent scorecards, appraisal rules, kept appraisal results and the service star."""
