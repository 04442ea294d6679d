"""The commands a user types, one module each: parse the flags, call the library, print."""
