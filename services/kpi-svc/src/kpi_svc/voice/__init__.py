"""Customer voice, QA and call KPIs: counter families read as kinds of read.grouped."""
