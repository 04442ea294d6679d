"""The check stage: the rules for an issue, editorial lint, the cache, and a whole run."""
