"""What is on disk, read strictly: entry models, TOML files, positions, styles, problems."""
