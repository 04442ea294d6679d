"""Drafting with a model: what ``newsletter draft`` asks, of which endpoint, and how."""
