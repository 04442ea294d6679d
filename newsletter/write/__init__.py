"""Everything that writes a file: atomically, never half-written, never over what is not ours."""
