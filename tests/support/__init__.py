"""Helpers shared by the robustness tests (fuzz, crash, concurrency, disk, unicode)."""
