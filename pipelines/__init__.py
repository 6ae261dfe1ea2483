"""Item pipelines of the crawl: extraction, detection and storage, one concern each."""
