"""What the editor creates: a publication (init), an issue (new-issue), a paper (add-paper)."""
